import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Message, type ModuleClient } from 'azure-iot-device';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import type { EdgeRouter } from '../../../runtime/routing/edge-router.js';
import type { Clock } from '../../../runtime/clock.js';

/**
 * End to end: real azure-iot-device ModuleClients over MQTT/TLS against the real hub with the
 * router attached — `sendOutputEvent` on one module, `inputMessage` on another.
 */

interface Received {
  input: string;
  body: Record<string, unknown>;
  props: Record<string, string>;
}

const EDGE = 'edge-1';
const edgeHub = { deviceId: EDGE, moduleId: '$edgeHub' };

/** Registers an inputMessage listener (which subscribes to the inputs) and records what arrives. */
function collect(client: ModuleClient): Received[] {
  const got: Received[] = [];
  client.on('inputMessage', (input: string, msg: Message) => {
    const props: Record<string, string> = {};
    for (let i = 0; i < msg.properties.count(); i += 1) {
      const p = msg.properties.getItem(i);
      props[p.key] = p.value;
    }
    if (msg.contentType) props.$ct = String(msg.contentType);
    if (msg.messageId) props.$mid = String(msg.messageId);
    got.push({ input, body: JSON.parse(msg.data.toString()) as Record<string, unknown>, props });
  });
  return got;
}

const json = (body: unknown, props: Record<string, string> = {}): Message => {
  const m = new Message(JSON.stringify(body));
  m.contentType = 'application/json';
  m.contentEncoding = 'utf-8';
  for (const [k, v] of Object.entries(props)) m.properties.add(k, v);
  return m;
};

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

class ShiftableClock implements Clock {
  offset = 0;
  now = () => Date.now() + this.offset;
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
}

describe('routing end to end with the Azure IoT SDK', () => {
  let dir: string;
  let t: TestHub;
  let router: EdgeRouter;
  let clock: ShiftableClock;

  const start = async () => {
    t = await startTestHub({ stateDir: dir, routing: { clock, retryDelayMs: 10 } });
    router = t.router!;
  };
  const stop = async () => {
    router.close();
    await t.close();
  };
  const deploy = (desired: Record<string, unknown>) => t.hub.store.twins.replaceDesired(edgeHub, desired);
  const reported = () => t.hub.store.twins.getDeviceView(edgeHub)?.reported as Record<string, unknown>;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-routing-e2e-'));
    clock = new ShiftableClock();
    await start();
    t.createDevice(EDGE, { edge: true });
    for (const m of ['sensor', 'filter', 'sink']) t.createModule(EDGE, m);
  });

  afterEach(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('filters on application properties and on $body, delivering with the sender in the property bag', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        alerts: `FROM /messages/modules/sensor/outputs/out1 WHERE alert = 'high' INTO BrokeredEndpoint("/modules/filter/inputs/alerts")`,
        hot: 'FROM /messages/modules/sensor/outputs/out1 WHERE $body.temperature > 30 INTO BrokeredEndpoint("/modules/filter/inputs/hot")',
      },
    });
    const filter = await t.moduleClient(EDGE, 'filter');
    const got = collect(filter);
    const sensor = await t.moduleClient(EDGE, 'sensor');
    await sensor.sendOutputEvent('out1', json({ n: 1, temperature: 20 }, { alert: 'low' }));
    await sensor.sendOutputEvent('out1', json({ n: 2, temperature: 35 }, { alert: 'low' }));
    await sensor.sendOutputEvent('out1', json({ n: 3, temperature: 10 }, { alert: 'high' }));
    await sensor.sendOutputEvent('out2', json({ n: 4, temperature: 99 }, { alert: 'high' }));
    await waitFor(() => got.length >= 2, 'two routed messages');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((g) => [g.input, g.body.n])).toEqual([
      ['hot', 2],
      ['alerts', 3],
    ]);
    expect(got[1]!.props).toMatchObject({ alert: 'high', '$.cdid': EDGE, '$.cmid': 'sensor', $ct: 'application/json' });
    expect(t.hub.messages.count()).toBe(0);
  });

  it('fans out one output to several inputs and $upstream', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        toFilter: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")',
        toSink: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in2")',
        up: 'FROM /messages/* INTO $upstream',
      },
    });
    const filterGot = collect(await t.moduleClient(EDGE, 'filter'));
    const sinkGot = collect(await t.moduleClient(EDGE, 'sink'));
    const sensor = await t.moduleClient(EDGE, 'sensor');
    await sensor.sendOutputEvent('out1', json({ fan: 1 }));
    await waitFor(() => filterGot.length === 1 && sinkGot.length === 1, 'both inputs');
    expect(filterGot[0]!.input).toBe('in1');
    expect(sinkGot[0]!.input).toBe('in2');
    expect(t.hub.messages.read({ endpoint: '$upstream' }).map((m) => JSON.parse(m.body.toString()))).toEqual([{ fan: 1 }]);
  });

  it('stores messages for an offline module and delivers them in order when it connects', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in")' } });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    for (let i = 0; i < 20; i += 1) await sensor.sendOutputEvent('out1', json({ i }));
    expect(router.queueDepth({ deviceId: EDGE, moduleId: 'sink' })).toBe(20);
    const got = collect(await t.moduleClient(EDGE, 'sink'));
    await waitFor(() => got.length === 20, '20 queued messages');
    expect(got.map((g) => g.body.i)).toEqual([...Array(20).keys()]);
    await waitFor(() => router.queueDepth() === 0, 'an empty queue');
  });

  it('refuses an SDK module\'s output while the queues hold storeLimits.maxSizeBytes and takes it once the target drained them', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in")' },
      storeAndForwardConfiguration: { timeToLiveSecs: 7200, storeLimits: { maxSizeBytes: 1000 } },
    });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    let stored = 0;
    while (router.queueDepth({ deviceId: EDGE, moduleId: 'sink' }) === stored && stored < 50) {
      const sent = sensor.sendOutputEvent('out1', json({ i: stored }));
      const acked = await Promise.race([sent.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 1500))]);
      if (!acked) {
        // Refused (no PUBACK): the SDK keeps it and sends again after reconnecting.
        expect(router.queueDepth({ deviceId: EDGE, moduleId: 'sink' })).toBe(stored);
        const got = collect(await t.moduleClient(EDGE, 'sink'));
        await sent; // acknowledged once the sink's deliveries made room
        await waitFor(() => got.length === stored + 1, 'every message, the refused one last', 30_000);
        expect(got.map((g) => g.body.i)).toEqual([...Array(stored + 1).keys()]);
        return;
      }
      stored += 1;
    }
    throw new Error(`never refused: ${stored} messages stored under a 1,000-byte limit`);
  }, 60_000);

  it('delivers queued messages as soon as the target SDK module subscribes to its inputs, not after a retry back-off', async () => {
    await stop();
    // Retries wait 10 minutes: a delivery within this test can only come from the hub's
    // inputs-subscribed signal.
    t = await startTestHub({ stateDir: dir, routing: { clock, retryDelayMs: 600_000, maxRetryDelayMs: 600_000 } });
    router = t.router!;
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in")' } });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    for (let i = 0; i < 3; i += 1) await sensor.sendOutputEvent('out1', json({ i }));
    const sink = await t.moduleClient(EDGE, 'sink'); // connected, not yet listening for inputs
    await new Promise((r) => setTimeout(r, 50));
    expect(router.queueDepth({ deviceId: EDGE, moduleId: 'sink' })).toBe(3);
    const got = collect(sink); // subscribes to devices/edge-1/modules/sink/inputs/#
    await waitFor(() => got.length === 3, 'the queued messages', 5000);
    expect(got.map((g) => g.body.i)).toEqual([0, 1, 2]);
  });

  it('drops messages whose route TTL expired while the target was offline', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        short: { route: 'FROM /messages/modules/sensor/outputs/short INTO BrokeredEndpoint("/modules/sink/inputs/in")', priority: 0, timeToLiveSecs: 5 },
        long: { route: 'FROM /messages/modules/sensor/outputs/long INTO BrokeredEndpoint("/modules/sink/inputs/in")', priority: 0, timeToLiveSecs: 0 },
      },
      storeAndForwardConfiguration: { timeToLiveSecs: 3600 },
    });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    await sensor.sendOutputEvent('short', json({ which: 'short' }));
    await sensor.sendOutputEvent('long', json({ which: 'long' }));
    clock.offset = 60_000; // a minute later: past the 5 s route TTL, within the 1 h store-and-forward TTL
    const got = collect(await t.moduleClient(EDGE, 'sink'));
    await waitFor(() => got.length === 1, 'the unexpired message');
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((g) => g.body.which)).toEqual(['long']);
  });

  it('drains higher-priority messages first', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        low: { route: 'FROM /messages/modules/sensor/outputs/low INTO BrokeredEndpoint("/modules/sink/inputs/in")', priority: 7 },
        high: { route: 'FROM /messages/modules/sensor/outputs/high INTO BrokeredEndpoint("/modules/sink/inputs/in")', priority: 0 },
      },
    });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    for (const [o, n] of [['low', 1], ['high', 2], ['low', 3], ['high', 4]] as const) await sensor.sendOutputEvent(o, json({ o, n }));
    const got = collect(await t.moduleClient(EDGE, 'sink'));
    await waitFor(() => got.length === 4, 'four messages');
    expect(got.map((g) => g.body.n)).toEqual([2, 4, 1, 3]);
  });

  it('applies changed routes at runtime and keeps the old ones when a new set is invalid', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in")' } });
    const filterGot = collect(await t.moduleClient(EDGE, 'filter'));
    const sinkGot = collect(await t.moduleClient(EDGE, 'sink'));
    const sensor = await t.moduleClient(EDGE, 'sensor');
    await sensor.sendOutputEvent('o', json({ n: 1 }));
    await waitFor(() => filterGot.length === 1, 'delivery under the first route set');

    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in")' } });
    await sensor.sendOutputEvent('o', json({ n: 2 }));
    await waitFor(() => sinkGot.length === 1, 'delivery under the second route set');
    await waitFor(() => (reported().lastDesiredStatus as { code?: number })?.code === 200, 'lastDesiredStatus 200');

    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in")', broken: 'FROM /messages/* WHERE INTO $upstream' } });
    await waitFor(() => (reported().lastDesiredStatus as { code?: number })?.code === 400, 'lastDesiredStatus 400');
    expect((reported().lastDesiredStatus as { description: string }).description).toContain('route "broken"');
    await sensor.sendOutputEvent('o', json({ n: 3 }));
    await waitFor(() => sinkGot.length === 2, 'delivery under the still-valid second set');
    expect(filterGot).toHaveLength(1);
  });

  it('routes leaf-device telemetry and reports connected clients on $edgeHub', async () => {
    deploy({ schemaVersion: '1.1', routes: { leaf: 'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO BrokeredEndpoint("/modules/filter/inputs/leaf")' } });
    const got = collect(await t.moduleClient(EDGE, 'filter'));
    const leaf = await t.deviceClient('leaf-1');
    await leaf.sendEvent(json({ from: 'leaf' }));
    await waitFor(() => got.length === 1, 'leaf telemetry at the module');
    expect(got[0]!.props).toMatchObject({ '$.cdid': 'leaf-1' });
    expect(got[0]!.props['$.cmid']).toBeUndefined();
    await waitFor(() => {
      const clients = reported().clients as Record<string, { status: string }> | undefined;
      return clients?.[`${EDGE}/filter`]?.status === 'Connected' && clients?.['leaf-1']?.status === 'Connected';
    }, 'clients in $edgeHub reported properties');
    await leaf.close();
    await waitFor(() => (reported().clients as Record<string, unknown>)['leaf-1'] === undefined, 'leaf entry removed on disconnect');
  });

  it('keeps a full queue across a hub restart and delivers it afterwards', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/in")' } });
    const sensor = await t.moduleClient(EDGE, 'sensor');
    await Promise.all(Array.from({ length: 200 }, (_, i) => sensor.sendOutputEvent('o', json({ i }))));
    expect(router.queueDepth()).toBe(200);
    await stop();
    await start();
    expect(router.queueDepth()).toBe(200);
    const got = collect(await t.moduleClient(EDGE, 'sink'));
    await waitFor(() => got.length === 200, '200 messages after restart');
    expect(new Set(got.map((g) => g.body.i)).size).toBe(200);
  });
});

describe('routing in the composition root (startServer)', () => {
  it('routes module outputs between SDK modules in a server started like `edgemu hub`', async () => {
    const { startServer } = await import('../../../runtime/server/start-server.js');
    const { silentLogger } = await import('../../../runtime/log/create-logger.js');
    const { formatDeviceConnectionString } = await import('../../../runtime/hub/index.js');
    const { ModuleClient: Mc } = await import('azure-iot-device');
    const { Mqtt } = await import('azure-iot-device-mqtt');
    const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-routing-server-'));
    const server = await startServer({ stateDir: dir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    const clients: ModuleClient[] = [];
    try {
      server.store.identities.createDevice(EDGE, { edge: true });
      for (const m of ['a', 'b']) server.store.identities.createModule(EDGE, m);
      server.store.twins.replaceDesired(edgeHub, { schemaVersion: '1.1', routes: { ab: 'FROM /messages/modules/a/outputs/* INTO BrokeredEndpoint("/modules/b/inputs/fromA")' } });
      const open = async (moduleId: string) => {
        const key = server.store.identities.get({ deviceId: EDGE, moduleId })!.primaryKey;
        const c = Mc.fromConnectionString(formatDeviceConnectionString({ hostName: `localhost:${server.mqttsPort}`, deviceId: EDGE, moduleId, key }), Mqtt);
        await c.setOptions({ ca: server.hub.caCert });
        await c.open();
        clients.push(c);
        return c;
      };
      const got = collect(await open('b'));
      await (await open('a')).sendOutputEvent('out', json({ hello: 'b' }));
      await waitFor(() => got.length === 1, 'delivery through the server');
      expect(got[0]).toMatchObject({ input: 'fromA', body: { hello: 'b' }, props: { '$.cmid': 'a' } });
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
