import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueuedMessage, RouteQueueStore } from '../../../runtime/routing/route-queue-store.js';

/** What routing needs from a store-and-forward queue store (the SQLite one: routing.db). */
export type RouteQueues = Pick<RouteQueueStore, 'enqueueMany' | 'next' | 'remove' | 'purgeExpired' | 'targets' | 'count' | 'close'>;

export interface RouteQueueSubject {
  /** A new, empty store. */
  open(): RouteQueues;
  /** The same store after a restart (closed, then opened again). */
  reopen(store: RouteQueues): RouteQueues;
  /** Removes what `open` created. */
  dispose(): void;
}

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

/** The route queue store contract; a second implementation is tested with one call. */
export function routeQueueStoreContract(name: string, subject: () => RouteQueueSubject): void {
  describe(`${name}: the route queue store contract`, () => {
    let s: RouteQueueSubject;
    let store: RouteQueues;
    beforeEach(() => {
      s = subject();
      store = s.open();
    });
    afterEach(() => {
      store.close();
      s.dispose();
    });
    const bodies = (now = 0) => store.next('d', 'm', now, 100).map((m) => m.body.toString());

    it('returns messages highest priority first, FIFO within a priority, with their properties', () => {
      store.enqueueMany([item(1), item(2, { priority: 0 }), item(3), item(4, { priority: 0 }), item(5, { priority: 2000000000 })], 0);
      expect(bodies()).toEqual(['2', '4', '1', '3', '5']);
      expect(store.next('d', 'm', 0, 1)[0]).toMatchObject({ systemProperties: { mid: 'm2' }, properties: { i: '2' }, inputName: 'in' });
    });

    it('reads on after a (priority, seq) cursor', () => {
      store.enqueueMany([item(1), item(2, { priority: 0 }), item(3)], 0);
      const [first] = store.next('d', 'm', 0, 1);
      expect(store.next('d', 'm', 0, 100, { priority: first!.priority, seq: first!.seq }).map((m) => m.body.toString())).toEqual(['1', '3']);
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
      store = s.reopen(store);
      expect(bodies()).toEqual(['1', '2']);
    });
  });
}
