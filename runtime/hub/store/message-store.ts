import type { Statement } from 'better-sqlite3';
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

/** A `messages` row as SQLite returns it (also read by event-partition-index.ts). */
export interface Row {
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

export const toMessage = (r: Row): StoredMessage => ({
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

const stored = ({ message: m, endpoint }: Pending, seq: number): StoredMessage => ({
  deviceId: m.deviceId,
  moduleId: m.moduleId,
  outputName: m.outputName,
  body: m.body,
  systemProperties: m.systemProperties,
  properties: m.properties,
  enqueuedTimeUtc: m.enqueuedTimeUtc,
  seq,
  endpoint,
});

export const matchesFilter = (m: StoredMessage, f: MessageFilter): boolean =>
  (f.afterSeq === undefined || m.seq > f.afterSeq) &&
  (f.endpoint === undefined || m.endpoint === f.endpoint) &&
  (f.deviceId === undefined || m.deviceId === f.deviceId) &&
  (f.moduleId === undefined || m.moduleId === f.moduleId);

/** Rows per multi-row INSERT: 8 parameters each, far below SQLite's 32,766 (sqlite.org/limits.html #9). */
const ROWS_PER_INSERT = 64;
const COLUMNS = 8;
const EMPTY_JSON = '{}';
/** JSON of a property map; the empty map (most messages' application or system properties) costs nothing. */
const propsJson = (props: Record<string, string>): string => {
  for (const _ in props) return JSON.stringify(props);
  return EMPTY_JSON;
};

interface Pending {
  message: HubMessage;
  endpoint: string;
}

/**
 * The bounded, durable message store: the hub's default router writes accepted telemetry
 * here as endpoint `$upstream`; `edgemu monitor` and the service API read and subscribe.
 * It keeps at most `maxMessages` (oldest dropped first). `enqueue` and `persist` batch writes
 * (group commit, multi-row INSERTs) and resolve once the message is durable (docs/hub.md,
 * "Durability").
 */
export class MessageStore {
  readonly appended: Listeners<StoredMessage>;
  private readonly stmt;
  private readonly inserts: Array<Statement<unknown[]> | undefined> = [];
  private readonly params: unknown[] = new Array<unknown>(ROWS_PER_INSERT * COLUMNS);
  private readonly group: GroupCommit<Pending, StoredMessage>;

  constructor(
    private readonly db: Db,
    private readonly tx: TxRunner,
    private readonly maxMessages: number,
    onListenerError: (error: unknown) => void,
  ) {
    this.appended = new Listeners(onListenerError);
    this.stmt = {
      prune: db.prepare('DELETE FROM messages WHERE seq <= ?'),
      read: db.prepare<[number, number], Row>('SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?'),
      readEndpoint: db.prepare<[string, number, number], Row>('SELECT * FROM messages WHERE endpoint = ? AND seq > ? ORDER BY seq LIMIT ?'),
      last: db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM messages'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM messages'),
    };
    this.group = createGroupCommit((items) => {
      const first = this.insert(items);
      return (i) => stored(items[i]!, first + i);
    });
  }

  /** Stores one message durably, batched with others of the same event-loop turn; resolves with it as stored. */
  enqueue(message: HubMessage, endpoint = '$upstream'): Promise<StoredMessage> {
    return this.group.submit({ message, endpoint });
  }

  /**
   * Like `enqueue` without the stored copy: the returned promise is the whole batch's, settled
   * once it is durable — what the hub acknowledges a QoS 1 PUBLISH on.
   */
  persist(message: HubMessage, endpoint = '$upstream'): Promise<void> {
    return this.group.join({ message, endpoint });
  }

  /** Stores messages in one transaction (synchronously) and notifies subscribers after commit. */
  appendMany(items: ReadonlyArray<Pending>): StoredMessage[] {
    const first = this.insert(items);
    return items.map((item, i) => stored(item, first + i));
  }

  /**
   * Inserts `items` in one transaction with multi-row INSERTs and prunes to `maxMessages`;
   * returns the first sequence number (the rest follow one by one: AUTOINCREMENT inside one
   * IMMEDIATE transaction, sqlite.org/autoinc.html). Subscribers hear of them after the commit.
   */
  private insert(items: ReadonlyArray<Pending>): number {
    return this.tx.run(() => {
      let last = 0;
      for (let off = 0; off < items.length; off += ROWS_PER_INSERT) {
        const rows = Math.min(ROWS_PER_INSERT, items.length - off);
        const p = rows === ROWS_PER_INSERT ? this.params : new Array<unknown>(rows * COLUMNS);
        for (let r = 0, j = 0; r < rows; r++) {
          const { message: m, endpoint } = items[off + r]!;
          p[j++] = endpoint;
          p[j++] = m.deviceId;
          p[j++] = m.moduleId ?? null;
          p[j++] = m.outputName ?? null;
          p[j++] = m.enqueuedTimeUtc;
          p[j++] = propsJson(m.systemProperties);
          p[j++] = propsJson(m.properties);
          p[j++] = m.body;
        }
        last = Number(this.insertStatement(rows).run(p).lastInsertRowid);
      }
      if (last > this.maxMessages) this.stmt.prune.run(last - this.maxMessages);
      const first = last - items.length + 1;
      if (this.appended.size > 0 && items.length > 0) this.tx.afterCommit(() => items.forEach((item, i) => this.appended.emit(stored(item, first + i))));
      return first;
    });
  }

  /** The prepared INSERT of `rows` rows (prepared once per size). */
  private insertStatement(rows: number): Statement<unknown[]> {
    let s = this.inserts[rows];
    if (!s) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      s = this.db.prepare<unknown[]>(`INSERT INTO messages (endpoint, device_id, module_id, output_name, enqueued_at, system_props, app_props, body) VALUES ${values}`);
      this.inserts[rows] = s;
    }
    return s;
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
