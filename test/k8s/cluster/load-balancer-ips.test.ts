import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries, startLocalCluster, stopLocalCluster } from '../../../runtime/cluster/index.js';
import { isRunning } from '../../../runtime/cluster/process-tree.js';
import { reconcileLoadBalancers, runLoadBalancerController, type ApiTarget } from '../../../runtime/cluster/load-balancer-controller.js';
import { parseIpRange } from '../../../runtime/cluster/service-ip-range.js';
import { createTestNamespace, eventually, kubeConfig, type TestNamespace } from '../../helpers/k8s.js';

/*
 * LoadBalancer IPs from a static range (docs/cluster.md "LoadBalancer IPs") against the run's real
 * API server: the controller writes status.loadBalancer.ingress, and a Service the range cannot
 * serve stays pending with a Warning Event, Azure Stack Edge's "no IP" symptom.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
/** The controller's target from the run's kubeconfig: its server and client certificate (file or inline data). */
const api: ApiTarget = (() => {
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const pem = (data: string | undefined, file: string | undefined) => (data !== undefined ? Buffer.from(data, 'base64').toString('utf8') : readFileSync(file!, 'utf8'));
  return { server: cluster.server, tls: { ca: pem(cluster.caData, cluster.caFile), cert: pem(user.certData, user.certFile), key: pem(user.keyData, user.keyFile) } };
})();
const range = parseIpRange('10.89.7.10-10.89.7.11');
let ns: TestNamespace;

const loadBalancer = (name: string) =>
  core.createNamespacedService({ namespace: ns.name, body: { metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'mqtts', port: 8883 }] } } });
const ingressOf = async (name: string) => (await core.readNamespacedService({ name, namespace: ns.name })).status?.loadBalancer?.ingress?.map((i) => i.ip) ?? [];
const eventsOf = async (name: string, reason: string) =>
  (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${name},involvedObject.kind=Service` })).items.filter((e) => e.reason === reason);

beforeAll(async () => {
  ns = await createTestNamespace('lb-ips');
});
afterAll(async () => {
  await ns?.delete();
});

describe('LoadBalancer IPs from a range of two', () => {
  const seen = new Map<string, string>();

  it('gives the first two Services an IP each and leaves the third pending with a "no IP" Warning Event', async () => {
    for (const name of ['a-edgehub', 'b-web', 'c-api']) await loadBalancer(name);
    const first = await reconcileLoadBalancers(api, range, seen);
    expect(first.assigned.get(`${ns.name}/a-edgehub`)).toBe('10.89.7.10');
    expect(first.assigned.get(`${ns.name}/b-web`)).toBe('10.89.7.11');
    expect(await ingressOf('a-edgehub')).toEqual(['10.89.7.10']);
    expect(await ingressOf('b-web')).toEqual(['10.89.7.11']);
    expect(await ingressOf('c-api')).toEqual([]);
    const warnings = await eventsOf('c-api', 'AllocationFailed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning', source: { component: 'edgemu-service-ips' } });
    expect(warnings[0]!.message).toMatch(/^no IP available: all 2 Kubernetes external service IPs \(10\.89\.7\.10-10\.89\.7\.11\) are assigned$/);
    expect(await eventsOf('a-edgehub', 'IPAllocated')).toHaveLength(1);
  });

  it('changes nothing and repeats no Event on the next pass', async () => {
    const again = await reconcileLoadBalancers(api, range, seen);
    expect(again.changed).toEqual([]);
    expect(await eventsOf('c-api', 'AllocationFailed')).toHaveLength(1);
  });

  it('gives the freed IP to the pending Service once another is deleted', async () => {
    await core.deleteNamespacedService({ name: 'a-edgehub', namespace: ns.name });
    const after = await reconcileLoadBalancers(api, range, seen);
    expect(after.changed).toEqual([`${ns.name}/c-api`]);
    expect(await ingressOf('c-api')).toEqual(['10.89.7.10']);
    expect(await ingressOf('b-web')).toEqual(['10.89.7.11']);
  });

  it('leaves Services of another loadBalancerClass and other types alone', async () => {
    await core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'other-class' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', ports: [{ port: 80 }] } } });
    await core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'plain' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } } });
    const pass = await reconcileLoadBalancers(api, range, seen);
    expect(pass.assigned.has(`${ns.name}/other-class`)).toBe(false);
    expect(await ingressOf('other-class')).toEqual([]);
    expect(await ingressOf('plain')).toEqual([]);
  });
});

describe('the controller loop', () => {
  it('assigns an IP to a new Service within a few passes and stops on abort', async () => {
    const stop = new AbortController();
    const wide = parseIpRange('10.89.8.10-10.89.8.20');
    const loop = runLoadBalancerController({ api, range: wide, signal: stop.signal, intervalMs: 200 });
    try {
      await loadBalancer('d-late');
      const ips = await eventually(async () => {
        const ip = await ingressOf('d-late');
        return ip.length > 0 ? ip : undefined;
      }, { timeoutMs: 15_000, what: 'an IP for d-late' });
      expect(ips[0]).toMatch(/^10\.89\.8\.(1[0-9]|20)$/);
    } finally {
      stop.abort();
      await loop;
    }
  });
});

describe('a local cluster started with --service-ips', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgemu-lb-cluster-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs the controller as one of its processes: one IP, the second Service pending with the Event; stopped with the cluster', async () => {
    const { binaries } = await ensureBinaries({});
    const { state } = await startLocalCluster({ name: 'lb', dir: join(root, 'lb'), binaries, nodePool: 'simulated', serviceIps: '10.89.9.10' });
    try {
      expect(state.serviceIps).toBe('10.89.9.10');
      const controller = state.processes.find((p) => p.id === 'service-ips');
      expect(controller).toBeDefined();
      const own = new KubeConfig();
      own.loadFromFile(state.kubeconfig);
      const api = own.makeApiClient(CoreV1Api);
      for (const name of ['first', 'second']) {
        await api.createNamespacedService({ namespace: 'default', body: { metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } } });
        await new Promise((r) => setTimeout(r, 1100)); // creation timestamps have 1 s resolution
      }
      await eventually(async () => (await api.readNamespacedService({ name: 'first', namespace: 'default' })).status?.loadBalancer?.ingress?.[0]?.ip === '10.89.9.10', { what: 'first gets 10.89.9.10' });
      const warning = await eventually(async () => (await api.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=second' })).items.find((e) => e.reason === 'AllocationFailed'), { what: 'the AllocationFailed Event' });
      expect(warning.message).toMatch(/^no IP available/);
      expect((await api.readNamespacedService({ name: 'second', namespace: 'default' })).status?.loadBalancer?.ingress ?? []).toEqual([]);

      // a second cluster next to it may not take an overlapping range; nothing of it is left
      await expect(startLocalCluster({ name: 'lb2', dir: join(root, 'lb2'), binaries, nodePool: 'simulated', serviceIps: '10.89.9.5-10.89.9.20' })).rejects.toMatchObject({ code: 'SERVICE_IPS_OVERLAP', message: expect.stringMatching(/overlaps the --service-ips of cluster "lb"/) });
      expect(existsSync(join(root, 'lb2', 'cluster.json'))).toBe(false);
      const stopped = await stopLocalCluster(state.dir);
      expect(stopped.stopped.map((p) => p.id)).toContain('service-ips');
      expect(isRunning(controller!.pid)).toBe(false);
    } finally {
      await stopLocalCluster(state.dir);
    }
  }, 180_000);

  it.each([
    ['10.96.0.10-10.96.0.20', 'SERVICE_IPS_OVERLAP'],
    ['127.0.0.10-127.0.0.20', 'SERVICE_IPS_INVALID'],
    ['10.89.0.20-10.89.0.10', 'SERVICE_IPS_INVALID'],
  ])('refuses --service-ips %s with %s before starting anything', async (serviceIps, code) => {
    const { binaries } = await ensureBinaries({});
    await expect(startLocalCluster({ name: 'bad', dir: join(root, 'bad'), binaries, nodePool: 'simulated', serviceIps })).rejects.toMatchObject({ code });
    expect(existsSync(join(root, 'bad', 'cluster.json'))).toBe(false);
  });
});
