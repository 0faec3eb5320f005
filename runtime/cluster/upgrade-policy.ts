import type { ComponentId } from './control-plane-commands.js';
import { isVersionTag } from './versions.js';

/**
 * The rules of `edgemu cluster upgrade` (docs/cluster.md "Upgrading"), pure so they are
 * table-tested: which version moves are allowed, and in which order the components restart.
 */

export type UpgradeRefusalCode = 'VERSION_INVALID' | 'VERSION_UNKNOWN' | 'UPGRADE_DOWNGRADE' | 'UPGRADE_SKIPS_MINOR';

export type UpgradeDecision =
  | { kind: 'upgrade'; from: string; to: string }
  /** Already at that version: nothing to do. */
  | { kind: 'current'; version: string }
  | { kind: 'refuse'; code: UpgradeRefusalCode; message: string };

interface Semver {
  major: number;
  minor: number;
  patch: number;
}

const parse = (tag: string): Semver => {
  const [major, minor, patch] = tag.slice(1).split('.').map(Number) as [number, number, number];
  return { major, minor, patch };
};
const compare = (a: Semver, b: Semver): number => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/**
 * May a cluster at `current` move to `target`? Kubernetes' version-skew policy
 * (kubernetes.io/releases/version-skew-policy, "Supported component upgrade order") upgrades
 * kube-apiserver one minor version at a time, and kubeadm's upgrade guide
 * (kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade) says "Skipping MINOR
 * versions when upgrading is unsupported": so a patch or the next minor is allowed, a skipped
 * minor or a new major is refused, and so is any downgrade (the policy describes upgrades only;
 * etcd data written by a newer apiserver is not promised to an older one). The skew rules are
 * checked before `wired`, so the answer names the real reason even for a version edgemu does not
 * know; a version the rules allow must still be one of `wired` (the versions edgemu can build).
 */
export function decideUpgrade(current: string, target: string, wired: readonly string[]): UpgradeDecision {
  if (!isVersionTag(target)) return { kind: 'refuse', code: 'VERSION_INVALID', message: `--version must look like v1.37.2, got "${target}"` };
  if (!isVersionTag(current)) return { kind: 'refuse', code: 'VERSION_INVALID', message: `the cluster records version "${current}", which is not a version tag` };
  if (target === current) return { kind: 'current', version: current };
  const from = parse(current);
  const to = parse(target);
  if (compare(to, from) < 0) {
    return { kind: 'refuse', code: 'UPGRADE_DOWNGRADE', message: `the cluster runs ${current}; downgrading to ${target} is not supported (Kubernetes upgrades only move forward)` };
  }
  if (to.major !== from.major || to.minor > from.minor + 1) {
    const next = `v${from.major}.${from.minor + 1}`;
    return {
      kind: 'refuse',
      code: 'UPGRADE_SKIPS_MINOR',
      message: `the cluster runs ${current}; ${target} skips minor versions (Kubernetes' version-skew policy upgrades one minor at a time: go to a ${next}.x first)`,
    };
  }
  if (!wired.includes(target)) {
    return { kind: 'refuse', code: 'VERSION_UNKNOWN', message: `${target} is not a version edgemu can build; known versions: ${wired.join(', ')}` };
  }
  return { kind: 'upgrade', from: current, to: target };
}

/** Which binary a step starts: the new Kubernetes version's, or the same one again. */
export type StepBinary = 'new' | 'same';

export interface UpgradeStep {
  component: ComponentId;
  binary: StepBinary;
  /** What "up" means for it, shown in progress and errors. */
  ready: string;
}

/**
 * The restart order: kube-apiserver first, then kube-controller-manager and kube-scheduler, then
 * the node (version-skew policy, "Supported component upgrade order": a component is never newer
 * than the apiserver it talks to). On the real node kubelet and kube-proxy restart with the new
 * binaries while containerd and its containers keep running ("kubelet ... may be upgraded in
 * place", the policy's kubelet section); KWOK, which simulates the other pool and has no
 * Kubernetes version of its own, restarts with its own binary so its nodes reconnect at once.
 * etcd, the provisioner, CoreDNS and the LoadBalancer controller keep running.
 */
export function upgradePlan(nodeMode: 'real' | 'simulated'): UpgradeStep[] {
  return [
    { component: 'kube-apiserver', binary: 'new', ready: '/readyz answers 200 and /version is the new version' },
    { component: 'kube-controller-manager', binary: 'new', ready: '/healthz answers 200' },
    { component: 'kube-scheduler', binary: 'new', ready: '/healthz answers 200' },
    ...(nodeMode === 'real'
      ? ([
          { component: 'kubelet', binary: 'new', ready: 'the node is Ready and reports the new kubelet version' },
          { component: 'kube-proxy', binary: 'new', ready: '/healthz answers 200' },
        ] satisfies UpgradeStep[])
      : []),
    { component: 'kwok', binary: 'same', ready: 'the simulated nodes are Ready' },
  ];
}

/**
 * What a failed upgrade undoes: the steps that were started (the failed one included), newest
 * first, each back on its old binary. Reverse order keeps the skew policy on the way back too:
 * the old controller-manager and scheduler run against the new apiserver (one minor older is
 * allowed) until the apiserver itself goes back.
 */
export function rollbackSteps(started: readonly UpgradeStep[]): UpgradeStep[] {
  return [...started].reverse();
}
