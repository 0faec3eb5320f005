import type { Db, TxRunner } from './sqlite-db.js';
import { Listeners } from './listeners.js';
import { createGroupCommit, type GroupCommit } from '../group-commit.js';

/**
 * A device-to-cloud message or module output as the hub accepted it (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub):
 * the raw body, system properties by wire name without `$.` (`mid`, `cid`, `ct`, `ce`, `on`,
 * …), application properties, where it came from and when the hub enqueued it.
 */
export interface HubMessage {
  deviceId: string;
  /** Set for a module's message (sendEvent or sendOutputEvent from a ModuleClient). */
  moduleId?: string | undefined;
  /** `$.on`: the module output the message was sent to. */
  outputName?: string | undefined;
  body: Buffer;
  systemProperties: Record<string, string>;
  properties: Record<string, string>;
  /** ISO-8601 time the hub accepted the message (`iothub-enqueuedtime`). */
  enqueuedTimeUtc: string;
}

/** A stored message: the message, its endpoint (`$upstream` for telemetry) and its sequence number. */
export interface StoredMessage extends HubMessage {
  seq: number;
  endpoint: string;
}

/** Filters for reading and subscribing. */
export interface MessageFilter {
  /** Only sequence numbers greater than this. */
  afterSeq?: number;
  endpoint?: string;
  deviceId?: string;
  moduleId?: string;
}

interface Row {
  seq: number;
  endpoint: string;
  device_id: string;
  module_id: string | null;
  output_name: string | null;
  enqueued_at: string;
  system_props: string;
  app_props: string;
  body: Buffer;
}

const toMessage = (r: Row): StoredMessage => ({
  seq: r.seq,
  endpoint: r.endpoint,
  deviceId: r.device_id,
  moduleId: r.module_id ?? undefined,
  outputName: r.output_name ?? undefined,
  enqueuedTimeUtc: r.enqueued_at,
  systemProperties: JSON.parse(r.system_props) as Record<string, string>,
  properties: JSON.parse(r.app_props) as Record<string, string>,
  body: r.body,
});

export const matchesFilter = (m: StoredMessage, f: MessageFilter): boolean =>
  (f.afterSeq === undefined || m.seq > f.afterSeq) &&
  (f.endpoint === undefined || m.endpoint === f.endpoint) &&
  (f.deviceId === undefined || m.deviceId === f.deviceId) &&
  (f.moduleId === undefined || m.moduleId === f.moduleId);

/**
 * The bounded, durable message store: the hub's default router writes accepted telemetry
 * here as endpoint `$upstream`; `edgemu monitor` and the service API read and subscribe.
 * It keeps at most `maxMessages` (oldest dropped first). `enqueue` batches writes (group
 * commit) and resolves once the message is durable.
 */
export class MessageStore {
  readonly appended: Listeners<StoredMessage>;
  private readonly stmt;
  private readonly group: GroupCommit<{ message: HubMessage; endpoint: string }, StoredMessage>;

  constructor(
    db: Db,
    private readonly tx: TxRunner,
    private readonly maxMessages: number,
    onListenerError: (error: unknown) => void,
  ) {
    this.appended = new Listeners(onListenerError);
    this.stmt = {
      insert: db.prepare(
        'INSERT INTO messages (endpoint, device_id, module_id, output_name, enqueued_at, system_props, app_props, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      prune: db.prepare('DELETE FROM messages WHERE seq <= ?'),
      read: db.prepare<[number, number], Row>('SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?'),
      readEndpoint: db.prepare<[string, number, number], Row>('SELECT * FROM messages WHERE endpoint = ? AND seq > ? ORDER BY seq LIMIT ?'),
      last: db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM messages'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM messages'),
    };
    this.group = createGroupCommit((items) => this.appendMany(items));
  }

  /** Stores one message durably, batched with others of the same event-loop turn. */
  enqueue(message: HubMessage, endpoint = '$upstream'): Promise<StoredMessage> {
    return this.group.submit({ message, endpoint });
  }

  /** Stores messages in one transaction (synchronously) and notifies subscribers after commit. */
  appendMany(items: ReadonlyArray<{ message: HubMessage; endpoint: string }>): StoredMessage[] {
    return this.tx.run(() => {
      const stored: StoredMessage[] = [];
      for (const { message: m, endpoint } of items) {
        const r = this.stmt.insert.run(
          endpoint,
          m.deviceId,
          m.moduleId ?? null,
          m.outputName ?? null,
          m.enqueuedTimeUtc,
          JSON.stringify(m.systemProperties),
          JSON.stringify(m.properties),
          m.body,
        );
        stored.push({ ...m, endpoint, seq: Number(r.lastInsertRowid) });
      }
      const last = stored.at(-1)?.seq;
      if (last !== undefined && last > this.maxMessages) this.stmt.prune.run(last - this.maxMessages);
      if (this.appended.size > 0) this.tx.afterCommit(() => stored.forEach((s) => this.appended.emit(s)));
      return stored;
    });
  }

  /** Reads stored messages matching `filter` in order (oldest first), at most `limit`. */
  read(filter: MessageFilter = {}, limit = 1000): StoredMessage[] {
    const out: StoredMessage[] = [];
    let cursor = filter.afterSeq ?? 0;
    const page = Math.max(limit, 500);
    while (out.length < limit) {
      const rows = filter.endpoint ? this.stmt.readEndpoint.all(filter.endpoint, cursor, page) : this.stmt.read.all(cursor, page);
      for (const r of rows) {
        const m = toMessage(r);
        if (matchesFilter(m, filter)) out.push(m);
        if (out.length === limit) break;
      }
      if (rows.length < page) break;
      cursor = rows.at(-1)!.seq;
    }
    return out;
  }

  /** The highest sequence number stored so far (0 when empty). */
  lastSeq(): number {
    return this.stmt.last.get()?.seq ?? 0;
  }

  count(): number {
    return this.stmt.count.get()?.n ?? 0;
  }

  /** Live messages (in this process) matching `filter`, after commit. Returns unsubscribe. */
  subscribe(listener: (message: StoredMessage) => void, filter: MessageFilter = {}): () => void {
    return this.appended.add((m) => {
      if (matchesFilter(m, filter)) listener(m);
    });
  }

  /** Writes whatever is still batched (called on shutdown). */
  flush(): void {
    this.group.flush();
  }
}
