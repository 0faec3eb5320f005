import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `node-info.json` in a local cluster's directory, next to its kubeconfig: what the rest of
 * edgemu (image import, the hub, placement) needs to know about the cluster's nodes
 * (docs/cluster.md "Node info"). Written once the cluster is ready.
 */
interface NodeInfoCommon {
  /** Simulated (KWOK) node names; labelled edgemu.io/node-pool=simulated. */
  simulatedNodes: string[];
  /** Label key of the pools: `edgemu.io/node-pool` = `real` | `simulated`. */
  poolLabel: string;
  clusterDomain: string;
}

export interface RealNodeInfo extends NodeInfoCommon {
  nodes: 'real';
  /** The real node's name (labelled edgemu.io/node-pool=real, untainted). */
  realNode: string;
  /** Taint on the simulated nodes in this mode: `edgemu.io/node-pool=simulated:NoSchedule`. */
  simulatedTaint: { key: string; value: string; effect: 'NoSchedule' };
  /** containerd's socket path (for `ctr --address`). */
  containerdAddress: string;
  containerdNamespace: 'k8s.io';
  /** The ctr binary to import images with. */
  ctr: string;
  /** The host's address on the pod bridge: pods reach the host here; it exists before any pod. */
  hostIP: string;
  podCIDR: string;
  /** CoreDNS, kubelet's cluster DNS (on hostIP:53). */
  clusterDNS: string;
  /** The bridge interface name. */
  bridge: string;
}

export interface SimulatedNodeInfo extends NodeInfoCommon {
  nodes: 'simulated';
  /** Why there is no real node (plain sentence). */
  reason: string;
  /** The one command that would enable real pods, when there is one. */
  fix?: string;
}

export type ClusterNodeInfo = RealNodeInfo | SimulatedNodeInfo;

export const NODE_INFO_FILE = 'node-info.json';

export const nodeInfoPath = (clusterDir: string): string => join(clusterDir, NODE_INFO_FILE);

export async function writeClusterNodeInfo(clusterDir: string, info: ClusterNodeInfo): Promise<void> {
  await writeFile(nodeInfoPath(clusterDir), `${JSON.stringify(info, null, 2)}\n`);
}

/** The node info of a local cluster directory, or undefined when there is none (no cluster, or kind). */
export function readClusterNodeInfo(clusterDir: string): ClusterNodeInfo | undefined {
  try {
    return JSON.parse(readFileSync(nodeInfoPath(clusterDir), 'utf8')) as ClusterNodeInfo;
  } catch {
    return undefined;
  }
}
