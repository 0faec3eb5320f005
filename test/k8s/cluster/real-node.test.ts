import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries } from '../../../runtime/cluster/ensure-binaries.js';
import { startLocalCluster, stopLocalCluster, type LocalClusterState } from '../../../runtime/cluster/local-cluster.js';
import { readClusterNodeInfo } from '../../../runtime/cluster/node-info.js';
import { createShare } from '../../../runtime/cluster/index.js';
import { eventually, kubeconfigPath } from '../../helpers/k8s.js';
import { NOTHING_LEFT, hostSnapshot, leftovers, type HostSnapshot } from './real-node-host.js';

// Pods that really run: a real kubelet node in the local cluster (docs/cluster.md "The real
// node"). The file starts its own real-node cluster unless the run's cluster is already real.
const run = promisify(execFile);
const globalReal = inject('edgemuNodes') === 'real';
const IMAGE = 'edgemu.local/busybox:v1';
/** LoadBalancer IPs of this file's cluster (docs/cluster.md "LoadBalancer IPs"). */
const LB_RANGE = '10.89.5.10-10.89.5.12';
const BUILD_SCRIPT = fileURLToPath(new URL('../../../runtime/cluster/build-binaries.sh', import.meta.url));
let root = '';
let dir = '';
let state: LocalClusterState | undefined;
let kubeconfig = '';
let nodeName = '';
let before: HostSnapshot;
const namespace = `real-${Date.now().toString(36)}`;

const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', kubeconfig, '-n', namespace, ...args], { timeout: 60_000 })).stdout;
const core = (): CoreV1Api => {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
};

beforeAll(async () => {
  if (globalReal) {
    kubeconfig = kubeconfigPath();
  } else {
    before = hostSnapshot();
    root = mkdtempSync(join(tmpdir(), 'edgemu-real-node-'));
    dir = join(root, 'rn');
    const { binaries } = await ensureBinaries({ node: true });
    const result = await startLocalCluster({ name: 'rn', dir, binaries, nodePool: 'real', serviceIps: LB_RANGE, ownerPid: process.pid, onProgress: (m) => process.stderr.write(`[real-node] ${m}\n`) });
    state = result.state;
    kubeconfig = state.kubeconfig;
  }
  const nodes = await core().listNode();
  nodeName = nodes.items.find((n) => n.metadata?.labels?.['edgemu.io/node-pool'] === 'real')?.metadata?.name ?? '';
  await core().createNamespace({ body: { metadata: { name: namespace } } });
  await eventually(async () => core().readNamespacedServiceAccount({ name: 'default', namespace }), { what: 'default ServiceAccount' });
}, 900_000);

afterAll(async () => {
  if (state !== undefined) await stopLocalCluster(dir).catch(() => undefined);
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

const webPod = async (): Promise<string> =>
  eventually(async () => {
    const pods = await core().listNamespacedPod({ namespace, labelSelector: 'app=web' });
    const ready = pods.items.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready?.metadata?.name;
  }, { timeoutMs: 60_000, what: 'a Ready web pod' });

describe('the real node', () => {
  it('is labelled real and untainted; the simulated pool is labelled, tainted, and managed by KWOK only', async () => {
    const nodes = (await core().listNode()).items;
    const real = nodes.find((n) => n.metadata?.name === nodeName);
    expect(real?.metadata?.labels).toMatchObject({ 'edgemu.io/node-pool': 'real', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': nodeName });
    expect(real?.spec?.taints ?? []).toEqual([]);
    const simulated = nodes.filter((n) => n.metadata?.labels?.['edgemu.io/node-pool'] === 'simulated');
    expect(simulated.length).toBeGreaterThan(0);
    for (const n of simulated) expect(n.spec?.taints).toEqual([{ key: 'edgemu.io/node-pool', value: 'simulated', effect: 'NoSchedule' }]);
    if (!globalReal) {
      const info = readClusterNodeInfo(dir);
      expect(info).toMatchObject({ nodes: 'real', realNode: nodeName, containerdNamespace: 'k8s.io', hostIP: '10.88.0.1', clusterDNS: '10.88.0.1', clusterDomain: 'cluster.local', podCIDR: '10.88.0.0/16' });
    }
  });

  it('runs a Deployment of a locally made image until it is Ready, on the real node, with a pod-network address', async () => {
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: IMAGE,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && echo web-started && exec httpd -f -p 8080 -h /www'],
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    };
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
    await applyJson(manifest);
    await applyJson(service);
    const name = await webPod();
    const pod = await core().readNamespacedPod({ name, namespace });
    expect(pod.spec?.nodeName).toBe(nodeName);
    expect(pod.status?.podIP).toMatch(/^10\.88\./);
  });

  it('runs an image built in the test and imported through the node info (ctr, containerd socket)', async () => {
    // a busybox-static image under a new reference, made by the same recipe as the node's images
    const out = join(mkdtempSync(join(tmpdir(), 'edgemu-test-image-')), 'images');
    await run('bash', [BUILD_SCRIPT, 'node-images', out, 'test'], { env: { ...process.env, BUSYBOX_IMAGE: 'edgemu.local/test-echo:1' }, timeout: 120_000 });
    const info = readClusterNodeInfo(dirname(kubeconfig));
    if (info?.nodes !== 'real') throw new Error(`expected a real node, node info says ${JSON.stringify(info)}`);
    await run(info.ctr, ['--address', info.containerdAddress, '--namespace', info.containerdNamespace, 'images', 'import', join(out, 'busybox.tar')]);
    rmSync(dirname(out), { recursive: true, force: true });
    await applyJson({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'imported' },
      spec: { containers: [{ name: 'main', image: 'edgemu.local/test-echo:1', imagePullPolicy: 'Never', command: ['sh', '-c', 'echo from-imported-image; sleep 3600'] }] },
    });
    await eventually(async () => (await core().readNamespacedPod({ name: 'imported', namespace })).status?.containerStatuses?.[0]?.ready === true, { timeoutMs: 60_000, what: 'imported Ready' });
    expect(await kubectl('logs', 'imported')).toContain('from-imported-image');
  }, 180_000);

  it('answers kubectl logs and kubectl exec', async () => {
    const name = await webPod();
    expect(await kubectl('logs', name)).toContain('web-started');
    expect((await kubectl('exec', name, '--', 'cat', '/www/index.html')).trim()).toBe('hello-from-pod');
  });

  it('resolves Service names (full and short) through CoreDNS and routes ClusterIPs through kube-proxy', async () => {
    const name = await webPod();
    const svc = await core().readNamespacedService({ name: 'web', namespace });
    const clusterIP = svc.spec?.clusterIP ?? '';
    const lookup = await eventually(async () => {
      const out = await kubectl('exec', name, '--', 'nslookup', `web.${namespace}.svc.cluster.local`);
      return out.includes(clusterIP) ? out : undefined;
    }, { timeoutMs: 30_000, what: 'nslookup of the Service' });
    expect(lookup).toContain(clusterIP);
    // short names resolve through the namespace's search domain (busybox's nslookup ignores the
    // search list; glibc and Node.js resolvers use it)
    expect(await kubectl('exec', name, '--', 'cat', '/etc/resolv.conf')).toMatch(new RegExp(`^search ${namespace}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`, 'm'));
    // another pod reaches the Service's ClusterIP (nc: busybox-static's wget crashes in glibc's
    // static resolver)
    await applyJson({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] } });
    await eventually(async () => (await core().readNamespacedPod({ name: 'client', namespace })).status?.phase === 'Running', { what: 'client Running' });
    const body = await eventually(async () => (await kubectl('exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${clusterIP} 80`)) || undefined, { timeoutMs: 30_000, what: `GET http://${clusterIP}/` });
    expect(body).toMatch(/^HTTP\/1\.[01] 200/);
    expect(body.trim().split('\n').at(-1)).toBe('hello-from-pod');
  });

  // Only on this file's own cluster: the run's shared cluster has no --service-ips range.
  it.runIf(!globalReal)('gives a LoadBalancer Service an IP from --service-ips that a client on the host reaches through kube-proxy', async () => {
    await applyJson({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-lb' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const ip = await eventually(async () => (await core().readNamespacedService({ name: 'web-lb', namespace })).status?.loadBalancer?.ingress?.[0]?.ip, { timeoutMs: 30_000, what: 'an ingress IP for web-lb' });
    expect(ip).toMatch(/^10\.89\.5\.1[0-2]$/);
    // kube-proxy programs the IP after the controller writes it: retried until the pod answers, on
    // a new connection each time (a kept-alive one made before that goes where the route says).
    const get = () =>
      new Promise<string>((resolve, reject) => {
        const req = httpGet({ host: ip, port: 80, path: '/', timeout: 3_000, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 80)}`))));
        });
        req.on('timeout', () => req.destroy(new Error('no answer in 3 s')));
        req.on('error', reject);
      });
    const answer = await eventually(get, { timeoutMs: 60_000, intervalMs: 1_000, what: `GET http://${ip}/ from the host` });
    expect(answer.trim()).toBe('hello-from-pod');
  });

  it('shows real restart counts, exit codes and the previous container log of a crash-looping container', async () => {
    await applyJson({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crashy' },
      spec: { containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo crash-run; exit 3'] }] },
    });
    const status = await eventually(async () => {
      const pod = await core().readNamespacedPod({ name: 'crashy', namespace });
      const c = pod.status?.containerStatuses?.[0];
      return c !== undefined && c.restartCount >= 2 && c.lastState?.terminated?.exitCode === 3 ? c : undefined;
    }, { timeoutMs: 90_000, what: 'crashy restarted twice with exit code 3' });
    expect(status.lastState?.terminated?.reason).toBe('Error');
    expect(await kubectl('logs', 'crashy', '--previous')).toContain('crash-run');
  });
});

describe('volumes (the default StorageClass)', () => {
  const pvc = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } }, ...spec },
  });
  const podWith = (name: string, claim: string, command: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', command], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      ...extra,
    },
  });
  const phase = async (name: string) => (await core().readNamespacedPod({ name, namespace })).status?.phase;

  // The default class (local-path) and Azure Stack Edge's name for it (docs/cluster.md "Storage classes and shares").
  it.each([
    ['the default class', 'keep', {}],
    ['class ase-node-local', 'keep-ase', { storageClassName: 'ase-node-local' }],
  ])('binds a PVC of %s on the real node, and a file written in it survives the pod', async (_what, claim, spec) => {
    await applyJson(pvc(claim, spec));
    await applyJson(podWith(`${claim}-writer`, claim, 'echo kept-across-pods > /data/file && echo written'));
    await eventually(async () => (await phase(`${claim}-writer`)) === 'Succeeded', { timeoutMs: 90_000, what: `${claim}-writer Succeeded` });
    expect((await core().readNamespacedPersistentVolumeClaim({ name: claim, namespace })).status?.phase).toBe('Bound');
    await core().deleteNamespacedPod({ name: `${claim}-writer`, namespace, gracePeriodSeconds: 0 });
    await applyJson(podWith(`${claim}-reader`, claim, 'cat /data/file'));
    await eventually(async () => (await phase(`${claim}-reader`)) === 'Succeeded', { timeoutMs: 60_000, what: `${claim}-reader Succeeded` });
    expect((await kubectl('logs', `${claim}-reader`)).trim()).toBe('kept-across-pods');
  }, 180_000);

  it('shows a host directory offered as a share (a static PV pinned to the node) inside a container', async () => {
    const hostDir = join(root === '' ? mkdtempSync(join(tmpdir(), 'edgemu-real-share-')) : root, 'share');
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'hello.txt'), 'from-the-host\n');
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const share = `media-${namespace}`;
    await createShare({ kc, name: share, path: hostDir, node: nodeName });
    await applyJson(pvc('media', { storageClassName: 'ase-share', volumeName: share }));
    await applyJson(podWith('share-reader', 'media', 'cat /data/hello.txt'));
    await eventually(async () => (await phase('share-reader')) === 'Succeeded', { timeoutMs: 90_000, what: 'share-reader Succeeded' });
    expect((await kubectl('logs', 'share-reader')).trim()).toBe('from-the-host');
  }, 180_000);

  it('binds a PVC on the simulated pool too (its helper pods are completed there)', async () => {
    await applyJson(pvc('sim'));
    await applyJson(
      podWith('sim-user', 'sim', 'true', {
        nodeSelector: { 'edgemu.io/node-pool': 'simulated' },
        tolerations: [{ key: 'edgemu.io/node-pool', operator: 'Equal', value: 'simulated', effect: 'NoSchedule' }],
      }),
    );
    await eventually(async () => (await core().readNamespacedPersistentVolumeClaim({ name: 'sim', namespace })).status?.phase === 'Bound', { timeoutMs: 90_000, what: 'PVC sim Bound' });
    const pod = await core().readNamespacedPod({ name: 'sim-user', namespace });
    expect(pod.spec?.nodeName).not.toBe(nodeName);
  }, 180_000);
});

describe.runIf(!globalReal)('a second cluster on the same machine', () => {
  it('is refused a second real node with a clear message, runs simulated pods instead, and disturbs nothing of the first', async () => {
    const { binaries } = await ensureBinaries({ node: true });
    const second = join(root, 'second');
    await expect(startLocalCluster({ name: 'second', dir: second, binaries, nodePool: 'real' })).rejects.toMatchObject({
      code: 'NODE_UNAVAILABLE',
      message: expect.stringMatching(/already runs the real node on this machine/),
    });
    const notices: string[] = [];
    const other = await startLocalCluster({ name: 'second', dir: second, binaries, nodePool: 'auto', onProgress: (m) => notices.push(m) });
    expect(other.state.nodeMode).toBe('simulated');
    expect(notices.join('\n')).toMatch(/pods are simulated \(nothing runs in them\): .*already runs the real node/);
    expect(readClusterNodeInfo(second)).toMatchObject({ nodes: 'simulated', reason: expect.stringContaining('already runs the real node') });
    await stopLocalCluster(second);
    const name = await webPod();
    expect((await kubectl('exec', name, '--', 'cat', '/www/index.html')).trim()).toBe('hello-from-pod');
  }, 180_000);
});

describe.runIf(!globalReal)('cluster down', () => {
  it('stops every process, unmounts, removes the bridge, tables, cgroups and directories, and restores the sysctls', async () => {
    const result = await stopLocalCluster(dir);
    state = undefined;
    expect(result.found).toBe(true);
    expect(leftovers(dir, 'rn')).toEqual(NOTHING_LEFT);
    expect(hostSnapshot()).toEqual(before);
  }, 120_000);
});

async function applyJson(object: unknown): Promise<void> {
  const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '-n', namespace, 'apply', '-f', '-'], { timeout: 60_000 });
  const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))));
  child.stdin?.end(JSON.stringify(object));
  await done;
}
