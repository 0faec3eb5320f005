import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, ModuleClient, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import type { HubMessage } from '../../../runtime/hub/index.js';

let t: TestHub;
let mod: ModuleClient;
let twin: Twin;
const routed: HubMessage[] = [];

beforeAll(async () => {
  // a custom router: the seam routing plugs into; it sees every message before the ack
  const upstream = { route: async (m: HubMessage) => void routed.push(m) };
  t = await startTestHub({ router: upstream });
  t.createDevice('gw1', { edge: true });
  mod = await t.moduleClient('gw1', 'filter');
  twin = await mod.getTwin();
});
afterAll(async () => {
  await t?.close();
});

describe('a module using the unmodified ModuleClient over MQTT/TLS', () => {
  it('reads and updates its module twin', async () => {
    expect(twin.properties.desired.$version).toBe(1);
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ threshold: 25 }, (e?: Error) => (e ? reject(e) : resolve())));
    expect(t.hub.store.twins.get({ deviceId: 'gw1', moduleId: 'filter' })!.properties.reported.threshold).toBe(25);
    // the device twin is a different twin
    expect(t.hub.store.twins.get({ deviceId: 'gw1' })!.properties.reported.threshold).toBeUndefined();
  });

  it('receives desired patches of its module twin', async () => {
    const got = new Promise<Record<string, unknown>>((resolve) => twin.on('properties.desired', (d: Record<string, unknown>) => d.$version === 2 && resolve(d)));
    await waitFor(() => t.hub.store.sessions.filters('gw1/filter').has('$iothub/twin/PATCH/properties/desired/#'));
    t.hub.store.twins.patchDesired({ deviceId: 'gw1', moduleId: 'filter' }, { threshold: 30 });
    expect(await got).toMatchObject({ threshold: 30, $version: 2 });
  });

  it('answers a module method', async () => {
    mod.onMethod('ping', (_req, res) => void res?.send(201, 'pong'));
    await waitFor(() => t.hub.store.sessions.filters('gw1/filter').has('$iothub/methods/POST/#'));
    expect(await t.hub.invokeMethod({ deviceId: 'gw1', moduleId: 'filter', methodName: 'ping', timeoutMs: 5000 })).toEqual({ status: 201, payload: 'pong' });
    // the device itself is not connected
    expect((await t.hub.invokeMethod({ deviceId: 'gw1', methodName: 'ping' })).status).toBe(404);
  });

  it('sends output events whose output name and properties reach the router before the ack', async () => {
    const msg = new Message(JSON.stringify({ t: 31 }));
    msg.properties.add('p1', 'v1');
    msg.contentType = 'application/json';
    msg.contentEncoding = 'utf-8';
    await mod.sendOutputEvent('alerts', msg);
    const m = routed.at(-1)!;
    expect(m).toMatchObject({ deviceId: 'gw1', moduleId: 'filter', outputName: 'alerts', properties: { p1: 'v1' }, systemProperties: { on: 'alerts', ct: 'application/json' } });
    await mod.sendEvent(new Message('plain'));
    expect(routed.at(-1)).toMatchObject({ moduleId: 'filter', outputName: undefined });
  });

  it('receives messages on an input through the delivery primitive, acknowledged by the SDK', async () => {
    const got = new Promise<{ input: string; msg: Message }>((resolve) => mod.on('inputMessage', (input: string, msg: Message) => resolve({ input, msg })));
    await waitFor(() => t.hub.store.sessions.filters('gw1/filter').has('devices/gw1/modules/filter/inputs/#'));
    await t.hub.deliverToModuleInput({ deviceId: 'gw1', moduleId: 'filter' }, 'input1', {
      body: Buffer.from('{"y":2}'),
      systemProperties: { mid: 'in-1', cdid: 'gw1', cmid: 'sensor' },
      properties: { p2: 'v2' },
    });
    const { input, msg } = await got;
    expect(input).toBe('input1');
    expect(msg.messageId).toBe('in-1');
    expect(msg.properties.getValue('p2')).toBe('v2');
    expect(msg.data.toString()).toBe('{"y":2}');
  });

  it('refuses to deliver to a module that is not connected', async () => {
    await expect(t.hub.deliverToModuleInput({ deviceId: 'gw1', moduleId: 'nobody' }, 'in', { body: Buffer.from('x') })).rejects.toMatchObject({ code: 'HUB_NOT_CONNECTED' });
  });

  it('works for a module configured the IoT Edge way: fromEnvironment with EdgeHubConnectionString and EdgeModuleCACertificateFile', async () => {
    t.createModule('gw1', 'envmod');
    const key = t.hub.store.identities.get({ deviceId: 'gw1', moduleId: 'envmod' })!.primaryKey;
    const saved = { cs: process.env.EdgeHubConnectionString, ca: process.env.EdgeModuleCACertificateFile };
    process.env.EdgeHubConnectionString = `HostName=${t.hub.hostName};DeviceId=gw1;ModuleId=envmod;SharedAccessKey=${key};GatewayHostName=localhost:${t.hub.mqttsPort}`;
    process.env.EdgeModuleCACertificateFile = t.hub.caFile;
    try {
      const client = await ModuleClient.fromEnvironment(Mqtt);
      await client.open();
      try {
        await client.sendOutputEvent('out', new Message('via env'));
        expect(routed.at(-1)).toMatchObject({ moduleId: 'envmod', outputName: 'out' });
      } finally {
        await client.close();
      }
    } finally {
      for (const [k, v] of [['EdgeHubConnectionString', saved.cs], ['EdgeModuleCACertificateFile', saved.ca]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('reports connection events and connection state', async () => {
    const events: string[] = [];
    t.hub.onConnectionChanged((e) => events.push(`${e.clientId}:${e.status}`));
    const other = await t.moduleClient('gw1', 'other');
    expect(t.hub.isConnected({ deviceId: 'gw1', moduleId: 'other' })).toBe(true);
    expect(t.hub.store.twins.get({ deviceId: 'gw1', moduleId: 'other' })!.connectionState).toBe('Connected');
    await other.close();
    await waitFor(() => events.includes('gw1/other:Disconnected'));
    expect(events).toEqual(['gw1/other:Connected', 'gw1/other:Disconnected']);
  });
});
