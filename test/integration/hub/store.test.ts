import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openHubStore, HubError, type HubStore, type DesiredChange } from '../../../runtime/hub/index.js';
import type { Clock } from '../../../runtime/clock.js';

let dir: string;
let store: HubStore;
let now = Date.parse('2026-11-28T00:00:00.000Z');
const clock: Clock = { now: () => now, sleep: async () => {} };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-store-'));
  store = openHubStore({ stateDir: dir, clock, maxMessages: 5 });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as HubError).code;
  }
  return undefined;
};

describe('the identity registry', () => {
  it('creates an IoT Edge device with $edgeAgent and $edgeHub module identities and their twins', () => {
    const gw = store.identities.createDevice('gw1', { edge: true });
    expect(gw).toMatchObject({ deviceId: 'gw1', isEdge: true });
    expect(Buffer.from(gw.primaryKey, 'base64')).toHaveLength(32);
    expect(store.identities.listDevice('gw1').map((i) => i.moduleId)).toEqual([undefined, '$edgeAgent', '$edgeHub']);
    expect(store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })).toMatchObject({ moduleId: '$edgeAgent', version: 1 });
  });

  it('refuses duplicates, modules of unknown devices and invalid ids with typed errors', () => {
    store.identities.createDevice('d1');
    expect(code(() => store.identities.createDevice('d1'))).toBe('HUB_DEVICE_EXISTS');
    expect(code(() => store.identities.createModule('nope', 'm'))).toBe('HUB_DEVICE_NOT_FOUND');
    expect(code(() => store.identities.createDevice('a/b'))).toBe('HUB_INVALID_ID');
    expect(code(() => store.identities.createDevice('x'.repeat(129)))).toBe('HUB_INVALID_ID');
    store.identities.createModule('d1', 'm1');
    expect(code(() => store.identities.createModule('d1', 'm1'))).toBe('HUB_MODULE_EXISTS');
  });

  it('deletes a device together with its modules, twins and C2D queue', () => {
    store.identities.createDevice('d1');
    store.identities.createModule('d1', 'm1');
    store.c2d.enqueue('d1', { body: 'x' });
    store.identities.delete({ deviceId: 'd1' });
    expect(store.identities.list()).toEqual([]);
    expect(store.twins.get({ deviceId: 'd1', moduleId: 'm1' })).toBeUndefined();
    expect(store.c2d.pending('d1')).toEqual([]);
    expect(code(() => store.identities.delete({ deviceId: 'd1' }))).toBe('HUB_DEVICE_NOT_FOUND');
  });

  it('keeps one service policy across reopenings', () => {
    const policy = store.identities.servicePolicy();
    const again = openHubStore({ stateDir: dir });
    expect(again.identities.servicePolicy()).toEqual(policy);
    again.close();
  });

  it('sees identities another connection (another process) created', () => {
    const other = openHubStore({ stateDir: dir });
    other.identities.createDevice('fromCli');
    other.close();
    expect(store.identities.get({ deviceId: 'fromCli' })).toBeDefined();
  });
});

describe('twins', () => {
  const ref = { deviceId: 'd1' };
  beforeEach(() => {
    store.identities.createDevice('d1');
  });

  it('merges reported patches, bumps $version and keeps $metadata', () => {
    expect(store.twins.patchReported(ref, { status: 'ok', nested: { a: 1, b: 2 } })).toEqual({ version: 2 });
    now += 1000;
    expect(store.twins.patchReported(ref, { nested: { b: null } })).toEqual({ version: 3 });
    const twin = store.twins.get(ref)!;
    expect(twin.properties.reported).toMatchObject({ status: 'ok', nested: { a: 1 }, $version: 3 });
    expect(twin.properties.reported.$metadata.$lastUpdated).toBe('2026-11-28T00:00:01.000Z');
    expect(store.twins.getDeviceView(ref)).toEqual({ desired: { $version: 1 }, reported: { status: 'ok', nested: { a: 1 }, $version: 3 } });
  });

  it('refuses reported patches that break the rules and leaves the twin untouched', () => {
    expect(code(() => store.twins.patchReported(ref, { 'bad.key': 1 }))).toBe('HUB_INVALID_TWIN');
    expect(code(() => store.twins.patchReported(ref, 'not an object'))).toBe('HUB_INVALID_TWIN');
    store.twins.patchReported(ref, { a: 'x'.repeat(4000) });
    for (let i = 0; i < 7; i++) store.twins.patchReported(ref, { [`k${i}`]: 'y'.repeat(4000) });
    expect(code(() => store.twins.patchReported(ref, { big: 'z'.repeat(4000) }))).toBe('HUB_INVALID_TWIN');
    expect(store.twins.getDeviceView(ref)!.reported.big).toBeUndefined();
  });

  it('announces desired changes after commit with the new $version, and honours If-Match', () => {
    const seen: DesiredChange[] = [];
    store.twins.onDesiredChanged((c) => seen.push(c));
    const t1 = store.twins.patchDesired(ref, { foo: 1 });
    expect(seen).toEqual([{ ref, patch: { foo: 1 }, version: 2 }]);
    expect(code(() => store.twins.patchDesired(ref, { foo: 2 }, { ifMatch: '"AAAAAAAAAAE="' }))).toBe('HUB_PRECONDITION_FAILED');
    store.twins.patchDesired(ref, { foo: 3 }, { ifMatch: `"${t1.etag}"` });
    expect(store.twins.get(ref)!.properties.desired).toMatchObject({ foo: 3, $version: 3 });
  });

  it('replaces desired with a patch that removes what is gone', () => {
    store.twins.patchDesired(ref, { a: 1, b: { c: 1, d: 2 } });
    const seen: DesiredChange[] = [];
    store.twins.onDesiredChanged((c) => seen.push(c));
    store.twins.replaceDesired(ref, { b: { c: 1 }, e: 5 });
    expect(seen[0]!.patch).toEqual({ a: null, b: { d: null }, e: 5 });
    expect(store.twins.getDeviceView(ref)!.desired).toEqual({ b: { c: 1 }, e: 5, $version: 3 });
  });

  it('fires no event when a multi-twin transaction rolls back', () => {
    store.identities.createDevice('d2');
    const seen: DesiredChange[] = [];
    store.twins.onDesiredChanged((c) => seen.push(c));
    expect(() =>
      store.transaction(() => {
        store.twins.patchDesired(ref, { x: 1 });
        store.twins.patchDesired({ deviceId: 'd2' }, { 'bad.key': 1 });
      }),
    ).toThrow(HubError);
    expect(seen).toEqual([]);
    expect(store.twins.getDeviceView(ref)!.desired).toEqual({ $version: 1 });
  });

  it('merges tags and leaves the desired version alone', () => {
    const t = store.twins.update(ref, { tags: { site: 'a', floor: 1 } });
    expect(t.tags).toEqual({ site: 'a', floor: 1 });
    expect(t.properties.desired.$version).toBe(1);
  });
});

describe('messages and C2D', () => {
  const msg = (i: number) => ({ deviceId: 'd1', body: Buffer.from(`m${i}`), systemProperties: { mid: `${i}` }, properties: { i: `${i}` }, enqueuedTimeUtc: new Date(now).toISOString() });

  it('batches concurrent enqueues, keeps only the newest maxMessages and notifies subscribers', async () => {
    const live: number[] = [];
    store.messages.subscribe((m) => live.push(m.seq), { deviceId: 'd1' });
    const stored = await Promise.all(Array.from({ length: 8 }, (_, i) => store.messages.enqueue(msg(i))));
    expect(stored.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(live).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const kept = store.messages.read();
    expect(kept.map((m) => m.body.toString())).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(kept[0]).toMatchObject({ endpoint: '$upstream', properties: { i: '3' }, systemProperties: { mid: '3' } });
  });

  it('reads matching messages past pages of other devices’ messages', () => {
    const big = openHubStore({ stateDir: dir, clock, maxMessages: 10_000 });
    try {
      const other = (i: number) => ({ message: { ...msg(i), deviceId: 'noisy' }, endpoint: '$upstream' });
      big.messages.appendMany(Array.from({ length: 1200 }, (_, i) => other(i)));
      big.messages.appendMany([{ message: msg(9999), endpoint: '$upstream' }]);
      expect(big.messages.read({ deviceId: 'd1' }, 10).map((m) => m.body.toString())).toEqual(['m9999']);
      expect(big.messages.read({ deviceId: 'noisy' }, 3).map((m) => m.seq)).toEqual([1, 2, 3]);
    } finally {
      big.close();
    }
  });

  it('queues C2D per device, expires old ones and refuses more than 50', () => {
    store.identities.createDevice('d1');
    store.c2d.enqueue('d1', { body: 'short', ttlMs: 1000 });
    const kept = store.c2d.enqueue('d1', { body: 'long', messageId: 'mid-1', properties: { a: 'b' } });
    expect(kept.systemProperties).toMatchObject({ mid: 'mid-1', to: '/devices/d1/messages/devicebound' });
    now += 2000;
    expect(store.c2d.pending('d1').map((m) => m.body.toString())).toEqual(['long']);
    for (let i = 0; i < 49; i++) store.c2d.enqueue('d1', { body: `${i}` });
    expect(code(() => store.c2d.enqueue('d1', { body: 'one too many' }))).toBe('HUB_QUEUE_FULL');
    store.c2d.complete(kept.seq);
    expect(store.c2d.pending('d1')).toHaveLength(49);
  });
});

describe('sessions', () => {
  it('forgets the sessions of deleted identities, a device’s modules included, and nobody else’s', () => {
    store.identities.createDevice('d1');
    store.identities.createModule('d1', 'm1');
    store.identities.createDevice('d10');
    for (const id of ['d1', 'd1/m1', 'd10']) store.sessions.add(id, '$iothub/twin/res/#');
    store.identities.delete({ deviceId: 'd1', moduleId: 'm1' });
    expect(store.sessions.filters('d1/m1').size).toBe(0);
    expect(store.sessions.filters('d1').size).toBe(1);
    store.identities.createModule('d1', 'm2');
    store.sessions.add('d1/m2', '$iothub/twin/res/#');
    store.identities.delete({ deviceId: 'd1' });
    expect(store.sessions.filters('d1').size + store.sessions.filters('d1/m2').size).toBe(0);
    expect(store.sessions.filters('d10').size).toBe(1);
  });
});
