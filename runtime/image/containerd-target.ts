/**
 * Which containerd to talk to: its socket, the namespace the kubelet's CRI uses (`k8s.io`), and
 * the `ctr` client binary. The local cluster publishes this for its real node; a user may name
 * any containerd with `--containerd-address` or `EDGEMU_CONTAINERD_ADDRESS`.
 */
export interface ContainerdTarget {
  address: string;
  namespace: string;
  ctr: string;
}

/** The namespace the CRI plugin keeps Kubernetes' images in. */
export const CRI_NAMESPACE = 'k8s.io';

export interface TargetInputs {
  address?: string | undefined;
  namespace?: string | undefined;
  ctr?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /** The local cluster's node containerd, when one runs (wired by the composition root). */
  fromCluster?: () => ContainerdTarget | undefined;
}

/**
 * The target, in order: the flags, `EDGEMU_CONTAINERD_ADDRESS` (+ `EDGEMU_CONTAINERD_NAMESPACE`,
 * `EDGEMU_CTR`), the local cluster's real node; undefined when none is known. Pure.
 */
export function resolveContainerdTarget(inputs: TargetInputs): ContainerdTarget | undefined {
  const env = inputs.env ?? {};
  const address = inputs.address ?? nonEmpty(env.EDGEMU_CONTAINERD_ADDRESS);
  const ctr = inputs.ctr ?? nonEmpty(env.EDGEMU_CTR) ?? 'ctr';
  const namespace = inputs.namespace ?? nonEmpty(env.EDGEMU_CONTAINERD_NAMESPACE) ?? CRI_NAMESPACE;
  if (address !== undefined) return { address, namespace, ctr };
  const cluster = inputs.fromCluster?.();
  if (cluster === undefined) return undefined;
  return { ...cluster, ...(inputs.ctr !== undefined ? { ctr: inputs.ctr } : {}), ...(inputs.namespace !== undefined ? { namespace: inputs.namespace } : {}) };
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/**
 * The target of a local cluster's real node, from its node info (docs/cluster.md "Node info");
 * undefined for a cluster with simulated pods only. Pure.
 */
export function containerdTargetOfNode(info: { nodes: string; containerdAddress?: string; containerdNamespace?: string; ctr?: string } | undefined): ContainerdTarget | undefined {
  if (info === undefined || info.nodes !== 'real' || info.containerdAddress === undefined) return undefined;
  return { address: info.containerdAddress, namespace: info.containerdNamespace ?? CRI_NAMESPACE, ctr: info.ctr ?? 'ctr' };
}
