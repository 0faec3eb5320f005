import { afterEach, describe, expect, it } from 'vitest';
import type { HubMessage, MessageStore } from '../../../runtime/hub/index.js';

/** What the hub, routing, `edgemu monitor` and the service API need from a message store (the SQLite one: hub.db). */
export type Messages = Pick<MessageStore, 'enqueue' | 'persist' | 'appendMany' | 'read' | 'subscribe'>;

export interface MessageStoreSubject {
  messages: Messages;
  close(): void;
}

const msg = (i: number, deviceId = 'd1'): HubMessage => ({
  deviceId,
  body: Buffer.from(`m${i}`),
  systemProperties: { mid: `${i}` },
  properties: { i: `${i}` },
  enqueuedTimeUtc: new Date(Date.parse('2026-11-28T00:00:00.000Z')).toISOString(),
});

/** The message store contract: bounded, ordered, durable once `enqueue` resolves, live subscriptions. */
export function messageStoreContract(name: string, open: (options: { maxMessages: number }) => MessageStoreSubject): void {
  describe(`${name}: the message store contract`, () => {
    const opened: MessageStoreSubject[] = [];
    const subject = (maxMessages: number) => {
      const s = open({ maxMessages });
      opened.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of opened.splice(0)) s.close();
    });

    it('batches concurrent enqueues, keeps only the newest maxMessages and notifies subscribers', async () => {
      const { messages } = subject(5);
      const live: number[] = [];
      messages.subscribe((m) => live.push(m.seq), { deviceId: 'd1' });
      const stored = await Promise.all(Array.from({ length: 8 }, (_, i) => messages.enqueue(msg(i))));
      expect(stored.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(live).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const kept = messages.read();
      expect(kept.map((m) => m.body.toString())).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
      expect(kept[0]).toMatchObject({ endpoint: '$upstream', properties: { i: '3' }, systemProperties: { mid: '3' } });
    });

    it('persists more messages than one multi-row INSERT holds, in order, with empty and non-empty properties, and tells subscribers each', async () => {
      const { messages } = subject(10_000);
      const live: number[] = [];
      messages.subscribe((m) => live.push(m.seq));
      const bare = (i: number): HubMessage => ({ ...msg(i), systemProperties: {}, properties: {}, moduleId: 'm', outputName: 'out' });
      await Promise.all(Array.from({ length: 150 }, (_, i) => messages.persist(i % 2 ? msg(i) : bare(i))));
      const kept = messages.read({}, 1000);
      expect(kept.map((m) => m.body.toString())).toEqual(Array.from({ length: 150 }, (_, i) => `m${i}`));
      expect(kept.map((m) => m.seq)).toEqual(live);
      expect(kept[0]).toMatchObject({ moduleId: 'm', outputName: 'out', systemProperties: {}, properties: {} });
      expect(kept[1]).toMatchObject({ moduleId: undefined, systemProperties: { mid: '1' }, properties: { i: '1' } });
    });

    it('reads matching messages past pages of other devices’ messages', () => {
      const { messages } = subject(10_000);
      messages.appendMany(Array.from({ length: 1200 }, (_, i) => ({ message: msg(i, 'noisy'), endpoint: '$upstream' })));
      messages.appendMany([{ message: msg(9999), endpoint: '$upstream' }]);
      expect(messages.read({ deviceId: 'd1' }, 10).map((m) => m.body.toString())).toEqual(['m9999']);
      expect(messages.read({ deviceId: 'noisy' }, 3).map((m) => m.seq)).toEqual([1, 2, 3]);
    });
  });
}
