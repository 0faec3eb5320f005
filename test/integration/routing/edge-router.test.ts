import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../runtime/clock.js';
import { openHubStore, type HubConnections, type HubMessage, type HubStore, type InputMessage, type ModuleRef } from '../../../runtime/hub/index.js';
import { EdgeRouter, type UpstreamStore } from '../../../runtime/routing/edge-router.js';

/** The router always sends both property sets. */
type InputDelivery = Required<InputMessage>;

/**
 * The router against a real hub store (SQLite in a temp dir) with a recording hub port:
 * configuration from the `$edgeHub` twin, store-and-forward, TTL, priority, store limits,
 * restart, reporting. (One file for the router's whole behaviour contract; ~450 lines.)
 */

class FakeClock implements Clock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now = () => this.t;
  sleep = () => Promise.resolve();
}

/** The hub's connection table and message store as the router sees them, recording what it is given. */
class RecordingHub implements HubConnections, UpstreamStore {
  delivered: Array<{ to: string; input: string; message: InputDelivery }> = [];
  upstream: HubMessage[] = [];
  offline = new Set<string>();
  constructor(private readonly store: HubStore) {}
  async deliverToModuleInput(target: ModuleRef, inputName: string, message: InputMessage): Promise<void> {
    const to = `${target.deviceId}/${target.moduleId}`;
    if (this.offline.has(to)) throw new Error(`${to} is not connected`);
    this.delivered.push({ to, input: inputName, message: message as InputDelivery });
  }
  async persist(message: HubMessage): Promise<unknown> {
    this.upstream.push(message);
    return this.store.messages.persist(message);
  }
  onConnectionChanged = () => () => {};
  onInputsSubscribed = () => () => {};
  connections = () => [];
}

const turn = () => new Promise((r) => setImmediate(r));
const settle = async (n = 5) => {
  for (let i = 0; i < n; i += 1) await turn();
};

const output = (moduleId: string, outputName: string, body: unknown, props: Record<string, string> = {}): HubMessage => ({
  deviceId: 'edge-1',
  moduleId,
  outputName,
  body: Buffer.from(JSON.stringify(body)),
  systemProperties: { ct: 'application/json', ce: 'utf-8', mid: `m-${JSON.stringify(body)}`, on: outputName },
  properties: props,
  enqueuedTimeUtc: new Date().toISOString(),
});

const edgeHubRef = { deviceId: 'edge-1', moduleId: '$edgeHub' };

describe('EdgeRouter', () => {
  let dir: string;
  let store: HubStore;
  let hub: RecordingHub;
  let clock: FakeClock;
  let router: EdgeRouter;

  const deploy = (desired: Record<string, unknown>) => store.twins.replaceDesired(edgeHubRef, desired);
  const reported = () => store.twins.getDeviceView(edgeHubRef)?.reported as Record<string, unknown>;
  const open = () => new EdgeRouter({ store, connections: hub, upstream: hub, stateDir: dir, clock, retryDelayMs: 20, purgeIntervalMs: 60_000 });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-router-'));
    store = openHubStore({ stateDir: dir });
    store.identities.createDevice('edge-1', { edge: true });
    for (const m of ['sensor', 'filter', 'sink']) store.identities.createModule('edge-1', m);
    store.identities.createDevice('plain-1');
    hub = new RecordingHub(store);
    clock = new FakeClock();
    router = open();
  });

  afterEach(() => {
    router.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends telemetry upstream while the edge device has no $edgeHub configuration', async () => {
    await router.route(output('sensor', 'out1', { t: 1 }));
    expect(hub.upstream).toHaveLength(1);
    expect(store.messages.count()).toBe(1);
  });

  it('applies routes from the $edgeHub twin and reports 200', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/outputs/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    await settle();
    expect(router.routesOf('edge-1')?.map((r) => r.name)).toEqual(['r1']);
    expect(reported()).toMatchObject({ schemaVersion: '1.0', lastDesiredStatus: { code: 200, description: '' }, lastDesiredVersion: 2 });
  });

  it('delivers a matching module output to the target input with the sender in the property bag', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/outputs/out1 INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await router.route(output('sensor', 'out1', { t: 1 }, { alert: 'high' }));
    await settle();
    expect(hub.delivered).toHaveLength(1);
    const d = hub.delivered[0]!;
    expect(d.to).toBe('edge-1/filter');
    expect(d.input).toBe('in1');
    expect(d.message.systemProperties).toMatchObject({ cdid: 'edge-1', cmid: 'sensor', ct: 'application/json', ce: 'utf-8' });
    expect(d.message.systemProperties.on).toBeUndefined();
    expect(d.message.properties).toEqual({ alert: 'high' });
    expect(JSON.parse(d.message.body.toString())).toEqual({ t: 1 });
    expect(router.queueDepth()).toBe(0);
  });

  it('drops messages no route matches, as edgeHub does', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/outputs/* WHERE $body.t > 10 INTO $upstream' } });
    await router.route(output('sensor', 'out1', { t: 1 }));
    await router.route(output('sensor', 'out1', { t: 11 }));
    expect(hub.upstream.map((m) => JSON.parse(m.body.toString()).t)).toEqual([11]);
  });

  it('keeps messages for an offline module and delivers them in order when it is ready', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    for (let i = 0; i < 5; i += 1) await router.route(output('sensor', 'out1', { i }));
    expect(router.queueDepth({ deviceId: 'edge-1', moduleId: 'filter' })).toBe(5);
    expect(hub.delivered).toHaveLength(0);
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).i)).toEqual([0, 1, 2, 3, 4]);
    expect(router.queueDepth()).toBe(0);
  });

  it('drains a connected module only once the hub signals its inputs subscription, without waiting out a back-off', async () => {
    router.close();
    type ConnListener = Parameters<HubConnections['onConnectionChanged']>[0];
    let connListener: ConnListener | undefined;
    let inputsListener: Parameters<HubConnections['onInputsSubscribed']>[0] | undefined;
    const attempts: string[] = [];
    const listening = new Set<string>();
    const signalling: HubConnections = {
      deliverToModuleInput: async (target, inputName, message) => {
        const key = `${target.deviceId}/${target.moduleId}`;
        attempts.push(key);
        if (!listening.has(key)) throw new Error(`${key} does not listen for input messages`);
        return hub.deliverToModuleInput(target, inputName, message);
      },
      onConnectionChanged: (l) => ((connListener = l), () => (connListener = undefined)),
      onInputsSubscribed: (l) => ((inputsListener = l), () => (inputsListener = undefined)),
      connections: () => [],
    };
    // A back-off far longer than the test: only the signal can make the delivery happen.
    router = new EdgeRouter({ store, connections: signalling, upstream: hub, stateDir: dir, clock, retryDelayMs: 600_000, maxRetryDelayMs: 600_000, purgeIntervalMs: 60_000 });
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    for (let i = 0; i < 3; i += 1) await router.route(output('sensor', 'out1', { i }));

    connListener!({ clientId: 'edge-1/filter', deviceId: 'edge-1', moduleId: 'filter', status: 'Connected', timeUtc: new Date(clock.now()).toISOString() });
    await settle();
    expect(attempts).toEqual([]); // connected but not subscribed: nothing is tried

    listening.add('edge-1/filter');
    inputsListener!({ clientId: 'edge-1/filter', deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).i)).toEqual([0, 1, 2]);
    expect(router.queueDepth()).toBe(0);
  });

  it('cuts a pending back-off short when the module subscribes to its inputs', async () => {
    router.close();
    router = new EdgeRouter({ store, connections: hub, upstream: hub, stateDir: dir, clock, retryDelayMs: 600_000, maxRetryDelayMs: 600_000, purgeIntervalMs: 60_000 });
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    hub.offline.add('edge-1/filter');
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' }); // tried, fails, waits 10 minutes
    await router.route(output('sensor', 'out1', { i: 1 }));
    await settle();
    expect(hub.delivered).toHaveLength(0);
    hub.offline.delete('edge-1/filter');
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    expect(hub.delivered).toHaveLength(1);
  });

  it('keeps undelivered messages when the module drops mid-delivery and retries', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    hub.offline.add('edge-1/filter');
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await router.route(output('sensor', 'out1', { i: 1 }));
    await settle();
    expect(router.queueDepth()).toBe(1);
    hub.offline.delete('edge-1/filter');
    for (let i = 0; i < 200 && hub.delivered.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    await settle();
    expect(hub.delivered).toHaveLength(1);
    expect(router.queueDepth()).toBe(0);
  });

  it('sends live while the module keeps up and falls back to the queue, in order, when 1,000 are unacknowledged', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    const held: Array<() => void> = [];
    const order: number[] = [];
    hub.deliverToModuleInput = (_t, _i, m) =>
      new Promise<void>((resolve) => {
        order.push(JSON.parse(m.body.toString()).i);
        held.push(resolve);
      });
    await Promise.all(Array.from({ length: 1500 }, (_, i) => router.route(output('sensor', 'o', { i }))));
    await settle();
    expect(order).toHaveLength(1000); // the live window
    expect(router.queueDepth()).toBe(1500);
    held.splice(0).forEach((release) => release());
    for (let i = 0; i < 100 && order.length < 1500; i += 1) {
      await settle();
      held.splice(0).forEach((release) => release());
    }
    expect(order).toEqual([...Array(1500).keys()]);
    for (let i = 0; i < 20 && router.queueDepth() > 0; i += 1) await settle();
    expect(router.queueDepth()).toBe(0);
  });

  /** A router with a short delivery timeout, routing everything to filter/in1, filter ready. */
  const liveToFilterWithTimeout = async (deliveryTimeoutMs: number) => {
    router.close();
    router = new EdgeRouter({ store, connections: hub, upstream: hub, stateDir: dir, clock, retryDelayMs: 20, purgeIntervalMs: 60_000, deliveryTimeoutMs });
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
  };

  it('sends a live delivery again from routing.db when the module acknowledged nothing within the delivery timeout', async () => {
    await liveToFilterWithTimeout(100);
    const sent: number[] = [];
    let lost = true;
    hub.deliverToModuleInput = (_t, _i, m) => {
      sent.push(JSON.parse(m.body.toString()).i);
      if (!lost) return Promise.resolve();
      lost = false;
      return new Promise<void>(() => {}); // connected, but never acknowledges this one
    };
    await router.route(output('sensor', 'o', { i: 1 }));
    await settle();
    expect(sent).toEqual([1]);
    for (let i = 0; i < 100 && sent.length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual([1, 1]);
    for (let i = 0; i < 20 && router.queueDepth() > 0; i += 1) await settle();
    expect(router.queueDepth()).toBe(0);
    await router.route(output('sensor', 'o', { i: 2 })); // live again
    await settle();
    expect(sent).toEqual([1, 1, 2]);
  });

  it('keeps sending live to a module that acknowledges slowly but steadily, past the delivery timeout', async () => {
    await liveToFilterWithTimeout(100);
    const sent: number[] = [];
    const held: Array<() => void> = [];
    hub.deliverToModuleInput = (_t, _i, m) => {
      sent.push(JSON.parse(m.body.toString()).i);
      return new Promise<void>((resolve) => held.push(resolve));
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => router.route(output('sensor', 'o', { i }))));
    await settle();
    for (let k = 0; k < 6; k += 1) {
      await new Promise((r) => setTimeout(r, 40)); // one PUBACK every 40 ms: 240 ms for all, none waits 100 ms without progress
      held.shift()?.();
    }
    await settle();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]); // none sent twice
    expect(router.queueDepth()).toBe(0);
  });

  it('drains a large backlog in order with at most 1,000 deliveries in flight and none twice', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    await Promise.all(Array.from({ length: 2500 }, (_, i) => router.route(output('sensor', 'o', { i }))));
    const held: Array<() => void> = [];
    const order: number[] = [];
    let maxHeld = 0;
    hub.deliverToModuleInput = (_t, _i, m) =>
      new Promise<void>((resolve) => {
        order.push(JSON.parse(m.body.toString()).i);
        held.push(resolve);
        maxHeld = Math.max(maxHeld, held.length);
      });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    for (let i = 0; i < 200 && order.length < 2500; i += 1) {
      await settle(2);
      held.splice(0, 300).forEach((release) => release());
    }
    held.splice(0).forEach((release) => release());
    expect(maxHeld).toBeLessThanOrEqual(1000);
    expect(order).toEqual([...Array(2500).keys()]);
    for (let i = 0; i < 20 && router.queueDepth() > 0; i += 1) await settle();
    expect(router.queueDepth()).toBe(0);
  });

  it('drops messages whose TTL passed: route TTL first, else the store-and-forward TTL', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        short: { route: 'FROM /messages/modules/sensor/outputs/a INTO BrokeredEndpoint("/modules/filter/inputs/in1")', priority: 1, timeToLiveSecs: 10 },
        long: 'FROM /messages/modules/sensor/outputs/b INTO BrokeredEndpoint("/modules/filter/inputs/in1")',
      },
      storeAndForwardConfiguration: { timeToLiveSecs: 100 },
    });
    await router.route(output('sensor', 'a', { n: 'a' }));
    await router.route(output('sensor', 'b', { n: 'b' }));
    clock.t += 11_000;
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).n)).toEqual(['b']);
  });

  it('drains higher priority first, FIFO within a priority', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        low: { route: 'FROM /messages/modules/sensor/outputs/low INTO BrokeredEndpoint("/modules/filter/inputs/in1")', priority: 5 },
        high: { route: 'FROM /messages/modules/sensor/outputs/high INTO BrokeredEndpoint("/modules/filter/inputs/in1")', priority: 0 },
        plain: 'FROM /messages/modules/sensor/outputs/plain INTO BrokeredEndpoint("/modules/filter/inputs/in1")',
      },
    });
    for (const o of ['plain', 'low', 'high', 'low', 'high']) await router.route(output('sensor', o, { o, at: clock.t++ }));
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle();
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).o)).toEqual(['high', 'high', 'low', 'low', 'plain']);
    const highs = hub.delivered.filter((d) => d.message.body.includes('"high"')).map((d) => JSON.parse(d.message.body.toString()).at);
    expect(highs[0]).toBeLessThan(highs[1]);
  });

  it('fans out to several inputs and upstream once', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: {
        a: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")',
        b: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/sink/inputs/x")',
        c: 'FROM /messages/* INTO $upstream',
        d: 'FROM /* INTO $upstream',
      },
    });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'sink' });
    await router.route(output('sensor', 'out1', { f: 1 }));
    await settle();
    expect(hub.delivered.map((d) => `${d.to}:${d.input}`).sort()).toEqual(['edge-1/filter:in1', 'edge-1/sink:x']);
    expect(hub.upstream).toHaveLength(1);
  });

  it('refuses an invalid route set as a whole: old routes stay, 400 reported', async () => {
    deploy({ schemaVersion: '1.1', routes: { ok: 'FROM /* INTO $upstream' } });
    await settle();
    deploy({ schemaVersion: '1.1', routes: { ok: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")', bad: 'FROM /* WHERE (a = "x" INTO $upstream' } });
    await settle();
    expect(router.routesOf('edge-1')?.map((r) => r.name)).toEqual(['ok']);
    const status = reported().lastDesiredStatus as { code: number; description: string };
    expect(status.code).toBe(400);
    expect(status.description).toContain('route "bad"');
    expect(status.description).toContain('missing closing ")"');
    expect(reported().lastDesiredVersion).toBe(3);
    await router.route(output('sensor', 'out1', { still: 'upstream' }));
    expect(hub.upstream).toHaveLength(1);
  });

  it('applies a changed route set without restart', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO $upstream' } });
    await router.route(output('sensor', 'out1', { n: 1 }));
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    await router.route(output('sensor', 'out1', { n: 2 }));
    expect(hub.upstream).toHaveLength(1);
    expect(router.queueDepth()).toBe(1);
  });

  it('keeps queued messages across a restart and delivers them after it', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    for (let i = 0; i < 100; i += 1) await router.route(output('sensor', 'out1', { i }));
    router.close();
    router = open();
    expect(router.queueDepth()).toBe(100);
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle(10);
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).i)).toEqual([...Array(100).keys()]);
  });

  it('reports clients with status and connect/disconnect times; leaf devices disappear on disconnect', async () => {
    deploy({ schemaVersion: '1.1', routes: { all: 'FROM /messages/* INTO $upstream' } });
    router.clientConnected({ deviceId: 'edge-1', moduleId: 'sensor' });
    router.clientConnected({ deviceId: 'edge-1', moduleId: '$edgeAgent' });
    router.clientConnected({ deviceId: 'plain-1' });
    await settle();
    expect((reported().clients as Record<string, { status: string }>)['plain-1']?.status).toBe('Connected');
    clock.t += 1000;
    router.clientDisconnected({ deviceId: 'edge-1', moduleId: 'sensor' });
    router.clientDisconnected({ deviceId: 'plain-1' });
    await settle();
    const clients = reported().clients as Record<string, Record<string, string>>;
    expect(clients['edge-1/sensor']).toEqual({
      status: 'Disconnected',
      lastConnectedTimeUtc: '2026-01-01T00:00:00.000Z',
      lastDisconnectedTimeUtc: '2026-01-01T00:00:01.000Z',
    });
    expect(clients['edge-1/%24edgeAgent']).toMatchObject({ status: 'Connected' });
    expect(clients['plain-1']).toBeUndefined();
    expect(Object.keys(clients).some((k) => k.includes('edgeHub'))).toBe(false);
  });

  it('clears the clients map when it starts', async () => {
    router.clientConnected({ deviceId: 'edge-1', moduleId: 'sensor' });
    await settle();
    router.close();
    router = open();
    await settle();
    expect(reported().clients).toBeUndefined();
  });

  it('routes leaf-device telemetry through the single edge device', async () => {
    deploy({ schemaVersion: '1.1', routes: { leaf: 'FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO BrokeredEndpoint("/modules/filter/inputs/leaf")' } });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await router.route({ ...output('sensor', 'x', { leaf: true }), deviceId: 'plain-1', moduleId: undefined, outputName: undefined });
    await router.route(output('sensor', 'x', { leaf: false }));
    await settle();
    expect(hub.delivered).toHaveLength(1);
    expect(hub.delivered[0]!.message.systemProperties).toMatchObject({ cdid: 'plain-1' });
    expect(hub.delivered[0]!.message.systemProperties.cmid).toBeUndefined();
  });

  it('routes reported-property changes as /twinChangeNotifications', async () => {
    deploy({ schemaVersion: '1.1', routes: { t: 'FROM /twinChangeNotifications INTO BrokeredEndpoint("/modules/sink/inputs/twin")' } });
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'sink' });
    store.twins.patchReported({ deviceId: 'edge-1', moduleId: 'sensor' }, { temp: 3 });
    await settle();
    expect(hub.delivered).toHaveLength(1);
    expect(JSON.parse(hub.delivered[0]!.message.body.toString())).toMatchObject({ properties: { reported: { temp: 3 } } });
  });

  it('refuses new messages for module inputs once the queues hold storeLimits.maxSizeBytes, drops nothing, and accepts again after deliveries', async () => {
    deploy({
      schemaVersion: '1.1',
      routes: { r1: 'FROM /messages/modules/sensor/outputs/out1 INTO BrokeredEndpoint("/modules/filter/inputs/in1")', up: 'FROM /messages/modules/sensor/outputs/up INTO $upstream' },
      storeAndForwardConfiguration: { timeToLiveSecs: 7200, storeLimits: { maxSizeBytes: 2000 } },
    });
    await settle();
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 100 && refusal === undefined; i += 1) {
      await router.route(output('sensor', 'out1', { i })).then(
        () => (accepted += 1),
        (error: unknown) => (refusal = error),
      );
    }
    expect(refusal).toMatchObject({ code: 'STORE_FULL' });
    expect((refusal as Error).message).toMatch(/storeLimits\.maxSizeBytes 2000/);
    // ~100 bytes a message (body + property JSON): refused only once 2,000 bytes are held.
    expect(accepted).toBeGreaterThanOrEqual(15);
    expect(accepted).toBeLessThan(30);
    expect(router.queueDepth({ deviceId: 'edge-1', moduleId: 'filter' })).toBe(accepted);
    // $upstream is IoT Hub's side, not the edge device's queues: still accepted while they are full.
    await router.route(output('sensor', 'up', { u: 1 }));
    expect(hub.upstream).toHaveLength(1);
    router.inputsReady({ deviceId: 'edge-1', moduleId: 'filter' });
    await settle(10);
    expect(hub.delivered.map((d) => JSON.parse(d.message.body.toString()).i)).toEqual(Array.from({ length: accepted }, (_, i) => i));
    clock.t += 1000; // the real size is asked for at most once a second while the queues look full
    await router.route(output('sensor', 'out1', { i: 'after' }));
    await settle();
    expect(JSON.parse(hub.delivered.at(-1)!.message.body.toString())).toEqual({ i: 'after' });
    expect(router.queueDepth()).toBe(0);
  });

  it('has no size limit without storeLimits', async () => {
    deploy({ schemaVersion: '1.1', routes: { r1: 'FROM /messages/modules/sensor/outputs/out1 INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    await settle();
    for (let i = 0; i < 100; i += 1) await router.route(output('sensor', 'out1', { i }));
    expect(router.queueDepth()).toBe(100);
  });

  it('treats a device as a plain IoT Hub device when no edge route set takes /messages', async () => {
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/modules/sensor/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    await router.route({ ...output('sensor', 'x', { plain: true }), deviceId: 'plain-1', moduleId: undefined, outputName: undefined });
    expect(hub.upstream).toHaveLength(1);
    expect(router.queueDepth()).toBe(0);
  });

  it('sends plain (non-edge) devices to $upstream when two edge devices could take them', async () => {
    store.identities.createDevice('edge-2', { edge: true });
    router.close();
    router = open();
    deploy({ schemaVersion: '1.1', routes: { r: 'FROM /messages/* INTO BrokeredEndpoint("/modules/filter/inputs/in1")' } });
    store.twins.replaceDesired({ deviceId: 'edge-2', moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes: { r: 'FROM /* INTO $upstream' } });
    await router.route({ ...output('sensor', 'x', {}), deviceId: 'plain-1', moduleId: undefined, outputName: undefined });
    expect(router.queueDepth()).toBe(0);
    expect(hub.upstream).toHaveLength(1);
  });
});
