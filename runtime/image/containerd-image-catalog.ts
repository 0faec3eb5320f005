import type { ContainerdTarget } from './containerd-target.js';
import { CtrClient } from './ctr-client.js';

/**
 * The real node's images as its containerd lists them (namespace `k8s.io`): an import is seen at
 * once, while the kubelet's `status.images` catches up only with its next node status update.
 * Structurally the agent's `ImageCatalog` port (runtime/agent/kubernetes/node-catalog.ts).
 */
export class ContainerdImageCatalog {
  private readonly ctr: CtrClient;

  constructor(target: ContainerdTarget) {
    this.ctr = new CtrClient(target);
  }

  async realNodeImages(): Promise<ReadonlySet<string>> {
    return new Set((await this.ctr.list()).map((i) => i.name));
  }
}
