import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import deviceSdk, { type Client, type Message, type Twin } from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { openHubStore, readDiscovery, deviceConnectionString, type HubStore } from '../../../runtime/hub/index.js';
import { startTestHub, waitFor } from '../../helpers/hub.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const children = new Set<ChildProcess>();

/** Runs `edgemu hub` as a child process and resolves with its MQTT port once it listens. */
function startHubProcess(stateDir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(repo, 'bin/edgemu.js'), '--state-dir', stateDir, '--log-level', 'warn', 'hub', '--json', '--bind', '127.0.0.1', '--https-port', '0', '--amqps-port', '0', '--mqtts-port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, port: (JSON.parse(line) as { mqttsPort: number }).mqttsPort });
    });
    child.on('exit', (code) => reject(new Error(`hub exited early with ${code}: ${out}`)));
  });
}

const killed = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('durability across a SIGKILL', () => {
  let dir: string;
  let store: HubStore;
  let client: Client | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-durable-'));
  });
  afterAll(async () => {
    await client?.close().catch(() => {});
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing it acknowledged: identities, twins, telemetry, queued C2D', async () => {
    const first = await startHubProcess(dir, 0);
    // the CLI side writes to the same store while the hub runs
    store = openHubStore({ stateDir: dir });
    store.identities.createDevice('dev1');
    store.identities.createDevice('gw1', { edge: true });
    const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    client = deviceSdk.Client.fromConnectionString(deviceConnectionString(store, { deviceId: 'dev1' }), deviceMqtt.Mqtt);
    await client.setOptions({ ca });
    await client.open();
    const twin: Twin = await client.getTwin();
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ firmware: '1.2.3' }, (e?: Error) => (e ? reject(e) : resolve())));
    // a burst of acknowledged telemetry, then SIGKILL right away
    await Promise.all(Array.from({ length: 200 }, (_, i) => client!.sendEvent(new deviceSdk.Message(`m${i}`))));
    store.c2d.enqueue('dev1', { body: 'queued before the crash', messageId: 'c2d-crash' });
    store.twins.patchDesired({ deviceId: 'gw1', moduleId: '$edgeAgent' }, { schemaVersion: '1.1' });
    first.child.kill('SIGKILL');
    await killed(first.child);
    expect(readDiscovery(dir)).toBeUndefined(); // the stale hub.json names a dead pid

    const second = await startHubProcess(dir, first.port);
    expect(second.port).toBe(first.port);
    expect(store.identities.list().map((i) => `${i.deviceId}/${i.moduleId ?? ''}`)).toEqual(['dev1/', 'gw1/', 'gw1/$edgeAgent', 'gw1/$edgeHub']);
    expect(store.twins.get({ deviceId: 'dev1' })!.properties.reported.firmware).toBe('1.2.3');
    expect(store.twins.get({ deviceId: 'gw1', moduleId: '$edgeAgent' })!.properties.desired.schemaVersion).toBe('1.1');
    const bodies = store.messages.read({ deviceId: 'dev1' }, 1000).map((m) => m.body.toString());
    expect(bodies).toHaveLength(200);
    expect(new Set(bodies).size).toBe(200);
    // the queued C2D message reaches the device once it listens on the restarted hub
    const received = new Promise<Message>((resolve) => client!.on('message', (m: Message) => resolve(m)));
    expect((await received).messageId).toBe('c2d-crash');
    await waitFor(() => store.c2d.pending('dev1').length === 0, 5000, 'C2D completed');
    second.child.kill('SIGTERM');
    await killed(second.child);
    expect(readDiscovery(dir)).toBeUndefined();
  });
});

describe('persistent sessions across a hub restart', () => {
  it('keeps delivering desired patches and twin responses to an SDK client that does not re-subscribe', async () => {
    const first = await startTestHub();
    const { stateDir } = first;
    const port = first.hub.mqttsPort;
    const client = await first.deviceClient('dev1');
    const twin = await client.getTwin();
    const patches: number[] = [];
    twin.on('properties.desired', (d: { $version: number }) => patches.push(d.$version));
    await waitFor(() => first.hub.store.sessions.filters('dev1').has('$iothub/twin/PATCH/properties/desired/#'));
    // stop the hub under the connected client, then start a new one on the same state dir and port
    await first.hub.close();
    const second = await startTestHub({ stateDir, mqttsPort: port });
    try {
      await waitFor(() => second.hub.isConnected({ deviceId: 'dev1' }), 20_000, 'SDK reconnected');
      second.hub.store.twins.patchDesired({ deviceId: 'dev1' }, { after: 'restart' });
      await waitFor(() => patches.includes(2), 5000, 'desired patch after restart');
      const again = await client.getTwin();
      expect(again.properties.desired.$version).toBe(2);
    } finally {
      await client.close();
      await second.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
