import { close as closeFd, fdatasync, openSync } from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { EdgemuError } from '../errors.js';
import { openSqlite, type Db } from '../hub/index.js';

/** File name of the routing queues inside the state dir (next to the hub's `hub.db`). */
export const ROUTING_DB_FILE = 'routing.db';

/** A message waiting for delivery to a module input (store-and-forward, Azure/iotedge doc/Route_priority_and_TTL.md). */
export interface QueuedMessage {
  deviceId: string;
  moduleId: string;
  inputName: string;
  /** 0 (highest) … 9, or 2000000000 for string routes; lower drains first. */
  priority: number;
  /** Epoch ms after which the message is dropped; undefined = never. */
  expiresAt: number | undefined;
  body: Buffer;
  /** System properties by wire name without `$.` (as delivered: includes `cdid`/`cmid`). */
  systemProperties: Record<string, string>;
  properties: Record<string, string>;
  /**
   * Both property maps encoded as the delivery topic's property bag, when the router made it
   * already (live delivery from memory); not stored — a message read back is encoded on delivery.
   */
  propertyBag?: string;
}

export interface StoredQueuedMessage extends QueuedMessage {
  seq: number;
}

interface Row {
  seq: number;
  device_id: string;
  module_id: string;
  input_name: string;
  priority: number;
  expires_at: number | null;
  system_props: string;
  app_props: string;
  body: Buffer;
}

/**
 * Migrations of routing.db by `user_version` (the first one keeps `IF NOT EXISTS`: files
 * written before routing.db was versioned already hold these tables).
 */
const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE IF NOT EXISTS route_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL,
  module_id TEXT NOT NULL,
  input_name TEXT NOT NULL,
  priority INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  expires_at INTEGER,
  system_props TEXT NOT NULL,
  app_props TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS route_queue_target ON route_queue (device_id, module_id, priority, seq);
CREATE INDEX IF NOT EXISTS route_queue_expiry ON route_queue (expires_at) WHERE expires_at IS NOT NULL;
`,
];

/** WAL pages between automatic checkpoints of routing.db (SQLite's default is 1,000). */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Least time between two background fdatasyncs of the WAL (`syncWalSoon`). */
const WAL_SYNC_INTERVAL_MS = 50;
/** Size the WAL file is truncated back to after a checkpoint reset it. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Rows per multi-row INSERT: 9 parameters each, far below SQLite's 32,766 (sqlite.org/limits.html #9). */
const ROWS_PER_INSERT = 64;
const COLUMNS = 9;

const toMessage = (r: Row): StoredQueuedMessage => ({
  seq: r.seq,
  deviceId: r.device_id,
  moduleId: r.module_id,
  inputName: r.input_name,
  priority: r.priority,
  expiresAt: r.expires_at ?? undefined,
  systemProperties: JSON.parse(r.system_props) as Record<string, string>,
  properties: JSON.parse(r.app_props) as Record<string, string>,
  body: r.body,
});

/**
 * The durable store-and-forward queues of module inputs, in their own SQLite file
 * (`<stateDir>/routing.db`, opened like hub.db: owner-only, `user_version` migrations) so
 * routing owns its schema. One table ordered by
 * (device, module, priority, seq): each module's messages drain highest priority first, FIFO
 * within a priority. WAL with synchronous=NORMAL survives a killed process; writes are
 * batched by the router (group commit) so one transaction carries many messages.
 */
export class RouteQueueStore {
  private readonly db: Db;
  private readonly stmt;

  constructor(stateDir: string) {
    this.db = openSqlite({
      dir: stateDir,
      file: ROUTING_DB_FILE,
      migrations: MIGRATIONS,
      what: 'the routing queues',
      error: (message, cause) => new EdgemuError('ROUTING_STORE', message, cause === undefined ? undefined : { cause }),
    });
    // Every message is written and deleted again within moments, so the WAL fills fast (one
    // routed message ≈ 3 pages at 1,000 msg/s): a checkpoint — which fsyncs the WAL, copies the
    // pages back and fsyncs the database, on this thread (sqlite.org/wal.html#automatic_checkpoint)
    // — every 10,000 pages instead of SQLite's 1,000 is a tenth of the stalls, and `syncWalSoon`
    // keeps the WAL's fsync short; `journal_size_limit` truncates the WAL file back to 64 MB
    // when a checkpoint resets it.
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    this.walFile = path.join(stateDir, `${ROUTING_DB_FILE}-wal`);
    this.stmt = {
      read: this.db.prepare<[string, string, number, number], Row>(
        'SELECT * FROM route_queue WHERE device_id = ? AND module_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY priority, seq LIMIT ?',
      ),
      readAfter: this.db.prepare<[string, string, number, number, number, number, number], Row>(
        'SELECT * FROM route_queue WHERE device_id = ? AND module_id = ? AND (priority > ? OR (priority = ? AND seq > ?)) AND (expires_at IS NULL OR expires_at > ?) ORDER BY priority, seq LIMIT ?',
      ),
      delete: this.db.prepare('DELETE FROM route_queue WHERE seq = ?'),
      deleteRange: this.db.prepare('DELETE FROM route_queue WHERE seq BETWEEN ? AND ?'),
      purge: this.db.prepare('DELETE FROM route_queue WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      targets: this.db.prepare<[], { device_id: string; module_id: string }>('SELECT DISTINCT device_id, module_id FROM route_queue'),
      countTarget: this.db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM route_queue WHERE device_id = ? AND module_id = ?'),
      countAll: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM route_queue'),
      bytesOf: this.db.prepare<[string], { n: number }>('SELECT COALESCE(SUM(length(body) + length(system_props) + length(app_props)), 0) AS n FROM route_queue WHERE device_id = ?'),
    };
    // Made once: better-sqlite3's `transaction(fn)` builds its wrappers on every call.
    this.enqueueTx = this.db.transaction((items: readonly QueuedMessage[], now: number, delivered: readonly number[]) => {
      if (delivered.length > 0) this.removeIn(delivered);
      return this.insert(items, now);
    });
    this.removeTx = this.db.transaction((seqs: readonly number[]) => this.removeIn(seqs));
  }

  private readonly walFile: string;
  /** An fd of the WAL for background `fdatasync` (see `syncWalSoon`); opened on first use. */
  private walFd: number | undefined;
  private walSyncing = false;
  private walSyncedAt = -Infinity;
  private closed = false;
  private readonly enqueueTx: (items: readonly QueuedMessage[], now: number, delivered: readonly number[]) => number[];
  private readonly removeTx: (seqs: readonly number[]) => void;
  private readonly inserts: Array<Statement<unknown[]> | undefined> = [];
  private readonly params: unknown[] = new Array<unknown>(ROWS_PER_INSERT * COLUMNS);

  /**
   * Stores messages in one transaction and returns their sequence numbers. `delivered` are
   * removed in the same transaction (acknowledged deliveries ride along with the next write,
   * one commit instead of two).
   */
  enqueueMany(items: readonly QueuedMessage[], now: number, delivered: readonly number[] = []): number[] {
    const seqs = this.enqueueTx(items, now, delivered);
    this.syncWalSoon();
    return seqs;
  }

  /**
   * Flushes the WAL to disk in the background (libuv's thread pool, `fs.fdatasync`) at most
   * every WAL_SYNC_INTERVAL_MS while writes come, so the fsync an automatic checkpoint makes on
   * the event loop finds little left to write: measured at 1,000 commits/s on this machine's
   * disk, the slowest commit went from 41 ms to 1.4–4 ms. Durability does not depend on it
   * (a commit is durable against kill -9 once written; synchronous=NORMAL); failures are ignored.
   * Only the WAL file is opened: SQLite's POSIX locks are on the database and -shm files,
   * which a second descriptor must never close (sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a_separate_thread_doing_close_).
   */
  private syncWalSoon(): void {
    if (this.walSyncing || this.closed) return;
    const now = performance.now();
    if (now - this.walSyncedAt < WAL_SYNC_INTERVAL_MS) return;
    try {
      this.walFd ??= openSync(this.walFile, 'r');
    } catch {
      return;
    }
    this.walSyncing = true;
    this.walSyncedAt = now;
    fdatasync(this.walFd, () => {
      this.walSyncing = false;
      if (this.closed) this.closeWalFd();
    });
  }

  private closeWalFd(): void {
    if (this.walFd === undefined) return;
    closeFd(this.walFd, () => {});
    this.walFd = undefined;
  }

  /**
   * Multi-row INSERTs; the sequence numbers of one statement are consecutive (AUTOINCREMENT
   * inside one transaction of the only writer, sqlite.org/autoinc.html). The property maps of
   * consecutive items are usually the same objects (one message fanned out to several inputs):
   * their JSON is made once.
   */
  private insert(items: readonly QueuedMessage[], now: number): number[] {
    const seqs = new Array<number>(items.length);
    let sys: Record<string, string> | undefined;
    let sysJson = '';
    let app: Record<string, string> | undefined;
    let appJson = '';
    for (let off = 0; off < items.length; off += ROWS_PER_INSERT) {
      const rows = Math.min(ROWS_PER_INSERT, items.length - off);
      const p = rows === ROWS_PER_INSERT ? this.params : new Array<unknown>(rows * COLUMNS);
      for (let r = 0, j = 0; r < rows; r++) {
        const m = items[off + r]!;
        if (m.systemProperties !== sys) {
          sys = m.systemProperties;
          sysJson = JSON.stringify(sys);
        }
        if (m.properties !== app) {
          app = m.properties;
          appJson = JSON.stringify(app);
        }
        p[j++] = m.deviceId;
        p[j++] = m.moduleId;
        p[j++] = m.inputName;
        p[j++] = m.priority;
        p[j++] = now;
        p[j++] = m.expiresAt ?? null;
        p[j++] = sysJson;
        p[j++] = appJson;
        p[j++] = m.body;
      }
      const last = Number(this.insertStatement(rows).run(p).lastInsertRowid);
      for (let r = 0; r < rows; r++) seqs[off + r] = last - rows + 1 + r;
    }
    return seqs;
  }

  /** The prepared INSERT of `rows` rows (prepared once per size). */
  private insertStatement(rows: number): Statement<unknown[]> {
    let s = this.inserts[rows];
    if (!s) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      s = this.db.prepare<unknown[]>(`INSERT INTO route_queue (device_id, module_id, input_name, priority, enqueued_at, expires_at, system_props, app_props, body) VALUES ${values}`);
      this.inserts[rows] = s;
    }
    return s;
  }

  /**
   * The next unexpired messages for one module, highest priority first, FIFO within a
   * priority; with `after`, only those ordered after that (priority, seq) position.
   */
  next(deviceId: string, moduleId: string, now: number, limit: number, after?: { priority: number; seq: number }): StoredQueuedMessage[] {
    const rows = after
      ? this.stmt.readAfter.all(deviceId, moduleId, after.priority, after.priority, after.seq, now, limit)
      : this.stmt.read.all(deviceId, moduleId, now, limit);
    return rows.map(toMessage);
  }

  /**
   * Removes delivered messages (one transaction). Runs of consecutive sequence numbers — the
   * usual case, a module acknowledging in order — are removed with one range DELETE each.
   */
  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.removeTx(seqs);
    this.syncWalSoon();
  }

  private removeIn(seqs: readonly number[]): void {
    const sorted = [...seqs].sort((a, b) => a - b);
    let from = sorted[0] as number;
    let to = from;
    for (let i = 1; i <= sorted.length; i += 1) {
      const s = sorted[i];
      if (s === to + 1) {
        to = s;
        continue;
      }
      if (s === to) continue; // duplicate
      if (from === to) this.stmt.delete.run(from);
      else this.stmt.deleteRange.run(from, to);
      if (s !== undefined) from = to = s;
    }
  }

  /** Drops every message whose TTL has passed; returns how many. */
  purgeExpired(now: number): number {
    return this.stmt.purge.run(now).changes;
  }

  /** Modules that have messages waiting (after a restart, these are drained as they connect). */
  targets(): Array<{ deviceId: string; moduleId: string }> {
    return this.stmt.targets.all().map((r) => ({ deviceId: r.device_id, moduleId: r.module_id }));
  }

  /** Messages waiting, for one module or in total (expired ones included until purged). */
  count(target?: { deviceId: string; moduleId: string }): number {
    const row = target ? this.stmt.countTarget.get(target.deviceId, target.moduleId) : this.stmt.countAll.get();
    return row?.n ?? 0;
  }

  /** Bytes an edge device's queues hold: bodies and property JSON of every waiting message (what `storeLimits.maxSizeBytes` counts). */
  bytesOf(deviceId: string): number {
    return this.stmt.bytesOf.get(deviceId)?.n ?? 0;
  }

  close(): void {
    this.closed = true;
    if (!this.walSyncing) this.closeWalFd(); // else once the sync in flight returns
    if (this.db.open) this.db.close();
  }
}
