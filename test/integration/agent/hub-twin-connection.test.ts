import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubTwinConnection } from '../../../runtime/agent/hub/hub-twin-connection.js';
import { systemClock } from '../../../runtime/clock.js';
import { formatDeviceConnectionString } from '../../../runtime/hub/connection-string.js';
import { ensureTlsMaterial } from '../../../runtime/hub/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventually } from '../../helpers/k8s.js';

let hub: TestHub;
const connections: HubTwinConnection[] = [];
beforeAll(async () => {
  hub = await startTestHub();
  hub.createDevice('edge-1', { edge: true });
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await hub.close();
});

function connect(key: string, port = hub.hub.mqttsPort, deviceId = 'edge-1', ca = hub.hub.caCert): HubTwinConnection {
  const c = new HubTwinConnection({
    connectionString: formatDeviceConnectionString({ hostName: `localhost:${port}`, deviceId, moduleId: '$edgeAgent', key }),
    ca,
    clock: systemClock,
    logger: silentLogger(),
    reconnectBaseMs: 50,
    reconnectMaxMs: 200,
  });
  connections.push(c);
  void c.start();
  return c;
}

const agentKey = (deviceId = 'edge-1') => hub.hub.store.identities.get({ deviceId, moduleId: '$edgeAgent' })!.primaryKey;

describe('the agent link to the hub ($edgeAgent over MQTT with the device SDK)', () => {
  it('reads desired properties with their $version, follows patches and writes reported patches', async () => {
    const c = connect(agentKey());
    const changes: string[] = [];
    c.onChange((r) => changes.push(r));
    await eventually(async () => c.connected, { timeoutMs: 10_000, what: 'connected' });
    hub.hub.store.twins.replaceDesired({ deviceId: 'edge-1', moduleId: '$edgeAgent' }, { schemaVersion: '1.1', marker: 1 });
    await eventually(async () => changes.includes('desired properties changed'), { timeoutMs: 10_000, what: 'desired patch noticed' });
    const desired = await c.getDesired();
    expect(desired.desired).toEqual({ schemaVersion: '1.1', marker: 1 });
    expect(desired.version).toBe(hub.hub.store.twins.get({ deviceId: 'edge-1', moduleId: '$edgeAgent' })!.properties.desired.$version);
    await c.report({ lastDesiredStatus: { code: 200, description: '' } });
    expect(hub.hub.store.twins.get({ deviceId: 'edge-1', moduleId: '$edgeAgent' })!.properties.reported).toMatchObject({ lastDesiredStatus: { code: 200 } });
    expect(await c.readReported()).toMatchObject({ lastDesiredStatus: { code: 200 } });
  });

  it("leaves the SDK's MQTT writer without its 65,536-Buffer packet-id cache once a connection subscribed and published", async () => {
    hub.createDevice('edge-3', { edge: true });
    const c = connect(agentKey('edge-3'), hub.hub.mqttsPort, 'edge-3');
    await eventually(async () => c.connected, { timeoutMs: 10_000, what: 'connected' });
    await c.report({ marker: 2 });
    // the mqtt-packet copy of the SDK's MQTT.js, reached the way the SDK requires it
    const fromBase = createRequire(createRequire(createRequire(import.meta.url).resolve('azure-iot-device-mqtt')).resolve('azure-iot-mqtt-base'));
    const fromMqtt = createRequire(fromBase.resolve('mqtt'));
    const numbers = createRequire(fromMqtt.resolve('mqtt-packet'))('./numbers.js') as { cache: Record<number, Buffer> };
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });

  it('refuses a reported patch that would make the section larger than 32 KB with a typed error, and sends what fits', async () => {
    // its own device: a second $edgeAgent connection of edge-1 would replace the first test's
    hub.createDevice('edge-2', { edge: true });
    const c = connect(agentKey('edge-2'), hub.hub.mqttsPort, 'edge-2');
    await eventually(async () => c.connected, { timeoutMs: 10_000, what: 'connected' });
    const ref = { deviceId: 'edge-2', moduleId: '$edgeAgent' };
    await c.report({ part1: 'x'.repeat(4000), part2: 'x'.repeat(4000) });
    const big: Record<string, string> = {};
    for (let i = 0; i < 7; i++) big[`chunk${i}`] = 'y'.repeat(4000);
    // 8 KB already there + 28 KB more: over 32 KB only together, so the hub's copy counts
    await expect(c.report(big)).rejects.toMatchObject({ code: 'AGENT_REPORT_TOO_LARGE' });
    expect(hub.hub.store.twins.get(ref)!.properties.reported).not.toHaveProperty('chunk0');
    // the same rule as the hub's: what the agent lets through, the hub accepts
    await c.report({ part1: null, part2: null });
    await c.report(big);
    expect(hub.hub.store.twins.get(ref)!.properties.reported).toHaveProperty('chunk6');
  });

  it('keeps retrying with a wrong key, without crashing, and says it is not connected', async () => {
    const c = connect(Buffer.from('not-the-key-not-the-key-not-the-key!').toString('base64'));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(c.connected).toBe(false);
    await expect(c.getDesired()).rejects.toMatchObject({ code: 'AGENT_HUB_NOT_CONNECTED' });
    await expect(c.report({ a: 1 })).rejects.toMatchObject({ code: 'AGENT_HUB_NOT_CONNECTED' });
  });

  it('keeps retrying when no hub listens and closes cleanly', async () => {
    const c = connect(agentKey(), 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(c.connected).toBe(false);
    await c.close();
  });

  it('makes one TLS context for the connections of many agents that trust the same hub CA', async () => {
    const devices = ['edge-ctx-1', 'edge-ctx-2', 'edge-ctx-3'];
    for (const d of devices) hub.createDevice(d, { edge: true });
    // tls.connect builds a context through the module's createSecureContext unless it is handed one
    let made = 0;
    const original = tls.createSecureContext;
    tls.createSecureContext = (options) => {
      made += 1;
      return original(options);
    };
    try {
      const cs = devices.map((d) => connect(agentKey(d), hub.hub.mqttsPort, d));
      await eventually(async () => cs.every((c) => c.connected), { timeoutMs: 15_000, what: 'all connected' });
    } finally {
      tls.createSecureContext = original;
    }
    // one at most: none when an earlier connection of this file made it for this CA
    expect(made).toBeLessThanOrEqual(1);
  });

  it('refuses a hub whose certificate does not chain to the CA it was given, and keeps retrying', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'edgemu-other-ca-'));
    try {
      const { caCert } = await ensureTlsMaterial(other, ['localhost']);
      hub.createDevice('edge-other-ca', { edge: true });
      const c = connect(agentKey('edge-other-ca'), hub.hub.mqttsPort, 'edge-other-ca', caCert);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(c.connected).toBe(false);
      expect(hub.hub.connections().some((i) => i.deviceId === 'edge-other-ca')).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
