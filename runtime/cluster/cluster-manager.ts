import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/create-logger.js';
import { ClusterError } from './cluster-errors.js';
import type { EnsureBinariesOptions } from './ensure-binaries.js';
import { execaRun, kindDown, kindIsRunning, kindUp, type KindClusterState, type Run } from './kind-provider.js';
import { checkHealth, clusterDir, startLocalCluster, stopLocalCluster, type LocalClusterState } from './local-cluster.js';
import { readClusterNodeInfo, type ClusterNodeInfo } from './node-info.js';
import type { NodesRequest } from './node-preflight.js';
import { realNodePodsRss } from './real-node.js';
import { upgradeLocalCluster, type UpgradeResult } from './cluster-upgrade.js';
import { DEFAULT_SERVICE_IPS } from './service-ip-range.js';

export type ProviderName = 'local' | 'kind';
export const PROVIDERS: readonly ProviderName[] = ['local', 'kind'];

/** What `cluster up` and `cluster status` report, whatever the provider. */
export interface ClusterSummary {
  name: string;
  provider: ProviderName;
  kubeconfig: string;
  context: string;
  server?: string;
  dir: string;
  /** LoadBalancer IP range, when the local cluster assigns them. */
  serviceIps?: string;
  /** The Kubernetes version the local cluster runs (cluster.json; `edgemu cluster upgrade` moves it). */
  kubernetesVersion?: string;
  /** Set while an upgrade restarts the components (or when one was interrupted). */
  upgrading?: { from: string; to: string; startedAt: string };
}

export interface ClusterCommonOptions {
  name: string;
  /** edgemu state dir; clusters live in `<stateDir>/clusters/<name>/`. */
  stateDir: string;
  logger?: Logger;
  /** Injected CLI runner for kind (tests); default execa. */
  run?: Run;
}

/**
 * `edgemu cluster up`: start (or reuse) a cluster with the chosen provider and describe it.
 * Local clusters keep running in the background after this returns.
 */
export async function clusterUp(
  options: ClusterCommonOptions & {
    provider: ProviderName;
    signal?: AbortSignal;
    onProgress?: (m: string) => void;
    ensure?: EnsureBinariesOptions;
    timeoutMs?: number;
    ownerPid?: number;
    /** Local provider: `auto` (default) real node where possible, `real`, or `simulated`. */
    nodes?: NodesRequest;
    /** Local provider: LoadBalancer IP range `FIRST-LAST` (default DEFAULT_SERVICE_IPS), `none`: no controller. */
    serviceIps?: string;
  },
): Promise<{ summary: ClusterSummary; started: boolean; elapsedMs: number }> {
  const dir = clusterDir(options.stateDir, options.name);
  const recorded = await readAnyState(dir);
  if (recorded !== undefined && recorded.provider !== options.provider) {
    throw new ClusterError('CLUSTER_BUSY', `a ${recorded.provider} cluster named "${options.name}" already exists in ${dir}; run \`edgemu cluster down --name ${options.name}\` first or pick another --name`);
  }
  if (options.provider === 'kind') {
    const t = Date.now();
    options.onProgress?.(`kind: creating or reusing cluster "${options.name}" (needs the kind CLI and a container engine)`);
    const { state, created } = await kindUp({ name: options.name, dir, run: options.run ?? execaRun });
    return { summary: summarize(state), started: created, elapsedMs: Date.now() - t };
  }
  const result = await startLocalCluster({
    name: options.name,
    dir,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.ensure ? { ensure: options.ensure } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.ownerPid === undefined ? {} : { ownerPid: options.ownerPid }),
    nodePool: options.nodes ?? 'auto',
    ...((options.serviceIps ?? DEFAULT_SERVICE_IPS) === 'none' ? {} : { serviceIps: options.serviceIps ?? DEFAULT_SERVICE_IPS }),
  });
  return { summary: summarize(result.state), started: result.started, elapsedMs: result.elapsedMs };
}

/** `edgemu cluster down`: stop what `up` started and remove the cluster's directory. */
export async function clusterDown(options: ClusterCommonOptions): Promise<{ found: boolean; provider?: ProviderName; stopped: string[]; portsStillBound: number[] }> {
  const dir = clusterDir(options.stateDir, options.name);
  const state = await readAnyState(dir);
  if (state?.provider === 'kind') {
    await kindDown({ state, run: options.run ?? execaRun });
    return { found: true, provider: 'kind', stopped: [`kind cluster ${state.name}`], portsStillBound: [] };
  }
  const result = await stopLocalCluster(dir, options.logger ? { logger: options.logger } : {});
  return { found: result.found, provider: 'local', stopped: result.stopped.map((p) => `${p.id} (pid ${p.pid})`), portsStillBound: result.portsStillBound };
}

export interface ClusterStatusReport {
  name: string;
  /** false: no cluster of that name recorded in the state dir. */
  exists: boolean;
  running: boolean;
  problems: string[];
  summary?: ClusterSummary;
  processes?: { id: string; pid: number; running: boolean; rssBytes?: number }[];
  /** Sum of the cluster's processes' resident memory (local provider), pods and shims included. */
  totalRssBytes?: number;
  /** Local provider: real node or simulated pods, and the node info contract. */
  nodes?: ClusterNodeInfo;
  /** Resident memory of the real node's containers and shims. */
  podsRssBytes?: number;
}

/** `edgemu cluster status`. */
export async function clusterStatus(options: ClusterCommonOptions): Promise<ClusterStatusReport> {
  const dir = clusterDir(options.stateDir, options.name);
  const state = await readAnyState(dir);
  if (state === undefined) return { name: options.name, exists: false, running: false, problems: [`no cluster named "${options.name}" in ${dir}`] };
  if (state.provider === 'kind') {
    const running = await kindIsRunning({ name: state.name, run: options.run ?? execaRun });
    return { name: options.name, exists: true, running, problems: running ? [] : ['kind does not list the cluster'], summary: summarize(state) };
  }
  const health = await checkHealth(state);
  const processes = health.processes.map((p) => ({ id: p.id, pid: p.pid, running: p.running, ...(p.rssBytes === undefined ? {} : { rssBytes: p.rssBytes }) }));
  const nodes = readClusterNodeInfo(dir);
  const podsRssBytes = nodes?.nodes === 'real' && state.hostRecord !== undefined ? realNodePodsRss(state.hostRecord) : undefined;
  const totalRssBytes = processes.filter((p) => p.id !== 'watchdog').reduce((sum, p) => sum + (p.rssBytes ?? 0), 0) + (podsRssBytes ?? 0);
  return {
    name: options.name,
    exists: true,
    running: health.healthy,
    problems: health.problems,
    summary: summarize(state),
    processes,
    totalRssBytes,
    ...(nodes === undefined ? {} : { nodes }),
    ...(podsRssBytes === undefined ? {} : { podsRssBytes }),
  };
}

/**
 * `edgemu cluster upgrade --version V` (docs/cluster.md "Upgrading"): the local provider only; a
 * kind cluster is upgraded by recreating it with another node image (kind's own docs).
 */
export async function clusterUpgrade(
  options: ClusterCommonOptions & { version: string; signal?: AbortSignal; onProgress?: (m: string) => void; ensure?: EnsureBinariesOptions; stepTimeoutMs?: number },
): Promise<UpgradeResult> {
  const dir = clusterDir(options.stateDir, options.name);
  const state = await readAnyState(dir);
  if (state?.provider === 'kind') {
    throw new ClusterError('UPGRADE_UNSUPPORTED', `cluster "${options.name}" is a kind cluster; edgemu upgrades local clusters only (recreate a kind cluster with another --image)`);
  }
  return upgradeLocalCluster({
    dir,
    version: options.version,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.ensure ? { ensure: options.ensure } : {}),
    ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
  });
}

/** `edgemu cluster kubeconfig`: the kubeconfig path of a recorded cluster. */
export async function clusterKubeconfig(options: ClusterCommonOptions): Promise<string> {
  const dir = clusterDir(options.stateDir, options.name);
  const state = await readAnyState(dir);
  if (state === undefined) throw new ClusterError('CLUSTER_NOT_FOUND', `no cluster named "${options.name}" in ${dir}; run \`edgemu cluster up --name ${options.name}\``);
  return state.kubeconfig;
}

async function readAnyState(dir: string): Promise<LocalClusterState | KindClusterState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as LocalClusterState | KindClusterState;
    return parsed.provider === 'kind' || parsed.provider === 'local' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function summarize(state: LocalClusterState | KindClusterState): ClusterSummary {
  return {
    name: state.name,
    provider: state.provider,
    kubeconfig: state.kubeconfig,
    context: state.context,
    dir: state.dir,
    ...(state.provider === 'local' ? { server: state.server } : {}),
    ...(state.provider === 'local' && state.serviceIps !== undefined ? { serviceIps: state.serviceIps } : {}),
    // cluster.json is a file: one written by hand or by an older edgemu may lack the versions
    ...(state.provider === 'local' && (state.versions as LocalClusterState['versions'] | undefined) !== undefined ? { kubernetesVersion: state.versions.kubernetes } : {}),
    ...(state.provider === 'local' && state.upgrading !== undefined ? { upgrading: state.upgrading } : {}),
  };
}
