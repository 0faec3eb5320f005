/**
 * The sample modules against a real hub (the composition root, in this process) started with
 * `edgemu module run` (the module itself is a child process running the Azure IoT device SDK):
 * the echo module's methods and input echo, the filter's handling of malformed input, and a
 * module that starts before its hub.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../runtime/cli/main.js';
import { openHubStore } from '../../../runtime/hub/index.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { connectToRunningHub } from '../../../runtime/service-api/service-client.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'deployments/examples/sample-modules.deployment.json'), 'utf8'));
const DEVICE = 'edge-1';

interface RunningModule {
  stop: AbortController;
  result: { out: string; err: string; code: number | undefined };
  done: Promise<unknown>;
}

let stateDir: string;
let server: Server | undefined;
const running: RunningModule[] = [];

/** `edgemu module run` in this process; the module program is a child process. */
function moduleRun(folder: string, moduleId: string): RunningModule {
  const stop = new AbortController();
  const result = { out: '', err: '', code: undefined as number | undefined };
  const done = main(['--state-dir', stateDir, '--log-level', 'silent', 'module', 'run', path.join(repo, 'modules', folder), '--device', DEVICE, '--module', moduleId], {
    out: (s) => void (result.out += s),
    err: (s) => void (result.err += s),
    shutdownSignal: stop.signal,
  }).then((code) => (result.code = code));
  const m = { stop, result, done };
  running.push(m);
  return m;
}

async function stopModule(m: RunningModule): Promise<number | undefined> {
  m.stop.abort();
  await m.done;
  return m.result.code;
}

const start = (mqttsPort = 0) => startServer({ stateDir, mqttsPort, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-modules-hub-'));
  const store = openHubStore({ stateDir });
  store.identities.createDevice(DEVICE, { edge: true });
  store.close();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => stopModule(m)));
  await server?.close();
  server = undefined;
}, 30_000);

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('the sample modules on a real hub', () => {
  it('echo answers its echo and ping methods and echoes input messages to output1', async () => {
    server = await start();
    const service = connectToRunningHub(stateDir);
    try {
      await service.applyConfigurationContent(DEVICE, manifest);
      moduleRun('echo', 'echo');
      const ref = { deviceId: DEVICE, moduleId: 'echo' };
      await vi.waitFor(() => expect(server!.hub.isConnected(ref)).toBe(true), { timeout: 20_000, interval: 100 });

      const payload = { text: 'hello', list: [1, 2, 3], nested: { ok: true } };
      await vi.waitFor(async () => expect(await service.invokeMethod(ref, 'echo', payload, 5)).toEqual({ status: 200, payload }), { timeout: 20_000, interval: 250 });
      const ping = await service.invokeMethod(ref, 'ping', null, 5);
      expect(ping.status).toBe(200);
      expect(Date.parse((ping.payload as { pong: string }).pong)).not.toBeNaN();

      const body = JSON.stringify({ machine: { temperature: 99 } });
      await vi.waitFor(
        () => server!.hub.deliverToModuleInput({ deviceId: DEVICE, moduleId: 'echo' }, 'alerts', { body: Buffer.from(body), properties: { MessageType: 'Alert' }, systemProperties: {} }),
        { timeout: 20_000, interval: 250 },
      );
      const echoed = await vi.waitFor(
        () => {
          const found = server!.hub.messages.read({ deviceId: DEVICE }).find((m) => m.moduleId === 'echo');
          if (!found) throw new Error('no echo yet');
          return found;
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(echoed.outputName).toBe('output1');
      expect(echoed.body.toString()).toBe(body);
      expect(echoed.properties).toMatchObject({ MessageType: 'Alert', echoedFrom: 'alerts' });
    } finally {
      service.close();
    }
  }, 60_000);

  it('the filter drops malformed messages, carries on, and still forwards hot readings', async () => {
    server = await start();
    const service = connectToRunningHub(stateDir);
    try {
      await service.applyConfigurationContent(DEVICE, manifest);
      const filter = moduleRun('filter', 'filter');
      await vi.waitFor(() => expect(server!.hub.isConnected({ deviceId: DEVICE, moduleId: 'filter' })).toBe(true), { timeout: 20_000, interval: 100 });
      const deliver = (text: string) =>
        vi.waitFor(() => server!.hub.deliverToModuleInput({ deviceId: DEVICE, moduleId: 'filter' }, 'input1', { body: Buffer.from(text), properties: {}, systemProperties: {} }), {
          timeout: 20_000,
          interval: 250,
        });
      await deliver('not json at all');
      await deliver(JSON.stringify({ machine: { temperature: 'hot' } }));
      await deliver(JSON.stringify({ machine: { temperature: 10 } }));
      await deliver(JSON.stringify({ machine: { temperature: 50 }, tag: 'hot-one' }));
      const forwarded = await vi.waitFor(
        () => {
          const found = server!.hub.messages.read({ deviceId: DEVICE }).filter((m) => m.moduleId === 'filter');
          if (found.length === 0) throw new Error('nothing forwarded yet');
          return found;
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(forwarded.map((m) => JSON.parse(m.body.toString()).tag)).toEqual(['hot-one']);
      expect(filter.result.out).toMatch(/filter \| .*dropping a malformed message: body is not JSON/);
      expect(filter.result.out).toMatch(/filter \| .*dropping a malformed message: body has no numeric machine.temperature/);
      const reset = await service.invokeMethod({ deviceId: DEVICE, moduleId: 'filter' }, 'reset', {}, 5);
      expect(reset.status).toBe(200);
      expect((reset.payload as { previous: unknown }).previous).toEqual({ received: 4, forwarded: 1, dropped: 1, rejected: 2 });
      expect(filter.result.code).toBeUndefined();
    } finally {
      service.close();
    }
  }, 60_000);

  it('the sensor refuses a bad desired sendInterval, reports why, and keeps its current interval', async () => {
    server = await start();
    const service = connectToRunningHub(stateDir);
    try {
      await service.applyConfigurationContent(DEVICE, manifest);
      const sensor = moduleRun('simulated-temperature-sensor', 'sensor');
      const ref = { deviceId: DEVICE, moduleId: 'sensor' };
      const reported = async () => (await service.getTwin(ref)).properties.reported as Record<string, unknown>;
      await vi.waitFor(async () => expect((await reported()).sendInterval).toBe(1), { timeout: 20_000, interval: 100 });
      for (const bad of ['fast', -1, 0, { seconds: 2 }]) {
        await service.patchTwin(ref, { properties: { desired: { sendInterval: bad } } });
        // Every refusal names the refused value, so each wait sees this patch's answer, not the previous one.
        await vi.waitFor(async () => expect((await reported()).sendIntervalError).toContain(`got ${JSON.stringify(bad)}`), { timeout: 10_000, interval: 100 });
        expect((await reported()).sendInterval).toBe(1);
      }
      await service.patchTwin(ref, { properties: { desired: { sendInterval: 0.2 } } });
      await vi.waitFor(async () => expect(await reported()).toMatchObject({ sendInterval: 0.2 }), { timeout: 10_000, interval: 100 });
      expect((await reported()).sendIntervalError).toBeUndefined();
      expect(sensor.result.code).toBeUndefined();
    } finally {
      service.close();
    }
  }, 60_000);

  it('a module started while no hub is running connects once the hub comes up', async () => {
    const port = await freePort();
    // A first start on a fixed port writes the CA and records the port the module will dial.
    server = await start(port);
    await server.close();
    server = undefined;
    const sensor = moduleRun('simulated-temperature-sensor', 'sensor');
    await vi.waitFor(() => expect(sensor.result.out).toMatch(/sensor \| .*connect failed/), { timeout: 20_000, interval: 100 });
    server = await start(port);
    await vi.waitFor(() => expect(sensor.result.out).toMatch(/sensor \| .*connected/), { timeout: 30_000, interval: 100 });
    expect(server.hub.isConnected({ deviceId: DEVICE, moduleId: 'sensor' })).toBe(true);
    expect(await stopModule(sensor)).toBe(0);
  }, 60_000);
});
