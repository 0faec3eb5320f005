import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  REAL_HOST_IP,
  cniConfig,
  containerdConfig,
  corefile,
  UNDERSCORE_REWRITES,
  kubeProxyConfig,
  kubeletArgs,
  kubeletConfig,
  nodeLayout,
  sysctlsToRestore,
} from '../../../runtime/cluster/node-config.js';

const layout = nodeLayout('/work/p/.edgemu/clusters/edgemu', 'edgemu');
const ports = { kubelet: 40001, kubeletHealthz: 40002, kubeProxyHealthz: 40003, kubeProxyMetrics: 40004 };

describe('the real node layout', () => {
  it('names every host object after the cluster directory, so two clusters never share one', () => {
    const other = nodeLayout('/work/q/.edgemu/clusters/edgemu', 'edgemu');
    for (const key of ['runDir', 'dataDir', 'containerdSocket', 'bridge', 'cgroupRoot', 'kubeletRoot'] as const) expect(other[key]).not.toBe(layout[key]);
    expect(layout.bridge.length).toBeLessThanOrEqual(15);
    expect(layout.containerdSocket.length).toBeLessThan(100);
    expect(layout.nodeName).toBe('edgemu-node');
  });
});

describe('real node configuration', () => {
  const kubelet = parse(kubeletConfig(layout, { ports, caCert: '/pki/ca.crt' })) as Record<string, unknown>;

  it('kubelet runs on cgroup v1 with cgroupfs under its own cgroup root and never deletes imported images', () => {
    expect(kubelet).toMatchObject({ failCgroupV1: false, cgroupDriver: 'cgroupfs', cgroupRoot: layout.cgroupRoot, imageGCHighThresholdPercent: 100 });
  });

  it('kubelet serves on the bridge address with client certificates of the cluster CA only', () => {
    expect(kubelet).toMatchObject({ address: REAL_HOST_IP, port: 40001, readOnlyPort: 0, authentication: { anonymous: { enabled: false }, x509: { clientCAFile: '/pki/ca.crt' } } });
    expect(kubelet.clusterDNS).toEqual([REAL_HOST_IP]);
    expect(kubeletArgs(layout, '/k')).toEqual(expect.arrayContaining([`--node-ip=${REAL_HOST_IP}`, '--node-labels=edgemu.io/node-pool=real', `--root-dir=${layout.kubeletRoot}`]));
  });

  it('containerd restricts oom_score_adj, uses runc and overlayfs, and the locally made sandbox image', () => {
    const toml = containerdConfig(layout, { sandboxImage: 'edgemu.local/pause:v1', cniBinDir: '/usr/lib/cni', runc: '/usr/sbin/runc' });
    for (const line of ['restrict_oom_score_adj = true', 'sandbox_image = "edgemu.local/pause:v1"', 'snapshotter = "overlayfs"', 'BinaryName = "/usr/sbin/runc"', 'netns_mounts_under_state_dir = true']) {
      expect(toml).toContain(line);
    }
    expect(toml).toContain(`address = "${layout.containerdSocket}"`);
  });

  it('the CNI network is this cluster’s bridge with host-local addresses and portmap, no masquerade', () => {
    const cni = JSON.parse(cniConfig(layout)) as { plugins: Record<string, unknown>[] };
    expect(cni.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(cni.plugins[0]).toMatchObject({ bridge: layout.bridge, ipMasq: false, ipam: { type: 'host-local', dataDir: layout.cniIpamDir } });
  });

  it('kube-proxy uses nftables on loopback ports and leaves conntrack sysctls alone', () => {
    const proxy = parse(kubeProxyConfig(layout, { ports, kubeconfig: '/k' })) as Record<string, unknown>;
    expect(proxy).toMatchObject({ mode: 'nftables', healthzBindAddress: '127.0.0.1:40003', metricsBindAddress: '127.0.0.1:40004', conntrack: { maxPerCore: 0 } });
  });

  it('CoreDNS answers for the cluster domain on the host address only', () => {
    const text = corefile({ kubeconfig: '/k', context: 'edgemu-edgemu' });
    expect(text).toContain(`bind ${REAL_HOST_IP}`);
    expect(text).toContain('kubernetes cluster.local');
    expect(text).toContain('kubeconfig /k edgemu-edgemu');
    expect(text.startsWith('.:53 {')).toBe(true);
  });

  it('CoreDNS rewrites module names with `_` to their Service names, one rule per underscore, service names only', () => {
    const lines = corefile({ kubeconfig: '/k', context: 'c', bind: '127.0.0.1', port: 1053 }).split('\n');
    expect(lines.slice(0, 2)).toEqual(['.:1053 {', '  bind 127.0.0.1']);
    const rewrites = lines.filter((l) => l.trim().startsWith('rewrite '));
    expect(rewrites).toHaveLength(UNDERSCORE_REWRITES);
    expect(new Set(rewrites)).toEqual(new Set(['  rewrite continue name regex ^([^.]*)_([^.]*)\\.([^.]+)\\.svc\\.cluster\\.local\\.$ {1}-{2}.{3}.svc.cluster.local. answer auto']));
    // rewrite before the kubernetes plugin answers
    expect(lines.findIndex((l) => l.includes('rewrite '))).toBeLessThan(lines.findIndex((l) => l.includes('kubernetes ')));
  });
});

describe('sysctls to restore', () => {
  it('writes back only what changed, and nothing that is gone', () => {
    expect(sysctlsToRestore({ 'kernel.panic': '1', 'vm.overcommit_memory': '0', gone: '3' }, { 'kernel.panic': '10', 'vm.overcommit_memory': '0' })).toEqual([['kernel.panic', '1']]);
  });
});
