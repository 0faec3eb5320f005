import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openHubStore, type HubStore } from '../../../runtime/hub/store/hub-store.js';
import { EventPartitionIndex } from '../../../runtime/hub/store/event-partition-index.js';
import { partitionOf } from '../../../runtime/hub/amqp/event-position.js';

/*
 * The Event Hubs partition index over a real hub store (SQLite, migration 3): a partition reads
 * only its own messages from any position, in store order, catches up with messages stored
 * later, survives a reopen, forgets pruned messages, and starts anew for another partition count.
 */
const dirs: string[] = [];
const stores: HubStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string, maxMessages?: number) {
  const stateDir = dir ?? mkdtempSync(path.join(tmpdir(), 'edgemu-eh-index-'));
  if (!dir) dirs.push(stateDir);
  const store = openHubStore({ stateDir, ...(maxMessages ? { maxMessages } : {}) });
  stores.push(store);
  return { store, stateDir };
}

const devices = ['dev-a', 'dev-b', 'dev-c', 'dev-d', 'dev-e', 'dev-f', 'dev-g', 'dev-h'];
const append = (store: HubStore, n: number, endpoint = '$upstream') =>
  store.messages.appendMany(
    Array.from({ length: n }, (_, i) => ({ endpoint, message: { deviceId: devices[i % devices.length]!, body: Buffer.from(`m${i}`), systemProperties: {}, properties: {}, enqueuedTimeUtc: new Date().toISOString() } })),
  );
const indexOf = (store: HubStore, count = 4) => new EventPartitionIndex(store.db, count, (d) => partitionOf(d, count));
const expected = (store: HubStore, p: number, count = 4, afterSeq = 0) =>
  store.messages.read({ endpoint: '$upstream', afterSeq }, 100_000).filter((m) => partitionOf(m.deviceId, count) === p).map((m) => m.seq);

describe('the Event Hubs partition index', () => {
  it("reads each partition's messages, and only those, in store order from any position", () => {
    const { store } = open();
    append(store, 200);
    append(store, 20, 'other-endpoint');
    const index = indexOf(store);
    for (let p = 0; p < 4; p++) {
      const all = expected(store, p);
      expect(index.read(p, 0, 1000).map((m) => m.seq)).toEqual(all);
      const from = all[Math.floor(all.length / 2)]!;
      expect(index.read(p, from, 5).map((m) => m.seq)).toEqual(all.filter((s) => s > from).slice(0, 5));
      if (all.length > 0) expect(index.read(p, 0, 1)[0]!.body.toString()).toMatch(/^m\d+$/);
    }
    expect([0, 1, 2, 3].map((p) => index.read(p, 0, 1000).length).reduce((a, b) => a + b)).toBe(200);
  });

  it('catches up with messages stored after it was built, and keeps what it indexed across a reopen', () => {
    const { store, stateDir } = open();
    append(store, 50);
    expect(indexOf(store).read(0, 0, 1000).map((m) => m.seq)).toEqual(expected(store, 0));
    append(store, 50);
    expect(indexOf(store).read(1, 0, 1000).map((m) => m.seq)).toEqual(expected(store, 1));
    store.close();
    stores.pop();
    const reopened = open(stateDir).store;
    append(reopened, 10);
    const index = indexOf(reopened);
    expect(index.read(2, 0, 1000).map((m) => m.seq)).toEqual(expected(reopened, 2));
    expect((reopened.db.prepare('SELECT COUNT(*) AS n FROM event_partitions').get() as { n: number }).n).toBe(110);
  });

  it('forgets messages the store pruned, and reports the bounds of what is left', () => {
    const { store } = open(undefined, 100);
    append(store, 150);
    const index = indexOf(store);
    const left = expected(store, 3);
    expect(left[0]).toBeGreaterThan(50);
    expect(index.read(3, 0, 1000).map((m) => m.seq)).toEqual(left);
    const { firstSeq, last } = index.bounds(3);
    expect(firstSeq).toBe(left[0]);
    expect(last?.seq).toBe(left.at(-1));
    expect((store.db.prepare('SELECT MIN(seq) AS s FROM event_partitions').get() as { s: number }).s).toBeGreaterThan(50);
  });

  it('indexes anew for another partition count', () => {
    const { store } = open();
    append(store, 40);
    indexOf(store, 4).read(0, 0, 1000);
    const two = indexOf(store, 2);
    expect(two.read(1, 0, 1000).map((m) => m.seq)).toEqual(expected(store, 1, 2));
    expect((store.db.prepare('SELECT DISTINCT partition_count AS c FROM event_partitions').all() as Array<{ c: number }>).map((r) => r.c)).toEqual([2]);
  });

  it('answers an empty partition with nothing', () => {
    const { store } = open();
    expect(indexOf(store).read(0, 0, 10)).toEqual([]);
    expect(indexOf(store).bounds(0)).toEqual({ firstSeq: undefined, last: undefined });
  });
});
