import type { Client } from 'aedes';
import { HubError } from '../errors.js';
import type { IdentityRef } from '../identity-id.js';
import type { InputMessage } from '../hub-types.js';
import { encodePropertyBag } from '../property-bag.js';
import type { Listening, Session } from '../session.js';
import type { C2dMessage } from '../store/c2d-queue.js';
import { hubTopics, isInputsFilter } from '../topics.js';
import { PacketIds } from '../connection-table.js';
import type { Broker } from './broker.js';

const FILTERS: Record<Exclude<Listening, 'inputs'>, (identity: IdentityRef) => string> = {
  desired: () => '$iothub/twin/PATCH/properties/desired/#',
  methods: () => '$iothub/methods/POST/#',
  c2d: (identity) => `devices/${identity.deviceId}/messages/devicebound/#`,
};

/**
 * A client connected over MQTT: its granted filters, its QoS 1 packet ids, and the IoT Hub
 * topics each hub→client operation is published on
 * (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub). Answers go QoS 0 to exactly
 * this connection whatever it subscribed to (the SDKs expect twin responses before their
 * SUBACK); C2D and input messages go QoS 1 and resolve on the PUBACK.
 *
 * Every write first checks the connection's write buffer against `writeBufferBytes`: an
 * answer (QoS 0, no retry) that does not fit disconnects the client instead of growing the hub;
 * a QoS 1 delivery that does not fit fails and stays queued for a retry (docs/hub.md "Limits").
 */
export class MqttSession implements Session {
  readonly filters = new Set<string>();
  readonly c2dInflight = new Set<number>();
  private ids: PacketIds | undefined;
  /** The QoS 1 deliveries awaiting their PUBACK; created with the first one (most clients never get one). */
  get packetIds(): PacketIds {
    return (this.ids ??= new PacketIds());
  }
  connectedTimeUtc: string | undefined;

  constructor(
    readonly client: Client,
    readonly identity: IdentityRef,
    readonly expiresAtMs: number,
    private readonly broker: Broker,
    /** Whether this session is still its client id's live one. */
    private readonly isLive: (session: MqttSession) => boolean,
    private readonly writeBufferBytes: number = Number.POSITIVE_INFINITY,
    private readonly onOverflow: (session: MqttSession, buffered: number) => void = () => {},
  ) {}

  /** Bytes handed to the broker whose write has not completed yet (aedes writes asynchronously). */
  private unsent = 0;

  /** Whether `bytes` more fit under the write limit (a single message always fits an empty buffer). */
  private fits(bytes: number): boolean {
    const buffered = this.client.conn.writableLength + this.unsent;
    return buffered === 0 || buffered + bytes <= this.writeBufferBytes;
  }

  /** False (and the connection closed) when the client's unread bytes would pass the write limit. */
  private roomFor(bytes: number): boolean {
    if (this.fits(bytes)) return true;
    const buffered = this.client.conn.writableLength + this.unsent;
    if (!this.client.closed) {
      this.onOverflow(this, buffered);
      this.client.close();
    }
    return false;
  }

  private sendQos0(topic: string, payload: Buffer): Promise<void> {
    if (!this.roomFor(payload.length)) return Promise.resolve();
    this.unsent += payload.length;
    return new Promise<void>((resolve) =>
      this.broker.sendQos0(this.client, topic, payload, () => {
        this.unsent -= payload.length;
        resolve();
      }),
    );
  }

  get clientId(): string {
    return this.client.id;
  }

  listens(what: Listening): boolean {
    if (what !== 'inputs') return this.filters.has(FILTERS[what](this.identity));
    for (const f of this.filters) if (isInputsFilter(this.identity, f)) return true;
    return false;
  }

  twinResponse(rid: string, status: number, body: string, version?: number): Promise<void> {
    return this.sendQos0(hubTopics.twinResponse(status, rid, version), Buffer.from(body));
  }

  desiredPatch(version: number, body: string): void {
    void this.sendQos0(hubTopics.desiredPatch(version), Buffer.from(body));
  }

  methodRequest(methodName: string, rid: string, body: string): void {
    void this.sendQos0(hubTopics.methodRequest(methodName, rid), Buffer.from(body));
  }

  c2d(m: C2dMessage): Promise<void> {
    return this.sendQos1(hubTopics.c2d(m.deviceId, encodePropertyBag({ system: m.systemProperties, app: m.properties })), m.body);
  }

  input(inputName: string, message: InputMessage): Promise<void> {
    const bag = message.propertyBag ?? encodePropertyBag({ system: message.systemProperties ?? {}, app: message.properties ?? {} });
    return this.sendQos1(hubTopics.moduleInput(this.identity.deviceId, this.identity.moduleId!, inputName, bag), message.body);
  }

  close(): void {
    this.client.close();
  }

  /** The connection is gone: deliveries waiting for their PUBACK fail. */
  lost(): void {
    this.ids?.failAll(new HubError('HUB_NOT_CONNECTED', `${this.clientId} disconnected before acknowledging`));
  }

  private sendQos1(topic: string, payload: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.client.closed || !this.isLive(this)) {
        reject(new HubError('HUB_NOT_CONNECTED', `${this.clientId} is not connected`));
        return;
      }
      if (this.packetIds.size >= PacketIds.LIMIT) {
        reject(new HubError('HUB_NOT_CONNECTED', `${this.clientId} has too many unacknowledged messages`));
        return;
      }
      // A QoS 1 delivery is queued durably: past the write limit it stays queued and is retried later.
      if (!this.fits(payload.length)) {
        reject(new HubError('HUB_NOT_CONNECTED', `${this.clientId} has more than ${this.writeBufferBytes} bytes unread; delivery postponed`));
        return;
      }
      const id = this.packetIds.allocate({ resolve, reject });
      this.unsent += payload.length;
      this.broker.sendQos1(this.client, topic, payload, id, (error) => {
        this.unsent -= payload.length;
        if (error) this.packetIds.fail(id, new HubError('HUB_NOT_CONNECTED', `delivery to ${this.clientId} failed: ${error.message}`));
      });
    });
  }
}
