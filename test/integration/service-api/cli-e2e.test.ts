import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, ModuleClient, Message } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { main } from '../../../runtime/cli/main.js';
import { startServer, type Server } from '../../../runtime/server/start-server.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { formatDeviceConnectionString } from '../../../runtime/hub/index.js';
import { deploymentManifest, manifestModule } from '../../helpers/manifest-builders.js';

const manifestFile = path.resolve('deployments/examples/temperature-filter.deployment.json');

async function until<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the service CLI commands against a running hub, with real SDK clients on the other side', () => {
  let dir: string;
  let stateDir: string;
  let server: Server;
  let device: Client;
  let mod: ModuleClient;
  const desiredSeen: unknown[] = [];
  const c2dSeen: Array<{ body: string; kind: unknown }> = [];

  const cli = async (args: string[], signal?: AbortSignal, onOut?: (s: string) => void) => {
    let out = '';
    let err = '';
    const code = await main(['--state-dir', stateDir, '--log-level', 'silent', ...args], {
      out: (s) => {
        out += s;
        onOut?.(s);
      },
      err: (s) => void (err += s),
      shutdownSignal: signal ?? new AbortController().signal,
    });
    return { code, out, err };
  };

  const connectionString = (deviceId: string, moduleId?: string) =>
    formatDeviceConnectionString({ hostName: `localhost:${server.mqttsPort}`, deviceId, moduleId, key: server.store.identities.get({ deviceId, moduleId })!.primaryKey });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-service-cli-'));
    stateDir = path.join(dir, 'state');
    server = await startServer({ stateDir, mqttsPort: 0, httpsPort: 0, bindAddress: '127.0.0.1', logger: silentLogger() });
    server.store.identities.createDevice('gw1', { edge: true });
    server.store.identities.createDevice('dev1');
    server.store.identities.createModule('dev1', 'modA');
    device = Client.fromConnectionString(connectionString('dev1'), Mqtt);
    await device.setOptions({ ca: server.hub.caCert });
    await device.open();
    device.onDeviceMethod('reboot', (req, res) => void res.send(200, { rebooting: true, got: req.payload }));
    device.onDeviceMethod('refuse', (_req, res) => void res.send(403, { reason: 'no' }));
    device.onDeviceMethod('hang', () => undefined);
    device.on('message', (msg: Message) => {
      c2dSeen.push({ body: msg.data.toString(), kind: msg.properties.getValue('kind') });
      void device.complete(msg);
    });
    const twin = await device.getTwin();
    twin.on('properties.desired', (delta: unknown) => desiredSeen.push(delta));
    mod = ModuleClient.fromConnectionString(connectionString('dev1', 'modA'), Mqtt);
    await mod.setOptions({ ca: server.hub.caCert });
    await mod.open();
    mod.onMethod('reset', (req, res) => void res!.send(200, { module: true }));
  });
  afterAll(async () => {
    await Promise.allSettled([device?.close(), mod?.close()]);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys a manifest and shows the modules it deploys and the twins it wrote', async () => {
    const r = await cli(['deploy', manifestFile, '--device', 'gw1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('deployed');
    expect(r.out).toContain('modules: SimulatedTemperatureSensor, filter\n');
    expect(r.out).toContain('twins written: $edgeAgent, $edgeHub, SimulatedTemperatureSensor, filter\n');
    const json = await cli(['deploy', manifestFile, '--device', 'gw1', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      device: 'gw1',
      applied: true,
      modules: ['SimulatedTemperatureSensor', 'filter'],
      twins: ['$edgeAgent', '$edgeHub', 'SimulatedTemperatureSensor', 'filter'],
      warnings: [],
    });
  });

  it('lists the modules of the deployment, not module identities left by earlier ones, with their status and the warnings', async () => {
    // A module without a twin section has no identity yet (the agent creates it); one that an
    // earlier deployment had (SimulatedTemperatureSensor) keeps its identity but is not deployed.
    const manifest = path.join(dir, 'echo-only.json');
    writeFileSync(
      manifest,
      JSON.stringify(
        deploymentManifest(
          {
            echo: manifestModule('echo', { settings: { image: 'example/echo:1' } }),
            idle: manifestModule('idle', { status: 'stopped', settings: { image: 'example/idle:1' } }),
          },
          { up: 'FROM /messages/modules/ghost/* INTO $upstream' },
        ),
      ),
    );
    const r = await cli(['deploy', manifest, '--device', 'gw1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('modules: echo, idle (stopped)\n');
    expect(r.out).not.toContain('SimulatedTemperatureSensor');
    expect(r.out).toContain('twins written: $edgeAgent, $edgeHub\n');
    expect(r.err).toMatch(/^warning: .*ghost/m);
  });

  it('refuses an invalid manifest, prints every problem with its path, exits 1 and writes nothing', async () => {
    const before = server.store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!.etag;
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '9.9' } }, $edgeHub: { 'properties.desired': {} } } }));
    const r = await cli(['deploy', broken, '--device', 'gw1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/deployment refused: .* problem/);
    expect(r.err).toMatch(/\/modulesContent\/\$edgeAgent/);
    expect(server.store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!.etag).toBe(before);
    const json = await cli(['deploy', broken, '--device', 'gw1', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ applied: false, status: 412, errors: expect.any(Array) });
    const notJson = path.join(dir, 'not-json.json');
    writeFileSync(notJson, '{"modulesContent": ');
    const bad = await cli(['deploy', notJson, '--device', 'gw1']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('not valid JSON');
  });

  it('reads a module twin and patches a device twin; the connected device gets the desired patch', async () => {
    const got = await cli(['twin', 'get', 'gw1', '--module', '$edgeHub']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ deviceId: 'gw1', moduleId: '$edgeHub', properties: { desired: { routes: expect.any(Object) } } });
    const patched = await cli(['twin', 'patch', 'dev1', '{"interval":7}']);
    expect(patched.code).toBe(0);
    expect(patched.out).toMatch(/patched twin of dev1: desired \$version \d+/);
    await until(() => (desiredSeen.some((d) => (d as { interval?: number }).interval === 7) ? true : undefined));
    const stale = await cli(['twin', 'patch', 'dev1', '{"interval":8}', '--etag', 'AAAAAAAAAAE=']);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('does not match');
  });

  it('invokes device and module methods and reports not-connected, timeout and device errors with exit 1', async () => {
    const ok = await cli(['methods', 'invoke', 'dev1', 'reboot', '{"in":3}', '--timeout', '5', '--connect-timeout', '5']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('status 200');
    expect(ok.out).toContain('"rebooting": true');
    const modJson = await cli(['methods', 'invoke', 'dev1', 'reset', '--module', 'modA', '--json', '--connect-timeout', '5']);
    expect(JSON.parse(modJson.out)).toEqual({ status: 200, payload: { module: true } });
    const refused = await cli(['methods', 'invoke', 'dev1', 'refuse']);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('status 403');
    const timeout = await cli(['methods', 'invoke', 'dev1', 'hang', '--timeout', '1']);
    expect(timeout.code).toBe(1);
    expect(timeout.err).toMatch(/did not answer method 'hang' within 1 s/);
    const offline = await cli(['methods', 'invoke', 'gw1', 'ping']);
    expect(offline.code).toBe(1);
    expect(offline.err).toContain('is not connected');
    const unknown = await cli(['methods', 'invoke', 'ghost', 'ping']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('Device ghost not found');
  });

  it('streams telemetry with --json until stopped', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const running = cli(['monitor', '--device', 'dev1', '--json'], stop.signal, (s) => lines.push(...s.split('\n').filter(Boolean)));
    // Send until the monitor (subscribed asynchronously) has printed one, then one more with properties.
    await until(() => {
      if (lines.length === 0) void device.sendEvent(new Message('{"probe":true}'));
      return lines.length > 0 ? true : undefined;
    });
    const m = new Message(JSON.stringify({ temperature: 21.5 }));
    m.properties.add('alert', 'true');
    await device.sendEvent(m);
    const event = await until(() => lines.map((l) => JSON.parse(l) as { body: string; properties: Record<string, string> }).find((e) => e.body.includes('temperature')));
    stop.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(event).toMatchObject({ deviceId: 'dev1', properties: { alert: 'true' }, body: '{"temperature":21.5}' });
  });

  it('refuses to monitor a device or module the hub does not know (exit 1) instead of streaming nothing', async () => {
    const device = await cli(['monitor', '--device', 'ghost']);
    expect(device.code).toBe(1);
    expect(device.err).toContain('Device ghost not found');
    const module = await cli(['monitor', '--device', 'dev1', '--module', 'ghost']);
    expect(module.code).toBe(1);
    expect(module.err).toContain('Module ghost on device dev1 not found');
  });

  it('names a --module filter without --device as that module of every device', async () => {
    const stop = new AbortController();
    stop.abort();
    const r = await cli(['monitor', '--module', 'modA'], stop.signal);
    expect(r.code).toBe(0);
    expect(r.err).toContain('monitoring module modA of all devices');
  });

  it('ends quietly with exit 0 when the reader of its stdout goes away (edgemu monitor | head)', async () => {
    // The real binary with a pipe as stdout; destroying our end makes its next write fail with EPIPE.
    const child = spawn(process.execPath, [path.resolve('bin/edgemu.js'), '--state-dir', stateDir, '--log-level', 'silent', 'monitor', '--device', 'dev1', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const sending = setInterval(() => void device.sendEvent(new Message('{"pipe":true}')).catch(() => undefined), 100);
    try {
      await firstLine;
      child.stdout.destroy();
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      expect(stderr).not.toContain('EPIPE');
      expect(code).toBe(0);
    } finally {
      clearInterval(sending);
    }
  }, 30_000);

  it('sends a C2D message with properties that the device receives', async () => {
    const r = await cli(['c2d', 'send', 'dev1', 'hello device', '--property', 'kind=greeting', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ messageId: expect.any(String) });
    await until(() => c2dSeen.find((c) => c.body === 'hello device'));
    expect(c2dSeen.find((c) => c.body === 'hello device')).toEqual({ body: 'hello device', kind: 'greeting' });
  });

  it.each([
    [['methods', 'invoke', 'dev1', 'reboot', '{not json'], 'PAYLOAD must be JSON'],
    [['methods', 'invoke', 'dev1', 'reboot', '--timeout', '0'], '--timeout must be'],
    [['twin', 'patch', 'dev1', '[1,2]'], 'must be a JSON object'],
    [['twin', 'patch', 'dev1', 'interval=5'], 'the twin patch must be JSON'],
    [['c2d', 'send', 'dev1', 'x', '--property', 'novalue'], '--property must be key=value'],
    [['deploy', manifestFile], "required option '--device"],
  ])('exits 2 on the usage error in %j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('says clearly that no hub is running for a state dir without one', async () => {
    let err = '';
    const code = await main(['--state-dir', path.join(dir, 'empty'), '--log-level', 'silent', 'twin', 'get', 'dev1'], {
      out: () => undefined,
      err: (s) => void (err += s),
      shutdownSignal: new AbortController().signal,
    });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: no hub is running in .*empty/);
  });
});
