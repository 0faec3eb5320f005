import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite-db.js';
import { toMessage, type Row, type StoredMessage } from './message-store.js';

/**
 * One stored event as SQLite returns it to a partition reader: a raw row (an array, not an
 * object per row) of the columns the Event Hubs encoder needs, properties still JSON text.
 */
export type EventRow = readonly [
  seq: number,
  deviceId: string,
  moduleId: string | null,
  outputName: string | null,
  enqueuedAt: string,
  systemProps: string,
  appProps: string,
  body: Buffer,
];

/** Messages indexed per catch-up transaction (a first reader on a full store indexes it in steps). */
const CATCH_UP_BATCH = 10_000;

/**
 * Which partition of the Event Hubs-compatible endpoint each stored message of one endpoint
 * lies in (table `event_partitions`, schema.ts migration 3), so a partition receiver reads from
 * its position in O(batch) instead of scanning every partition's messages. The index is derived
 * data, filled on demand: each read first indexes the messages stored since the last one (each
 * message once, by the hub process that also writes the store), so the ingest path does not
 * change. Rows are keyed by the partition count, so a hub started with another count indexes
 * anew; rows of messages the store pruned are deleted as the index catches up.
 */
export class EventPartitionIndex {
  private readonly stmt: {
    indexed: Statement<[string], { value: string }>;
    setIndexed: Statement<[string, string]>;
    pending: Statement<[string, number, number], { seq: number; device_id: string }>;
    add: Statement<[number, number, number]>;
    prune: Statement<[number, number, number]>;
    minSeq: Statement<[], { seq: number | null }>;
    read: Statement<[number, number, number, number], EventRow>;
    first: Statement<[number, number, number], { seq: number }>;
    last: Statement<[number, number], Row>;
    dropOthers: Statement<[number]>;
  };
  private readonly metaKey: string;
  private readonly partitions = new Map<string, number>();
  private indexedSeq: number;

  constructor(
    private readonly db: Db,
    private readonly partitionCount: number,
    private readonly partitionOf: (deviceId: string) => number,
    private readonly endpoint = '$upstream',
  ) {
    this.metaKey = `event_partitions.indexed.${partitionCount}`;
    this.stmt = {
      indexed: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setIndexed: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      pending: db.prepare('SELECT seq, device_id FROM messages WHERE endpoint = ? AND seq > ? ORDER BY seq LIMIT ?'),
      add: db.prepare('INSERT OR IGNORE INTO event_partitions (partition_count, partition, seq) VALUES (?, ?, ?)'),
      prune: db.prepare('DELETE FROM event_partitions WHERE partition_count = ? AND partition = ? AND seq < ?'),
      minSeq: db.prepare('SELECT MIN(seq) AS seq FROM messages'),
      read: db
        .prepare<[number, number, number, number], EventRow>(
          'SELECT m.seq, m.device_id, m.module_id, m.output_name, m.enqueued_at, m.system_props, m.app_props, m.body FROM event_partitions i JOIN messages m ON m.seq = i.seq WHERE i.partition_count = ? AND i.partition = ? AND i.seq > ? ORDER BY i.seq LIMIT ?',
        )
        .raw(true),
      first: db.prepare('SELECT seq FROM event_partitions WHERE partition_count = ? AND partition = ? AND seq >= ? ORDER BY seq LIMIT 1'),
      last: db.prepare('SELECT m.* FROM event_partitions i JOIN messages m ON m.seq = i.seq WHERE i.partition_count = ? AND i.partition = ? ORDER BY i.seq DESC LIMIT 1'),
      dropOthers: db.prepare("DELETE FROM event_partitions WHERE partition_count <> ?"),
    };
    db.transaction(() => {
      this.stmt.dropOthers.run(partitionCount);
      db.prepare("DELETE FROM meta WHERE key LIKE 'event_partitions.indexed.%' AND key <> ?").run(this.metaKey);
    })();
    this.indexedSeq = Number(this.stmt.indexed.get(this.metaKey)?.value ?? 0);
  }

  /** Partition `p`'s messages with a sequence number above `afterSeq`, oldest first, at most `limit`. */
  read(p: number, afterSeq: number, limit: number): StoredMessage[] {
    return this.readRows(p, afterSeq, limit).map((r) =>
      toMessage({ seq: r[0], endpoint: this.endpoint, device_id: r[1], module_id: r[2], output_name: r[3], enqueued_at: r[4], system_props: r[5], app_props: r[6], body: r[7] }),
    );
  }

  /** The same as `read`, as raw rows (the Event Hubs reader's hot path: no object, no JSON parsed per event). */
  readRows(p: number, afterSeq: number, limit: number): EventRow[] {
    this.catchUp();
    return this.stmt.read.all(this.partitionCount, p, afterSeq, limit);
  }

  /** The first sequence number and the last message still stored in partition `p`. */
  bounds(p: number): { firstSeq: number | undefined; last: StoredMessage | undefined } {
    this.catchUp();
    const min = this.stmt.minSeq.get()?.seq ?? 0;
    const first = this.stmt.first.get(this.partitionCount, p, min)?.seq;
    const last = this.stmt.last.get(this.partitionCount, p);
    return { firstSeq: first, last: last && toMessage(last) };
  }

  /** Indexes the messages stored since the last call, and forgets those the store pruned. */
  catchUp(): void {
    for (;;) {
      const rows = this.stmt.pending.all(this.endpoint, this.indexedSeq, CATCH_UP_BATCH);
      if (rows.length === 0) return;
      this.db.transaction(() => {
        for (const r of rows) this.stmt.add.run(this.partitionCount, this.partitionFor(r.device_id), r.seq);
        this.indexedSeq = rows.at(-1)!.seq;
        this.stmt.setIndexed.run(this.metaKey, String(this.indexedSeq));
        const min = this.stmt.minSeq.get()?.seq;
        if (min != null) for (let p = 0; p < this.partitionCount; p++) this.stmt.prune.run(this.partitionCount, p, min);
      })();
      if (rows.length < CATCH_UP_BATCH) return;
    }
  }

  private partitionFor(deviceId: string): number {
    let p = this.partitions.get(deviceId);
    if (p === undefined) {
      p = this.partitionOf(deviceId);
      if (this.partitions.size > 100_000) this.partitions.clear();
      this.partitions.set(deviceId, p);
    }
    return p;
  }
}
