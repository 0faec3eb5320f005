import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, componentDir } from '../../../runtime/cluster/cache-dir.js';
import { componentSpecs, nodeComponentSpecs, DEFAULT_VERSIONS, KWOK_UPSTREAM_STAGE_FILES, versionsFromEnv } from '../../../runtime/cluster/versions.js';
import { assertClusterName, clusterDir } from '../../../runtime/cluster/local-cluster.js';

describe('the binary cache location', () => {
  it.each([
    [{}, join(homedir(), '.cache', 'edgemu')],
    [{ EDGEMU_CACHE_DIR: '' }, join(homedir(), '.cache', 'edgemu')],
    [{ EDGEMU_CACHE_DIR: '/ci/cache' }, '/ci/cache'],
  ])('env %j → %s', (env, expected) => {
    expect(cacheRoot(env)).toBe(expected);
  });

  it('keys each component directory by version', () => {
    expect(componentDir('/c', 'k8s', 'v1.37.2')).toBe('/c/bin/k8s-v1.37.2');
    expect(componentDir('/c', 'kwok-stages', 'v0.8.0')).toBe('/c/bin/kwok-stages-v0.8.0');
  });

  it('pins the versions of the issue and checks each binary’s --version text', () => {
    const specs = componentSpecs(DEFAULT_VERSIONS);
    expect(specs.map((s) => `${s.component}@${s.version}`)).toEqual(['etcd@v3.7.3', 'kwok@v0.8.0', 'kwok-stages@v0.8.0', 'k8s@v1.37.2', 'local-path-provisioner@v0.0.30']);
    const k8s = specs.find((s) => s.component === 'k8s')!;
    expect(k8s.extra).toBe('v0.37.2');
    expect(k8s.versionText?.('kube-apiserver')).toBe('Kubernetes v1.37.2');
    expect(specs.find((s) => s.component === 'etcd')?.versionText?.('etcd')).toBe('etcd Version: 3.7.3');
    expect(specs.find((s) => s.component === 'kwok-stages')?.files).toHaveLength(KWOK_UPSTREAM_STAGE_FILES.length);
  });

  it('pins the real node’s components: kubelet and kube-proxy of the same Kubernetes, CoreDNS, the local images', () => {
    const specs = nodeComponentSpecs(DEFAULT_VERSIONS);
    expect(specs.map((s) => `${s.component}@${s.version}`)).toEqual(['node-images@v1', 'coredns@v1.15.0', 'k8s-node@v1.37.2']);
    expect(specs.find((s) => s.component === 'k8s-node')).toMatchObject({ extra: 'v0.37.2', files: ['kubelet', 'kube-proxy'] });
    expect(specs.find((s) => s.component === 'coredns')?.versionText?.('coredns')).toBe('CoreDNS-1.15.0');
  });
});

describe('cluster names', () => {
  it.each(['edgemu', 'a', 'test-1', 'x'.repeat(40)])('accepts %s', (name) => {
    expect(() => assertClusterName(name)).not.toThrow();
  });
  it.each(['', 'Edgemu', '-a', 'a-', 'a_b', '../etc', 'a/b', 'x'.repeat(41)])('rejects %j', (name) => {
    expect(() => assertClusterName(name)).toThrow(/invalid cluster name/);
  });
  it('places a cluster under <state-dir>/clusters/<name>', () => {
    expect(clusterDir('/s', 'edgemu')).toBe('/s/clusters/edgemu');
  });
});

describe('version overrides from the environment', () => {
  it.each([
    [{}, DEFAULT_VERSIONS],
    [{ EDGEMU_K8S_VERSION: 'v1.36.3' }, { ...DEFAULT_VERSIONS, kubernetes: 'v1.36.3', kubernetesStaging: 'v0.36.3' }],
    [{ EDGEMU_ETCD_VERSION: 'v3.6.16', EDGEMU_KWOK_VERSION: 'v0.7.0' }, { ...DEFAULT_VERSIONS, etcd: 'v3.6.16', kwok: 'v0.7.0' }],
    [{ EDGEMU_K8S_VERSION: '' }, DEFAULT_VERSIONS],
  ])('env %j', (env, expected) => {
    expect(versionsFromEnv(env)).toEqual(expected);
  });

  it.each(['1.36.3', 'v1.36', 'latest', 'v1.36.3; rm -rf /'])('rejects EDGEMU_K8S_VERSION=%j', (value) => {
    expect(() => versionsFromEnv({ EDGEMU_K8S_VERSION: value })).toThrow(expect.objectContaining({ code: 'VERSION_INVALID' }));
  });
});
