import type { V1Node } from '@kubernetes/client-node';
import type { Clock } from '../../clock.js';
import { clusterPoolsOf, realNodeImages, type ClusterPools } from '../module-placement.js';
import { KubeApiError, type KubeApi } from './kube-api.js';

/**
 * Where the real node's images can be read besides the kubelet's `status.images`: e.g. the
 * node's containerd (`ctr images ls`), which knows an import at once while the kubelet reports
 * it with its next node status update.
 */
export interface ImageCatalog {
  realNodeImages(signal: AbortSignal): Promise<ReadonlySet<string>>;
}

export interface NodeSnapshot {
  pools: ClusterPools;
  realImages: ReadonlySet<string>;
}

/**
 * The cluster's node pools and the real node's images, read from the Node objects (one list,
 * cached for `ttlMs`, default 5 s, so a pass with nothing to do costs at most one read per
 * resync) and, when given, an {@link ImageCatalog} whose names are added. Not allowed to list
 * Nodes (403) reads as a cluster without pools.
 */
export class NodeCatalog {
  private cached: { at: number; snapshot: NodeSnapshot } | undefined;

  constructor(
    private readonly kube: KubeApi,
    private readonly clock: Clock,
    private readonly images?: ImageCatalog,
    private readonly ttlMs = 5_000,
  ) {}

  /** Forgets the cached snapshot (e.g. right after images were imported). */
  invalidate(): void {
    this.cached = undefined;
  }

  async read(signal: AbortSignal): Promise<NodeSnapshot> {
    const now = this.clock.now();
    if (this.cached !== undefined && now - this.cached.at < this.ttlMs) return this.cached.snapshot;
    let nodes: V1Node[];
    try {
      nodes = (await this.kube.list('v1', 'Node', '', '', signal)) as V1Node[];
    } catch (error) {
      // A kubeconfig that may not read Nodes (a namespace-scoped user on someone's cluster) has no
      // pools to choose from: place nothing, as on any cluster without edgemu's pool labels.
      if (!(error instanceof KubeApiError && error.status === 403)) throw error;
      nodes = [];
    }
    const facts = nodes.map((n) => ({ labels: n.metadata?.labels, imageNames: (n.status?.images ?? []).flatMap((i) => i.names ?? []) }));
    const pools = clusterPoolsOf(facts);
    const realImages = realNodeImages(facts);
    if (pools === 'mixed' && this.images !== undefined) for (const name of await this.images.realNodeImages(signal)) realImages.add(name);
    const snapshot = { pools, realImages };
    this.cached = { at: now, snapshot };
    return snapshot;
  }
}
