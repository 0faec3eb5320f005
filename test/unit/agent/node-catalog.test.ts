import { describe, expect, it } from 'vitest';
import { NodeCatalog } from '../../../runtime/agent/kubernetes/node-catalog.js';
import { KubeApiError, type KubeApi, type KubeObject } from '../../../runtime/agent/kubernetes/kube-api.js';

const clock = (t = { now: 0 }) => ({ now: () => t.now, sleep: async () => undefined }) as never;

function kubeWith(list: () => Promise<KubeObject[]>): KubeApi & { calls: number } {
  const api = {
    calls: 0,
    list: async () => {
      api.calls += 1;
      return list();
    },
  };
  return api as unknown as KubeApi & { calls: number };
}

const realNode = { metadata: { name: 'real', labels: { 'edgemu.io/node-pool': 'real' } }, status: { images: [{ names: ['docker.io/edgemu/filter:0.1.0'] }] } };

describe('NodeCatalog', () => {
  it('reads pools and the real node’s images, adds the image catalog’s names, and caches for 5 s', async () => {
    const time = { now: 0 };
    const kube = kubeWith(async () => [realNode]);
    const catalog = new NodeCatalog(kube, clock(time), { realNodeImages: async () => new Set(['docker.io/edgemu/echo:0.1.0']) });
    const first = await catalog.read(AbortSignal.timeout(1000));
    expect(first.pools).toBe('mixed');
    expect([...first.realImages].sort()).toEqual(['docker.io/edgemu/echo:0.1.0', 'docker.io/edgemu/filter:0.1.0']);
    time.now = 4_999;
    await catalog.read(AbortSignal.timeout(1000));
    expect(kube.calls).toBe(1);
    time.now = 5_000;
    await catalog.read(AbortSignal.timeout(1000));
    expect(kube.calls).toBe(2);
  });

  it('reads a cluster whose Nodes it may not list (403) as one without pools, and passes other errors on', async () => {
    const forbidden = new NodeCatalog(kubeWith(async () => Promise.reject(new KubeApiError('list Node: forbidden', 403))), clock());
    expect(await forbidden.read(AbortSignal.timeout(1000))).toEqual({ pools: 'none', realImages: new Set() });
    const down = new NodeCatalog(kubeWith(async () => Promise.reject(new Error('ECONNREFUSED'))), clock());
    await expect(down.read(AbortSignal.timeout(1000))).rejects.toThrow('ECONNREFUSED');
  });
});
