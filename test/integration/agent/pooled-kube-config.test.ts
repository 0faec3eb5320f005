import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { PooledKubeConfig } from '../../../runtime/agent/kubernetes/pooled-kube-config.js';
import { ensureTlsMaterial } from '../../../runtime/hub/index.js';

/*
 * An HTTPS server standing in for the API server (a PodList for every GET, the bearer token seen
 * by each request recorded), to count the TLS connections the agent's API calls open.
 */
let dir: string;
let server: https.Server;
let port: number;
let ca: string;
let connections = 0;
const tokens: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgemu-pooled-kube-'));
  const tls = await ensureTlsMaterial(dir, ['localhost']);
  ca = tls.caCert;
  server = https.createServer({ cert: tls.serverCert, key: tls.serverKey }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    // client-node's KubernetesObjectApi reads the API group's resources once (discovery)
    if (req.url === '/api/v1') {
      res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list', 'watch'] }] }));
      return;
    }
    tokens.push(req.headers.authorization ?? '');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'p', namespace: 'ns' } }] }));
  });
  server.on('secureConnection', (_socket: TLSSocket) => void (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function kubeConfig(user: { token?: string } = { token: 'first' }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://localhost:${port}`, caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('the agent’s API calls over a pooled kubeconfig', () => {
  it('reuse keep-alive connections instead of one TLS connection per request, with the token on every request', async () => {
    connections = 0;
    tokens.length = 0;
    const api = new ClientNodeKubeApi(kubeConfig());
    for (let i = 0; i < 20; i++) expect(await api.list('v1', 'Pod', 'ns', 'a=b')).toHaveLength(1);
    // 20 at once: no more connections than the pool allows
    await Promise.all(Array.from({ length: 20 }, () => api.listWithVersion('v1', 'Pod', '', 'a=b')));
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(connections).toBeLessThanOrEqual(16);
    expect(tokens).toHaveLength(40);
    expect(new Set(tokens)).toEqual(new Set(['Bearer first']));
  });

  it('opens one connection per request with client-node’s own kubeconfig (what the pool replaces)', async () => {
    connections = 0;
    const kc = kubeConfig();
    const plain = KubernetesObjectApi.makeApiClient(kc);
    for (let i = 0; i < 5; i++) await plain.list('v1', 'Pod', 'ns');
    // the discovery request and the 5 lists
    expect(connections).toBe(6);
  });

  it('makes a new pool when the TLS material changes, and sends a changed token on the same connections', async () => {
    const pooled = PooledKubeConfig.from(kubeConfig());
    const api = KubernetesObjectApi.makeApiClient(pooled);
    connections = 0;
    tokens.length = 0;
    await api.list('v1', 'Pod', 'ns');
    pooled.users[0] = { ...pooled.users[0]!, token: 'second' };
    await api.list('v1', 'Pod', 'ns');
    expect(connections).toBe(1);
    expect(tokens).toEqual(['Bearer first', 'Bearer second']);
    // another CA (same certificate, re-encoded): the TLS options differ, so a new agent
    pooled.clusters[0] = { ...pooled.clusters[0]!, caData: Buffer.from(`${ca}\n`).toString('base64') };
    await api.list('v1', 'Pod', 'ns');
    expect(connections).toBe(2);
    pooled.close();
  });
});
