import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTING_DB_FILE, RouteQueueStore, type QueuedMessage } from '../../../runtime/routing/route-queue-store.js';
import { EdgemuError } from '../../../runtime/errors.js';

const item = (i: number, over: Partial<QueuedMessage> = {}): QueuedMessage => ({
  deviceId: 'd',
  moduleId: 'm',
  inputName: 'in',
  priority: 5,
  expiresAt: undefined,
  body: Buffer.from(String(i)),
  systemProperties: { mid: `m${i}` },
  properties: { i: String(i) },
  ...over,
});

describe('RouteQueueStore (routing.db)', () => {
  let dir: string;
  let store: RouteQueueStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-queue-'));
    store = new RouteQueueStore(dir);
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bodies = (now = 0) => store.next('d', 'm', now, 100).map((m) => m.body.toString());

  it('returns messages highest priority first, FIFO within a priority, with their properties', () => {
    store.enqueueMany([item(1), item(2, { priority: 0 }), item(3), item(4, { priority: 0 }), item(5, { priority: 2000000000 })], 0);
    expect(bodies()).toEqual(['2', '4', '1', '3', '5']);
    expect(store.next('d', 'm', 0, 1)[0]).toMatchObject({ systemProperties: { mid: 'm2' }, properties: { i: '2' }, inputName: 'in' });
  });

  it('removes exactly the given messages, in runs or alone, duplicates tolerated', () => {
    const seqs = store.enqueueMany(Array.from({ length: 10 }, (_, i) => item(i + 1)), 0);
    const pick = (ns: number[]) => ns.map((n) => seqs[n - 1] as number);
    store.remove(pick([1, 2, 3, 5, 8, 7, 8]));
    expect(bodies()).toEqual(['4', '6', '9', '10']);
    store.remove([]);
    expect(store.count()).toBe(4);
  });

  it('removes acknowledged messages in the same transaction as the next write', () => {
    const first = store.enqueueMany([item(1), item(2), item(3)], 0);
    store.enqueueMany([item(4)], 0, [first[0] as number, first[2] as number]);
    expect(bodies()).toEqual(['2', '4']);
  });

  it('hides and purges expired messages', () => {
    store.enqueueMany([item(1, { expiresAt: 1000 }), item(2, { expiresAt: 5000 }), item(3)], 0);
    expect(bodies(999)).toEqual(['1', '2', '3']);
    expect(bodies(1000)).toEqual(['2', '3']);
    expect(store.purgeExpired(6000)).toBe(2);
    expect(store.count()).toBe(1);
  });

  it('keeps separate queues per module and lists the modules with messages', () => {
    store.enqueueMany([item(1), item(2, { moduleId: 'other' }), item(3, { deviceId: 'd2' })], 0);
    expect(store.count({ deviceId: 'd', moduleId: 'm' })).toBe(1);
    expect(store.targets().map((t) => `${t.deviceId}/${t.moduleId}`).sort()).toEqual(['d/m', 'd/other', 'd2/m']);
  });

  it('keeps messages across close and reopen', () => {
    store.enqueueMany([item(1), item(2)], 0);
    store.close();
    store = new RouteQueueStore(dir);
    expect(bodies()).toEqual(['1', '2']);
  });

  it('refuses a routing.db that is not a database with a clear error', () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'edgemu-queue-bad-'));
    try {
      writeFileSync(path.join(bad, ROUTING_DB_FILE), 'this is not sqlite '.repeat(100));
      let error: unknown;
      try {
        new RouteQueueStore(bad).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EdgemuError);
      expect((error as EdgemuError).code).toBe('ROUTING_STORE');
      expect((error as Error).message).toContain('cannot open the routing queues');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
