/**
 * Can this host run the real node, and what is missing? Pure decision over host facts
 * (docs/cluster.md "Requirements of the real node"); the facts come from node-host.ts.
 */

/** A Debian package the real node needs and the file that proves it is installed. */
export interface NodePackage {
  name: string;
  provides: string;
}

export const NODE_PACKAGES: readonly NodePackage[] = [
  { name: 'containerd', provides: '/usr/bin/containerd' },
  { name: 'containerd', provides: '/usr/bin/ctr' },
  { name: 'containerd', provides: '/usr/bin/containerd-shim-runc-v2' },
  { name: 'runc', provides: '/usr/sbin/runc' },
  { name: 'containernetworking-plugins', provides: '/usr/lib/cni/bridge' },
  { name: 'containernetworking-plugins', provides: '/usr/lib/cni/host-local' },
  { name: 'containernetworking-plugins', provides: '/usr/lib/cni/portmap' },
  { name: 'containernetworking-plugins', provides: '/usr/lib/cni/loopback' },
  { name: 'nftables', provides: '/usr/sbin/nft' },
  { name: 'conntrack', provides: '/usr/sbin/conntrack' },
  { name: 'iptables', provides: '/usr/sbin/iptables' },
  { name: 'iproute2', provides: '/usr/sbin/ip' },
  { name: 'mount', provides: '/usr/bin/umount' },
  { name: 'busybox-static', provides: '/bin/busybox' },
];

export const CNI_BIN_DIR = '/usr/lib/cni';
export const RUNC = '/usr/sbin/runc';
export const CTR = '/usr/bin/ctr';
export const CONTAINERD = '/usr/bin/containerd';

/** Package names whose proving file is absent, each once, in list order. */
export function missingPackages(exists: (path: string) => boolean): string[] {
  return [...new Set(NODE_PACKAGES.filter((p) => !exists(p.provides)).map((p) => p.name))];
}

export type NodesRequest = 'real' | 'simulated' | 'auto';

export interface HostFacts {
  platform: NodeJS.Platform;
  /** undefined where there are no uids (Windows). */
  uid: number | undefined;
  missing: readonly string[];
  aptGet: boolean;
  /** Another cluster already runs the real node on this machine. */
  otherRealNode?: { dir: string };
}

export type NodeDecision =
  | { nodes: 'real'; install: string[] }
  | { nodes: 'simulated'; reason: string; fix?: string; refuse: boolean };

/**
 * `auto` (the default) runs the real node where it can and otherwise falls back to simulated
 * pods with the reason and the one command that would enable real ones; `real` refuses instead
 * of falling back; `simulated` never touches the host.
 */
export function decideNodes(request: NodesRequest, facts: HostFacts): NodeDecision {
  if (request === 'simulated') return { nodes: 'simulated', reason: 'simulated pods were asked for (--nodes simulated)', refuse: false };
  const refuse = request === 'real';
  const fallback = (reason: string, fix?: string): NodeDecision => ({ nodes: 'simulated', reason, refuse, ...(fix === undefined ? {} : { fix }) });
  if (facts.platform !== 'linux') return fallback(`real pods need Linux (this is ${facts.platform})`, 'use --provider kind, or run edgemu on Linux');
  if (facts.uid !== 0) return fallback('real pods need root (kubelet, containerd and the pod network change the host)', 'sudo edgemu cluster up');
  if (facts.otherRealNode !== undefined) {
    return fallback(
      `the cluster in ${facts.otherRealNode.dir} already runs the real node on this machine (kube-proxy's nftables table "kube-proxy" is machine-wide, so there can be only one)`,
      `edgemu cluster down for that cluster (or edgemu cluster up --nodes simulated here)`,
    );
  }
  if (facts.missing.length > 0 && !facts.aptGet) {
    return fallback(`the Debian packages ${facts.missing.join(', ')} are missing and apt-get is not available`, `install ${facts.missing.join(' ')} with your package manager`);
  }
  return { nodes: 'real', install: [...facts.missing] };
}

/**
 * When apt-get could not install the real node's packages: `auto` falls back to simulated pods
 * (the cluster still comes up), saying what failed and the command to retry; `real` refuses. Pure.
 */
export function decideAfterFailedInstall(request: NodesRequest, packages: readonly string[], error: string): Extract<NodeDecision, { nodes: 'simulated' }> {
  // apt-get's own complaint ("E: Unable to locate package x") says it best; else the first line.
  const lines = error.split('\n');
  const said = lines.find((l) => l.startsWith('E: ')) ?? lines[0] ?? error;
  return {
    nodes: 'simulated',
    reason: `installing the Debian packages ${packages.join(', ')} failed (${said.trim()})`,
    fix: `apt-get install ${packages.join(' ')}, then edgemu cluster up again`,
    refuse: request === 'real',
  };
}

/** The one line `cluster up` prints when it falls back. */
export function simulatedNotice(decision: Extract<NodeDecision, { nodes: 'simulated' }>): string {
  return `pods are simulated (nothing runs in them): ${decision.reason}${decision.fix === undefined ? '' : `; for real pods: ${decision.fix}`}`;
}
