/**
 * The two sides of bench/kube-api-connections.bench.ts, each in its own process:
 * `server DIR` — an HTTPS stand-in for the API server (client-node's discovery of `v1`, then an
 * empty PodList for every list), printing `{"port":…,"caFile":…}` once it listens;
 * `client plain|pooled PORT CA_FILE N` — N `KubernetesObjectApi.list` calls, 20 at a time, over
 * client-node's own kubeconfig or the agent's PooledKubeConfig, with a client certificate as the
 * local cluster's admin kubeconfig has; prints the process's RSS and heap before and after, and
 * its CPU time.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../runtime/agent/kubernetes/pooled-kube-config.js';
import { ensureTlsMaterial } from '../runtime/hub/index.js';

const [role, ...args] = process.argv.slice(2);
const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

if (role === 'server') {
  const tls = await ensureTlsMaterial(args[0]!, ['localhost']);
  const server = https.createServer({ cert: tls.serverCert, key: tls.serverKey }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/v1') res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['list'] }] }));
    else res.end(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '7' }, items: [] }));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port, caFile: tls.caFile })}\n`));
} else if (role === 'client') {
  const [mode, port, caFile, n] = args;
  const ca = readFileSync(caFile!);
  const kc = new KubeConfig();
  // the stand-in does not ask for a client certificate, but the client loads it into every TLS context it makes, as with the local cluster's admin kubeconfig
  const tls = await ensureTlsMaterial(`${caFile}.client`, ['localhost']);
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://localhost:${port}`, caData: ca.toString('base64') }],
    users: [{ name: 'u', certData: Buffer.from(tls.serverCert).toString('base64'), keyData: Buffer.from(tls.serverKey).toString('base64') }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const api = KubernetesObjectApi.makeApiClient(mode === 'pooled' ? PooledKubeConfig.from(kc) : kc);
  await api.list('v1', 'Pod', 'ns');
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (next++ < Number(n)) await api.list('v1', 'Pod', 'ns');
  }));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssBeforeMb: mb(before.rss), rssAfterMb: mb(after.rss), heapAfterMb: mb(after.heapUsed) })}\n`);
  process.exit(0);
} else {
  process.stderr.write('usage: kube-api-child.ts server DIR | client plain|pooled PORT CA_FILE N\n');
  process.exit(2);
}
