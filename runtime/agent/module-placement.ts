import type { V1Deployment } from '@kubernetes/client-node';
import { fullImageName } from '../image/index.js';
import { ANNOTATION_STAND_IN, LABEL_NODE_POOL, type ModulePlacement } from '../translate/index.js';

/**
 * Which node pools a cluster has, from its nodes' `edgemu.io/node-pool` labels (the local
 * cluster's contract, docs/agent.md "Where modules run"): a node labelled `real` makes a mixed
 * cluster (real node + simulated KWOK pool), only `simulated` nodes a simulated-only cluster,
 * no labels at all any other cluster (kind, a user's cluster). Pure.
 */
export type ClusterPools = 'mixed' | 'simulated-only' | 'none';

export interface NodeFacts {
  labels?: Record<string, string> | undefined;
  /** `status.images[].names` of the node. */
  imageNames?: readonly string[] | undefined;
}

export function clusterPoolsOf(nodes: readonly NodeFacts[]): ClusterPools {
  if (nodes.some((n) => n.labels?.[LABEL_NODE_POOL] === 'real')) return 'mixed';
  if (nodes.some((n) => n.labels?.[LABEL_NODE_POOL] === 'simulated')) return 'simulated-only';
  return 'none';
}

/** Every image name the real pool's nodes report (kubelet `status.images`). Pure. */
export function realNodeImages(nodes: readonly NodeFacts[]): Set<string> {
  return new Set(nodes.filter((n) => n.labels?.[LABEL_NODE_POOL] === 'real').flatMap((n) => n.imageNames ?? []));
}

export interface PlacementDecision {
  placement: ModulePlacement;
  /** Why a module does not really run (mixed cluster, image missing on the real node). */
  reason?: string;
}

/**
 * The pool a module goes to: on a mixed cluster the real node when it has the module's image
 * (a module there would otherwise sit in ImagePullBackOff: nothing can be pulled), else the
 * simulated pool, with the reason; on a simulated-only cluster the simulated pool; elsewhere
 * no choice (`any`). Pure, table-tested.
 */
export function decidePlacement(pools: ClusterPools, image: string, imagesOnRealNode: ReadonlySet<string>): PlacementDecision {
  if (pools === 'none') return { placement: 'any' };
  if (pools === 'simulated-only') return { placement: 'simulated' };
  if (imagesOnRealNode.has(normalized(image))) return { placement: 'real' };
  return {
    placement: 'simulated',
    reason: `image ${image} is not on the real node, so the module runs on the simulated pool (nothing really runs); build it with \`edgemu image build\` or import it with \`edgemu image import\``,
  };
}

/** What `edgemu status` says about where a module runs. */
export type RunsOn = 'real' | 'stand-in' | 'simulated' | 'cluster';

/**
 * Where a module's pods go, read from its Deployment: the pool of its node selector (`real`, or
 * `stand-in` when the real node serves edgemu's stand-in under the image's name, `simulated`),
 * `cluster` when it has no pool (kind or a user's cluster: the cluster decides). Pure.
 */
export function runsOnOf(deployment: V1Deployment): RunsOn {
  const template = deployment.spec?.template;
  const pool = template?.spec?.nodeSelector?.[LABEL_NODE_POOL];
  if (pool === 'simulated') return 'simulated';
  if (pool === 'real') return template?.metadata?.annotations?.[ANNOTATION_STAND_IN] !== undefined ? 'stand-in' : 'real';
  return 'cluster';
}

/** The pool a Deployment was applied for (`any` without a pool selector). */
export const appliedPlacement = (deployment: V1Deployment): ModulePlacement => {
  const pool = deployment.spec?.template?.spec?.nodeSelector?.[LABEL_NODE_POOL];
  return pool === 'real' || pool === 'simulated' ? pool : 'any';
};

function normalized(image: string): string {
  try {
    return fullImageName(image);
  } catch {
    return image;
  }
}
