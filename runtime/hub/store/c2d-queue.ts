import { randomUUID } from 'node:crypto';
import { HubError } from '../errors.js';
import type { Db, TxRunner } from './sqlite-db.js';
import { Listeners } from './listeners.js';
import type { Clock } from '../../clock.js';

/** IoT Hub's per-device cloud-to-device queue depth limit (DeviceMaximumQueueDepthExceeded). */
export const MAX_C2D_QUEUE_DEPTH = 50;

/** A cloud-to-device message waiting for (or being delivered to) its device. */
export interface C2dMessage {
  seq: number;
  deviceId: string;
  body: Buffer;
  /** System properties by wire name without `$.` (`mid`, `cid`, `to`, `exp`, …). */
  systemProperties: Record<string, string>;
  properties: Record<string, string>;
  enqueuedTimeUtc: string;
  /** Epoch ms after which the message is dropped undelivered; absent = never. */
  expiresAt?: number | undefined;
  deliveryCount: number;
}

/** What a sender provides. */
export interface C2dSend {
  body: Buffer | string;
  messageId?: string;
  correlationId?: string;
  /** `$.ct` / `$.ce`: the message's content type and encoding, passed to the device as sent. */
  contentType?: string;
  contentEncoding?: string;
  properties?: Record<string, string>;
  /** Time to live in ms (IoT Hub default 1 hour, at most 2 days). */
  ttlMs?: number;
}

interface Row {
  seq: number;
  device_id: string;
  enqueued_at: string;
  expires_at: number | null;
  system_props: string;
  app_props: string;
  body: Buffer;
  delivery_count: number;
}

const toMessage = (r: Row): C2dMessage => ({
  seq: r.seq,
  deviceId: r.device_id,
  body: r.body,
  systemProperties: JSON.parse(r.system_props) as Record<string, string>,
  properties: JSON.parse(r.app_props) as Record<string, string>,
  enqueuedTimeUtc: r.enqueued_at,
  expiresAt: r.expires_at ?? undefined,
  deliveryCount: r.delivery_count,
});

/**
 * Per-device cloud-to-device queues, durable: a message stays queued until the device
 * PUBACKs it (MQTT has no reject: PUBACK = complete, learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d), and is delivered
 * again on the next connect otherwise. C2D targets devices only, never modules.
 */
export class C2dQueue {
  readonly enqueued: Listeners<C2dMessage>;
  private readonly stmt;

  constructor(
    db: Db,
    private readonly tx: TxRunner,
    private readonly clock: Clock,
    onListenerError: (error: unknown) => void,
  ) {
    this.enqueued = new Listeners(onListenerError);
    this.stmt = {
      insert: db.prepare('INSERT INTO c2d (device_id, enqueued_at, expires_at, system_props, app_props, body) VALUES (?, ?, ?, ?, ?, ?)'),
      pending: db.prepare<[string, number], Row>('SELECT * FROM c2d WHERE device_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq'),
      depth: db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM c2d WHERE device_id = ? AND (expires_at IS NULL OR expires_at > ?)'),
      expire: db.prepare('DELETE FROM c2d WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      complete: db.prepare('DELETE FROM c2d WHERE seq = ?'),
      delivered: db.prepare('UPDATE c2d SET delivery_count = delivery_count + 1 WHERE seq = ?'),
      deleteDevice: db.prepare('DELETE FROM c2d WHERE device_id = ?'),
    };
  }

  /** Queues a message for a device (the caller checks the device exists). Throws HUB_QUEUE_FULL past 50. */
  enqueue(deviceId: string, send: C2dSend): C2dMessage {
    return this.tx.run(() => {
      const now = this.clock.now();
      this.stmt.expire.run(now);
      if ((this.stmt.depth.get(deviceId, now)?.n ?? 0) >= MAX_C2D_QUEUE_DEPTH) {
        throw new HubError('HUB_QUEUE_FULL', `the cloud-to-device queue of ${deviceId} already holds ${MAX_C2D_QUEUE_DEPTH} messages`);
      }
      const system: Record<string, string> = { mid: send.messageId ?? randomUUID(), to: `/devices/${deviceId}/messages/devicebound` };
      if (send.correlationId) system.cid = send.correlationId;
      if (send.contentType) system.ct = send.contentType;
      if (send.contentEncoding) system.ce = send.contentEncoding;
      const expiresAt = now + (send.ttlMs ?? 3_600_000);
      system.exp = new Date(expiresAt).toISOString();
      const body = typeof send.body === 'string' ? Buffer.from(send.body) : send.body;
      const enqueuedTimeUtc = new Date(now).toISOString();
      const r = this.stmt.insert.run(deviceId, enqueuedTimeUtc, expiresAt, JSON.stringify(system), JSON.stringify(send.properties ?? {}), body);
      const message: C2dMessage = {
        seq: Number(r.lastInsertRowid),
        deviceId,
        body,
        systemProperties: system,
        properties: send.properties ?? {},
        enqueuedTimeUtc,
        expiresAt,
        deliveryCount: 0,
      };
      this.tx.afterCommit(() => this.enqueued.emit(message));
      return message;
    });
  }

  /** Unexpired messages of a device, oldest first. */
  pending(deviceId: string): C2dMessage[] {
    return this.stmt.pending.all(deviceId, this.clock.now()).map(toMessage);
  }

  /** Counts a delivery attempt. */
  markDelivered(seq: number): void {
    this.stmt.delivered.run(seq);
  }

  /** Removes a message the device acknowledged. */
  complete(seq: number): void {
    this.stmt.complete.run(seq);
  }

  /** Drops a deleted device's queue (registry hook). */
  removeDevice(deviceId: string): void {
    this.stmt.deleteDevice.run(deviceId);
  }
}
