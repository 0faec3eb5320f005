import { AppsV1Api } from '@kubernetes/client-node';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, MemoryTwin, startAgent, syntheticDesired, uniqueDevice } from './agent-harness.js';

/**
 * A TCP relay in front of the API server that can be taken down and brought back on the same
 * port: from the agent's side exactly an API server that stops and restarts (TLS passes through).
 */
class Relay {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

const agents: EdgeAgent[] = [];
const devices: string[] = [];
let relay: Relay | undefined;
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await relay?.down();
  const kc = kubeConfig();
  await Promise.all(devices.map((d) => deleteDeviceNamespace(kc, d)));
});

describe('the edge agent when the API server goes away', () => {
  it('reports 500 while the API server is unreachable, keeps running, and converges once it is back', async () => {
    const real = kubeConfig();
    const server = new URL(real.getCurrentCluster()!.server);
    relay = new Relay({ host: server.hostname, port: Number(server.port) });
    await relay.up();
    const kc = kubeConfig();
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${relay!.port}` }));
    const deviceId = uniqueDevice('outage');
    devices.push(deviceId);
    const twin = new MemoryTwin(syntheticDesired({ a: {} }));
    agents.push(startAgent(kc, deviceId, twin));
    await eventually(async () => (twin.module('a')?.runtimeStatus === 'running' && (twin.reported.lastDesiredStatus as JsonObject).code === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'a running',
    });

    await relay.down();
    twin.setDesired(syntheticDesired({ a: {}, b: {} }));
    const down = await eventually(async () => {
      const s = twin.reported.lastDesiredStatus as JsonObject;
      return s.code === 500 ? s : undefined;
    }, { timeoutMs: 15_000, what: '500 reported' });
    expect(String(down.description)).toMatch(/unreachable|ECONNREFUSED|ECONNRESET/);
    // The last known modules stay reported rather than vanishing.
    expect(twin.module('a')?.runtimeStatus).toBe('running');

    await relay.up();
    await eventually(async () => (twin.module('b')?.runtimeStatus === 'running' && (twin.reported.lastDesiredStatus as JsonObject).code === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'b running after the API server came back',
    });
    const names = (await real.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: deviceNamespace(deviceId) })).items.map((d) => d.metadata?.name).sort();
    expect(names).toEqual(['a', 'b']);
  });
});
