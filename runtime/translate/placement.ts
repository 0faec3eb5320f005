import type { V1Toleration } from '@kubernetes/client-node';

/**
 * Where a module's pod may run on edgemu's local cluster (docs/translate.md, "Placement"):
 * - `real`: the node pool with a real kubelet and containerd (label `edgemu.io/node-pool=real`);
 * - `simulated`: the KWOK pool (label `edgemu.io/node-pool=simulated`, tainted
 *   `edgemu.io/node-pool=simulated:NoSchedule` when a real node is present);
 * - `any`: a cluster without pools (kind, a user's cluster): no selector at all.
 */
export type ModulePlacement = 'real' | 'simulated' | 'any';

/** Node label naming the pool; also the taint key of the simulated pool in a mixed cluster. */
export const LABEL_NODE_POOL = 'edgemu.io/node-pool';
/** Pod label that opts a module into KWOK's failure simulation (docs/cluster.md); such pods only make sense on the simulated pool. */
export const LABEL_SIMULATE = 'edgemu.io/simulate';

/**
 * The pool a module goes to: `any` stays `any` (no pools to choose from); a module that asks for
 * KWOK's failure simulation always goes to the simulated pool; otherwise the given placement.
 * Pure.
 */
export function effectivePlacement(placement: ModulePlacement | undefined, podLabels: Readonly<Record<string, string>>): ModulePlacement {
  if (placement === undefined || placement === 'any') return 'any';
  return Object.hasOwn(podLabels, LABEL_SIMULATE) ? 'simulated' : placement;
}

/**
 * The pod spec fields of a placement (Kubernetes docs, "Assigning Pods to Nodes": nodeSelector;
 * "Taints and Tolerations"): a selector on the pool label, and for the simulated pool the
 * toleration of its taint. `any` adds nothing. Pure.
 */
export function placementPodFields(placement: ModulePlacement): { nodeSelector?: Record<string, string>; tolerations?: V1Toleration[] } {
  if (placement === 'any') return {};
  return {
    nodeSelector: { [LABEL_NODE_POOL]: placement },
    ...(placement === 'simulated' ? { tolerations: [{ key: LABEL_NODE_POOL, operator: 'Equal', value: 'simulated', effect: 'NoSchedule' }] } : {}),
  };
}
