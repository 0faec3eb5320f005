import { AppsV1Api } from '@kubernetes/client-node';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
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
  /** Accept connections but never answer: an API server that is frozen or overloaded. */
  silent = false;
  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.silent) {
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => client.destroy());
        return;
      }
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
  /** Cuts every open connection (watches, keep-alive sockets). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
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
  it('reports 500 while the API server is unreachable or frozen, never hangs, and converges once it answers again', async () => {
    const real = kubeConfig();
    const server = new URL(real.getCurrentCluster()!.server);
    relay = new Relay({ host: server.hostname, port: Number(server.port) });
    await relay.up();
    const kc = kubeConfig();
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${relay!.port}` }));
    const deviceId = uniqueDevice('outage');
    devices.push(deviceId);
    const twin = new MemoryTwin(syntheticDesired({ a: {} }));
    agents.push(startAgent(kc, deviceId, twin, { kube: new ClientNodeKubeApi(kc, { requestTimeoutMs: 1_000, watchTimeoutSeconds: 5 }) }));
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
    // Frozen: connections are accepted but nothing answers. Requests time out instead of hanging the agent.
    relay.silent = true;
    relay.cut();
    twin.setDesired(syntheticDesired({ a: {}, b: {}, c: {} }));
    // The agent's API calls share keep-alive connections: one cut together with the relay may first
    // fail as a reset (ECONNRESET, reported 500 too); the retries open new connections, which the
    // frozen server accepts and never answers — each must time out and be reported, not hang.
    const frozen = await eventually(async () => {
      const s = twin.reported.lastDesiredStatus as JsonObject;
      return s.code === 500 && /did not answer/.test(String(s.description)) ? s : undefined;
    }, { timeoutMs: 20_000, what: '500 "did not answer" reported while the API server does not answer' });
    expect(String(frozen.description)).toMatch(/did not answer/);
    relay.silent = false;
    relay.cut();
    await eventually(async () => (twin.module('c')?.runtimeStatus === 'running' && (twin.reported.lastDesiredStatus as JsonObject).code === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'c running after the API server answered again',
    });

    const names = (await real.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: deviceNamespace(deviceId) })).items.map((d) => d.metadata?.name).sort();
    expect(names).toEqual(['a', 'b', 'c']);
  });
});
