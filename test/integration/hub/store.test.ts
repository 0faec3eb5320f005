import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openHubStore, type HubStore } from '../../../runtime/hub/index.js';
import { code } from '../../helpers/contracts/twin-store-contract.js';
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

describe('C2D', () => {
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
