import { describe, expect, it } from 'vitest';
import { decideUpgrade, rollbackSteps, upgradePlan } from '../../../runtime/cluster/upgrade-policy.js';
import { kubernetesComponents, stagingTag, WIRED_KUBERNETES_VERSIONS, withKubernetes, DEFAULT_VERSIONS } from '../../../runtime/cluster/versions.js';

const WIRED = ['v1.36.3', 'v1.37.2'];

describe('decideUpgrade (Kubernetes version-skew policy)', () => {
  it.each([
    ['v1.36.3', 'v1.37.2', { kind: 'upgrade', from: 'v1.36.3', to: 'v1.37.2' }],
    ['v1.36.1', 'v1.36.3', { kind: 'upgrade', from: 'v1.36.1', to: 'v1.36.3' }],
    ['v1.37.0', 'v1.37.2', { kind: 'upgrade', from: 'v1.37.0', to: 'v1.37.2' }],
    ['v1.37.2', 'v1.37.2', { kind: 'current', version: 'v1.37.2' }],
  ])('%s → %s is allowed: %j', (from, to, expected) => {
    expect(decideUpgrade(from, to, WIRED)).toEqual(expected);
  });

  it.each([
    ['v1.37.2', 'v1.36.3', 'UPGRADE_DOWNGRADE', /runs v1\.37\.2; downgrading to v1\.36\.3 is not supported/],
    ['v1.37.2', 'v1.37.1', 'UPGRADE_DOWNGRADE', /downgrading to v1\.37\.1/],
    ['v1.37.2', 'v0.99.0', 'UPGRADE_DOWNGRADE', /downgrading/],
    ['v1.36.3', 'v1.38.0', 'UPGRADE_SKIPS_MINOR', /v1\.38\.0 skips minor versions .* go to a v1\.37\.x first/],
    ['v1.35.0', 'v1.37.2', 'UPGRADE_SKIPS_MINOR', /go to a v1\.36\.x first/],
    ['v1.37.2', 'v2.0.0', 'UPGRADE_SKIPS_MINOR', /skips minor versions/],
    ['v1.36.3', 'v1.37.9', 'VERSION_UNKNOWN', /v1\.37\.9 is not a version edgemu can build; known versions: v1\.36\.3, v1\.37\.2/],
    ['v1.36.1', 'v1.36.2', 'VERSION_UNKNOWN', /not a version edgemu can build/],
    ['v1.36.3', '1.37.2', 'VERSION_INVALID', /--version must look like v1\.37\.2, got "1\.37\.2"/],
    ['v1.36.3', 'latest', 'VERSION_INVALID', /got "latest"/],
    ['v1.36.3', '', 'VERSION_INVALID', /got ""/],
    ['garbage', 'v1.37.2', 'VERSION_INVALID', /records version "garbage"/],
  ])('%s → %j is refused with %s', (from, to, code, message) => {
    const decision = decideUpgrade(from, to, WIRED);
    expect(decision).toMatchObject({ kind: 'refuse', code });
    expect(decision.kind === 'refuse' ? decision.message : '').toMatch(message);
  });

  it('checks the skew rules before the wired list, so the reason is the real one', () => {
    // v1.39.0 is not wired either, but skipping 1.38 is why it could never be allowed
    expect(decideUpgrade('v1.37.2', 'v1.39.0', WIRED)).toMatchObject({ code: 'UPGRADE_SKIPS_MINOR' });
    expect(decideUpgrade('v1.37.2', 'v1.30.0', WIRED)).toMatchObject({ code: 'UPGRADE_DOWNGRADE' });
  });

  it('wires the fallback and the default version, oldest first, and allows exactly the step between them', () => {
    expect(WIRED_KUBERNETES_VERSIONS).toEqual(['v1.36.3', DEFAULT_VERSIONS.kubernetes]);
    expect(decideUpgrade(WIRED_KUBERNETES_VERSIONS[0]!, WIRED_KUBERNETES_VERSIONS[1]!, WIRED_KUBERNETES_VERSIONS).kind).toBe('upgrade');
  });
});

describe('upgradePlan', () => {
  it('restarts the apiserver first, then the controllers, then the real node, then KWOK', () => {
    expect(upgradePlan('real').map((s) => [s.component, s.binary])).toEqual([
      ['kube-apiserver', 'new'],
      ['kube-controller-manager', 'new'],
      ['kube-scheduler', 'new'],
      ['kubelet', 'new'],
      ['kube-proxy', 'new'],
      ['kwok', 'same'],
    ]);
  });

  it('has no kubelet or kube-proxy for a simulated pool, and never restarts etcd, the provisioner, CoreDNS, containerd or the LoadBalancer controller', () => {
    expect(upgradePlan('simulated').map((s) => s.component)).toEqual(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
    for (const mode of ['real', 'simulated'] as const) {
      const components: string[] = upgradePlan(mode).map((s) => s.component);
      for (const kept of ['etcd', 'local-path-provisioner', 'coredns', 'containerd', 'service-ips']) expect(components).not.toContain(kept);
    }
  });

  it('rolls back what was started, newest first', () => {
    const [api, cm, sched] = upgradePlan('real');
    expect(rollbackSteps([api!, cm!, sched!]).map((s) => s.component)).toEqual(['kube-scheduler', 'kube-controller-manager', 'kube-apiserver']);
    expect(rollbackSteps([api!]).map((s) => s.component)).toEqual(['kube-apiserver']);
    expect(rollbackSteps([])).toEqual([]);
  });
});

describe('the version set of an upgrade', () => {
  it.each([
    ['v1.36.3', 'v0.36.3'],
    ['v1.37.2', 'v0.37.2'],
  ])('%s builds with staging modules %s', (k8s, staging) => {
    expect(stagingTag(k8s)).toBe(staging);
  });

  it('moves only the Kubernetes version; etcd, KWOK and the rest stay', () => {
    const moved = withKubernetes({ ...DEFAULT_VERSIONS, kubernetes: 'v1.36.3', kubernetesStaging: 'v0.36.3' }, 'v1.37.2');
    expect(moved).toEqual(DEFAULT_VERSIONS);
  });

  it('builds k8s, and k8s-node only for a real node', () => {
    expect(kubernetesComponents(false)).toEqual(['k8s']);
    expect(kubernetesComponents(true)).toEqual(['k8s', 'k8s-node']);
  });
});
