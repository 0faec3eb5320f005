import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './cluster-errors.js';
import { clusterDir, DEFAULT_CLUSTER_NAME, readClusterState } from './local-cluster.js';

/** How a command points at a cluster: the `--kubeconfig` / `--context` flags every K8s command takes. */
export interface KubeTarget {
  /** Path of a kubeconfig file; default: $KUBECONFIG or ~/.kube/config (client-node's rules). */
  kubeconfig?: string | undefined;
  /** Context in that file; default: its current-context. */
  context?: string | undefined;
}

/**
 * Loads a client-node KubeConfig for any existing cluster (docs/cluster.md: every Kubernetes-using
 * command accepts `--kubeconfig`/`--context`). A missing file or an unknown context is a clear
 * `KUBECONFIG_INVALID` error instead of client-node's later connection failure to localhost.
 */
export function loadKubeConfig(target: KubeTarget = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig !== undefined && target.kubeconfig !== '') {
      const path = resolve(target.kubeconfig);
      if (!existsSync(path)) throw new ClusterError('KUBECONFIG_INVALID', `kubeconfig ${path} does not exist`);
      kc.loadFromFile(path);
    } else {
      kc.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    throw new ClusterError('KUBECONFIG_INVALID', `cannot load kubeconfig ${target.kubeconfig ?? '(default)'}: ${(error as Error).message}`, { cause: error });
  }
  if (target.context !== undefined && target.context !== '') {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ClusterError('KUBECONFIG_INVALID', `context "${target.context}" is not in the kubeconfig (known: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(target.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new ClusterError('KUBECONFIG_INVALID', `no cluster selected: the kubeconfig ${target.kubeconfig ?? '(default)'} has no current context; pass --kubeconfig/--context or run \`edgemu cluster up\``);
  }
  return kc;
}

/**
 * The kubeconfig edgemu's own commands use when none is given: explicit flags win; otherwise a
 * running local cluster named `clusterName` (default `edgemu`) under the state dir; otherwise
 * client-node's defaults ($KUBECONFIG, ~/.kube/config).
 */
export async function resolveKubeTarget(target: KubeTarget & { stateDir?: string; clusterName?: string }): Promise<KubeTarget> {
  if ((target.kubeconfig ?? '') !== '') return { kubeconfig: target.kubeconfig, context: target.context };
  const state = await readClusterState(clusterDir(target.stateDir ?? '.edgemu', target.clusterName ?? DEFAULT_CLUSTER_NAME));
  if (state !== undefined) return { kubeconfig: state.kubeconfig, context: target.context ?? state.context };
  return { kubeconfig: undefined, context: target.context };
}

