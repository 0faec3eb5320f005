import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { corefile } from '../../../runtime/cluster/node-config.js';
import { cacheRoot, componentDir, DEFAULT_VERSIONS, freePort } from '../../../runtime/cluster/index.js';
import { toK8sName } from '../../../runtime/manifest/index.js';
import { createTestNamespace, eventually, kubeConfig, kubeconfigPath, type TestNamespace } from '../../helpers/k8s.js';

/*
 * A module reaches another by the name written in the manifest, as on IoT Edge's Docker network
 * (`http://image_classifier:80`). Kubernetes Service names cannot hold `_`, so the Service is
 * `image-classifier` (toK8sName); the real node's CoreDNS (its Corefile from
 * runtime/cluster/node-config.ts) rewrites `image_classifier.<ns>.svc.cluster.local` — what a
 * pod's resolver asks through its search path — to it. Proven with the real CoreDNS binary the
 * real node runs, reading this run's real kube-apiserver, bound to a free loopback port.
 */
let ns: TestNamespace;
let dir: string;
let coredns: ChildProcess | undefined;
let resolver: Resolver;
let log = '';

const headless = async (name: string, ip: string) => {
  const kc = kubeConfig();
  await kc.makeApiClient(CoreV1Api).createNamespacedService({ namespace: ns.name, body: { metadata: { name }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } } });
  await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: ns.name,
    body: { metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: 'http', port: 80 }], endpoints: [{ addresses: [ip], conditions: { ready: true } }] },
  });
};

beforeAll(async () => {
  ns = await createTestNamespace('module-dns');
  await headless(toK8sName('image_classifier'), '10.1.2.3');
  await headless(toK8sName('a_b_c'), '10.1.2.4');
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-coredns-'));
  const port = await freePort();
  const conf = path.join(dir, 'Corefile');
  writeFileSync(conf, corefile({ kubeconfig: kubeconfigPath(), context: kubeConfig().getCurrentContext(), bind: '127.0.0.1', port }));
  const binary = path.join(componentDir(cacheRoot(), 'coredns', DEFAULT_VERSIONS.coredns), 'coredns');
  coredns = spawn(binary, ['-conf', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  coredns.stdout!.on('data', (c: Buffer) => void (log += c.toString()));
  coredns.stderr!.on('data', (c: Buffer) => void (log += c.toString()));
  coredns.on('error', (e) => void (log += `\n${String(e)} (build it with \`edgemu cluster binaries\`)`));
  resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  await eventually(async () => (await resolver.resolve4(`image-classifier.${ns.name}.svc.cluster.local`)).length > 0, { timeoutMs: 30_000, what: `CoreDNS serving the Service (${log})` });
});
afterAll(async () => {
  coredns?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  await ns?.delete();
});

describe('module names as written in the manifest resolve through the real node’s CoreDNS', () => {
  it('answers image_classifier with the address of the image-classifier Service, under the name asked for', async () => {
    expect(await resolver.resolve4(`image_classifier.${ns.name}.svc.cluster.local`)).toEqual(['10.1.2.3']);
    const answer = await resolver.resolve4(`image_classifier.${ns.name}.svc.cluster.local`, { ttl: true });
    expect(answer.map((a) => a.address)).toEqual(['10.1.2.3']);
  });

  it('answers names with several underscores, and leaves other names alone', async () => {
    expect(await resolver.resolve4(`a_b_c.${ns.name}.svc.cluster.local`)).toEqual(['10.1.2.4']);
    expect(await resolver.resolve4(`a-b_c.${ns.name}.svc.cluster.local`)).toEqual(['10.1.2.4']);
    await expect(resolver.resolve4(`nobody_here.${ns.name}.svc.cluster.local`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('leaves SRV names (_port._proto.service…) as they are', async () => {
    const srv = await resolver.resolveSrv(`_http._tcp.image-classifier.${ns.name}.svc.cluster.local`);
    expect(srv.map((r) => r.port)).toEqual([80]);
  });
});
