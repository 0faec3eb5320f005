import { describe, expect, it } from 'vitest';
import { ConnectionTable, PacketIds } from '../../../runtime/hub/connection-table.js';
import type { Listening, Session } from '../../../runtime/hub/session.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';

const settle = () => {
  const calls: string[] = [];
  return { calls, settle: { resolve: () => void calls.push('ok'), reject: (e: Error) => void calls.push(`failed: ${e.message}`) } };
};

describe('PacketIds (QoS 1 packet identifiers, MQTT 3.1.1 §2.3.1)', () => {
  it('hands out non-zero ids, skips ids still waiting for their PUBACK, and wraps after 65535', () => {
    const ids = new PacketIds();
    const first = ids.allocate(settle().settle);
    expect(first).toBe(1);
    for (let i = 2; i <= 65535; i += 1) ids.acknowledge(ids.allocate(settle().settle));
    // 1 is still pending, so after 65535 the next free id is 2
    expect(ids.allocate(settle().settle)).toBe(2);
  });

  it('settles exactly the delivery a PUBACK names, once; unknown ids are ignored', () => {
    const ids = new PacketIds();
    const a = settle();
    const b = settle();
    const idA = ids.allocate(a.settle);
    const idB = ids.allocate(b.settle);
    expect(ids.acknowledge(idB)).toBe(true);
    expect(ids.acknowledge(idB)).toBe(false);
    expect(ids.acknowledge(999)).toBe(false);
    expect(b.calls).toEqual(['ok']);
    expect(a.calls).toEqual([]);
    ids.failAll(new Error('gone'));
    expect(a.calls).toEqual(['failed: gone']);
    expect(ids.acknowledge(idA)).toBe(false);
    expect(ids.size).toBe(0);
  });
});

const session = (clientId: string, listening: Listening[] = [], expiresAtMs = Number.MAX_SAFE_INTEGER): Session & { closed: number; inputs: string[] } => {
  const [deviceId, moduleId] = clientId.split('/') as [string, string | undefined];
  return {
    clientId,
    identity: moduleId ? { deviceId, moduleId } : { deviceId },
    expiresAtMs,
    connectedTimeUtc: undefined,
    c2dInflight: new Set(),
    closed: 0,
    inputs: [],
    listens: (what) => listening.includes(what),
    twinResponse: async () => {},
    desiredPatch: () => {},
    methodRequest: () => {},
    c2d: async () => {},
    async input(inputName) {
      this.inputs.push(inputName);
    },
    close() {
      this.closed += 1;
    },
  };
};

describe('ConnectionTable', () => {
  const table = () => new ConnectionTable({ clock: { now: () => Date.parse('2026-12-01T00:00:00Z'), sleep: async () => {} }, logger: silentLogger() });

  it('keeps one live session per client id and reports Disconnected only for the live one', () => {
    const t = table();
    const events: string[] = [];
    t.onConnectionChanged((e) => events.push(`${e.clientId} ${e.status}`));
    const old = session('d/m');
    const replacement = session('d/m');
    t.add(old);
    t.add(replacement);
    t.remove(old);
    expect(t.isConnected({ deviceId: 'd', moduleId: 'm' })).toBe(true);
    t.remove(replacement);
    expect(events).toEqual(['d/m Connected', 'd/m Connected', 'd/m Disconnected']);
    expect(t.connections()).toEqual([]);
  });

  it('delivers module inputs only to a live module that listens for them, with a valid input name', async () => {
    const t = table();
    const deaf = session('d/deaf');
    const listening = session('d/m', ['inputs']);
    t.add(deaf);
    t.add(listening);
    await expect(t.deliverToModuleInput({ deviceId: 'd', moduleId: 'gone' }, 'in', { body: Buffer.from('x') })).rejects.toMatchObject({ code: 'HUB_NOT_CONNECTED' });
    await expect(t.deliverToModuleInput({ deviceId: 'd', moduleId: 'deaf' }, 'in', { body: Buffer.from('x') })).rejects.toMatchObject({ code: 'HUB_NOT_CONNECTED' });
    await expect(t.deliverToModuleInput({ deviceId: 'd', moduleId: 'm' }, 'a/b', { body: Buffer.from('x') })).rejects.toMatchObject({ code: 'HUB_INVALID_ID' });
    await t.deliverToModuleInput({ deviceId: 'd', moduleId: 'm' }, 'in1', { body: Buffer.from('x') });
    expect(listening.inputs).toEqual(['in1']);
    expect(t.connections().find((c) => c.clientId === 'd/m')).toMatchObject({ listensForInputs: true, connectedTimeUtc: '2026-12-01T00:00:00.000Z' });
  });

  it('closes a session whose SAS token has expired, and every session of a deleted device', async () => {
    const t = table();
    const expired = session('e1', [], Date.parse('2026-12-01T00:00:00Z') - 1);
    t.add(expired);
    await new Promise((r) => setTimeout(r, 20));
    expect(expired.closed).toBe(1);
    const device = session('d2');
    const module = session('d2/m');
    const other = session('d3');
    for (const s of [device, module, other]) t.add(s);
    t.closeIdentity({ deviceId: 'd2' }, 'deleted');
    expect([device.closed, module.closed, other.closed]).toEqual([1, 1, 0]);
  });
});
