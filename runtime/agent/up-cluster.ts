import type { Logger } from 'pino';
import type { EnsureBinariesOptions } from '../cluster/index.js';
import { clusterDown, clusterUp, type ClusterSummary, type ProviderName } from '../cluster/index.js';

export interface UpClusterOptions {
  name: string;
  stateDir: string;
  provider: ProviderName;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  ensure?: EnsureBinariesOptions;
  /** The process whose death must take a cluster it started down with it (default: this process). */
  ownerPid?: number;
}

export interface UpCluster {
  summary: ClusterSummary;
  /** true when this call started the cluster (it is then this process's to stop). */
  started: boolean;
  elapsedMs: number;
  /** Stops the cluster; only present when this call started it (a cluster that ran before survives). */
  stop?: () => Promise<void>;
}

/** The cluster manager calls `startUpCluster` uses, injectable for tests. */
export interface UpClusterDeps {
  clusterUp: typeof clusterUp;
  clusterDown: typeof clusterDown;
}

/**
 * Starts or reuses the cluster `edgemu up` runs its agents on, and says whether it is ours to stop.
 * Ownership follows the cluster manager's own answer (`started`, decided under its lock), not a
 * status probe made earlier, so a cluster someone else started in between is never stopped.
 * The owner pid is always passed: the local provider attaches its watchdog only to a cluster it
 * starts, so a SIGKILLed `edgemu up` cannot leave the cluster it started running, while a
 * cluster that was already running is left alone (docs/cluster.md, "watchdog").
 */
export async function startUpCluster(options: UpClusterOptions, deps: UpClusterDeps = { clusterUp, clusterDown }): Promise<UpCluster> {
  const { name, stateDir, provider, logger } = options;
  const { summary, started, elapsedMs } = await deps.clusterUp({
    name,
    stateDir,
    provider,
    logger: logger.child({ component: 'cluster' }),
    ownerPid: options.ownerPid ?? process.pid,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.ensure ? { ensure: options.ensure } : {}),
  });
  if (!started) return { summary, started, elapsedMs };
  return {
    summary,
    started,
    elapsedMs,
    stop: async () => {
      await deps.clusterDown({ name, stateDir, logger });
    },
  };
}
