import { appendFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/create-logger.js';
import { ClusterError } from './cluster-errors.js';
import { clusterPaths, controlPlaneCommands, type ComponentCommand, type ComponentId } from './control-plane-commands.js';
import { acquireLock } from './dir-lock.js';
import { ensureBinaries, type ControlPlaneBinaries, type EnsureBinariesOptions } from './ensure-binaries.js';
import { httpCall, type AdminTls } from './kube-http.js';
import { checkHealth, readClusterState, spawnDetached, spawnWatchdog, stopProcesses, waitFor, writeClusterState, type ClusterProcess, type LocalClusterState } from './local-cluster.js';
import { nodeLayout } from './node-config.js';
import { isAlive } from './process-tree.js';
import { nodeCommands, replaceHostRecordProcess } from './real-node.js';
import { decideUpgrade, rollbackSteps, upgradePlan, type UpgradeStep } from './upgrade-policy.js';
import { kubernetesComponents, WIRED_KUBERNETES_VERSIONS, withKubernetes } from './versions.js';

export interface UpgradeLocalClusterOptions {
  /** The cluster's directory (`clusterDir(stateDir, name)`). */
  dir: string;
  /** The Kubernetes version to move to, e.g. v1.37.2 (one of WIRED_KUBERNETES_VERSIONS). */
  version: string;
  /** How the new version's binaries are ensured (progress, `build: false`, cache dir). */
  ensure?: EnsureBinariesOptions;
  /**
   * The new version's binaries, already ensured: skips the build and verification. Tests pass a
   * kube-apiserver that cannot start, to prove the rollback.
   */
  targetBinaries?: ControlPlaneBinaries;
  logger?: Logger;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** How long each restarted component may take to be ready; default 120 s. */
  stepTimeoutMs?: number;
}

export interface UpgradeResult {
  from: string;
  to: string;
  /** false when the cluster already ran `to` (nothing was restarted). */
  changed: boolean;
  durationMs: number;
  /** Each restart and how long it took until the component was ready again. */
  steps: { component: ComponentId; ms: number }[];
  state: LocalClusterState;
}

/**
 * `edgemu cluster upgrade --version V` for a local cluster (docs/cluster.md "Upgrading"): checks
 * the move against the version-skew rules (upgrade-policy.ts) before touching anything, ensures
 * the new version's kube-apiserver, kube-controller-manager, kube-scheduler (and kubelet,
 * kube-proxy for a real node) in the version-keyed cache, then restarts those components one at
 * a time in the policy's order on the same etcd (its process and data stay), each on its old
 * ports with the same flags, waiting until it is ready. Pods keep running: containerd and its
 * containers are not touched, and the agent's watches reconnect. If a component does not come
 * up, every component restarted so far goes back to its old binary (newest first) and the error
 * says what failed; cluster.json records the running processes after every restart, and the new
 * version only once every component runs it.
 */
export async function upgradeLocalCluster(options: UpgradeLocalClusterOptions): Promise<UpgradeResult> {
  const began = Date.now();
  const dir = resolve(options.dir);
  const progress = options.onProgress ?? (() => undefined);
  const initial = await runningState(dir);
  const decision = decideUpgrade(initial.versions.kubernetes, options.version, WIRED_KUBERNETES_VERSIONS);
  if (decision.kind === 'refuse') throw new ClusterError(decision.code, decision.message, { details: { current: initial.versions.kubernetes, requested: options.version } });
  if (decision.kind === 'current') {
    progress(`cluster "${initial.name}" already runs Kubernetes ${decision.version}`);
    return { from: decision.version, to: decision.version, changed: false, durationMs: Date.now() - began, steps: [], state: initial };
  }
  const real = initial.nodeMode === 'real' && initial.hostRecord !== undefined;
  const cacheDir = initial.cacheDir ?? options.ensure?.cacheDir;
  const cache = cacheDir === undefined ? {} : { cacheDir };
  const signal = options.signal ? { signal: options.signal } : {};
  // Everything is built and verified before anything stops (a failed build changes nothing).
  progress(`upgrading cluster "${initial.name}" from ${decision.from} to ${decision.to}: ensuring the ${decision.to} binaries`);
  const target =
    options.targetBinaries ??
    (await ensureBinaries({ ...options.ensure, ...cache, ...signal, versions: withKubernetes(initial.versions, decision.to), node: real, components: kubernetesComponents(real) })).binaries;
  // the running version's paths (no check: they run), for a rollback
  const previous = (await ensureBinaries({ ...cache, versions: initial.versions, node: real, components: [], build: false })).binaries;
  if (real && (target.node === undefined || previous.node === undefined)) throw new ClusterError('UPGRADE_FAILED', 'the real node binaries of the new version were not ensured');

  const lock = await acquireLock(`${dir}.lock`, options.signal);
  try {
    // re-read under the lock: another command may have stopped or changed the cluster meanwhile
    const state = await runningState(dir);
    if (state.versions.kubernetes !== decision.from) throw new ClusterError('CLUSTER_BUSY', `cluster "${state.name}" changed to ${state.versions.kubernetes} while the binaries were ensured; run the upgrade again`);
    return await restartAll(state, { target, previous, real, from: decision.from, to: decision.to, began }, options, progress);
  } finally {
    await lock.release();
  }
}

async function runningState(dir: string): Promise<LocalClusterState> {
  const state = await readClusterState(dir);
  if (state === undefined) throw new ClusterError('CLUSTER_NOT_FOUND', `no local cluster is recorded in ${dir}; start one with \`edgemu cluster up\``);
  if (state.upgrading !== undefined) {
    throw new ClusterError('CLUSTER_NOT_RUNNING', `an upgrade of cluster "${state.name}" from ${state.upgrading.from} to ${state.upgrading.to} (started ${state.upgrading.startedAt}) did not finish; stop the cluster with \`edgemu cluster down\` and start it again`);
  }
  const health = await checkHealth(state);
  if (!health.healthy) {
    throw new ClusterError('CLUSTER_NOT_RUNNING', `cluster "${state.name}" is not running (${health.problems.join('; ')}); an upgrade needs it running: \`edgemu cluster up\` first`, { details: { problems: health.problems } });
  }
  return state;
}

interface Plan {
  target: ControlPlaneBinaries;
  previous: ControlPlaneBinaries;
  real: boolean;
  from: string;
  to: string;
  began: number;
}

async function restartAll(initial: LocalClusterState, plan: Plan, options: UpgradeLocalClusterOptions, progress: (m: string) => void): Promise<UpgradeResult> {
  const state: LocalClusterState = { ...initial, processes: [...initial.processes] };
  const paths = clusterPaths(state.dir);
  const layout = nodeLayout(state.dir, state.name);
  const commandsOf = (b: ControlPlaneBinaries): Map<ComponentId, ComponentCommand> =>
    new Map([...controlPlaneCommands(b, paths, state.ports), ...(plan.real && b.node ? nodeCommands(layout, b.node, state.kubeconfig) : [])].map((c) => [c.id, c] as const));
  const next = commandsOf(plan.target);
  const back = commandsOf(plan.previous);
  const tls: AdminTls = { ca: readFileSync(paths.caCert, 'utf8'), cert: readFileSync(paths.adminCert, 'utf8'), key: readFileSync(paths.adminKey, 'utf8') };
  const api = (path: string) => httpCall(`${state.server}${path}`, { tls, timeoutMs: 3000 });
  const timeoutMs = options.stepTimeoutMs ?? 120_000;

  // The watchdog names the old process groups: it goes now and a new one comes at the end.
  const watchdog = state.processes.filter((p) => p.id === 'watchdog');
  await stopProcesses(watchdog, options.logger);
  state.processes = state.processes.filter((p) => p.id !== 'watchdog');
  state.upgrading = { from: plan.from, to: plan.to, startedAt: new Date().toISOString() };
  await writeClusterState(state);

  const ready = (step: UpgradeStep, version: string) => async (): Promise<boolean> => {
    switch (step.component) {
      case 'kube-apiserver': {
        if ((await api('/readyz')).status !== 200) return false;
        const v = await api('/version');
        return v.status === 200 && (JSON.parse(v.body) as { gitVersion?: string }).gitVersion === version;
      }
      case 'kube-controller-manager':
        return (await httpCall(`https://127.0.0.1:${state.ports.controllerManager}/healthz`, { insecure: true })).status === 200;
      case 'kube-scheduler':
        return (await httpCall(`https://127.0.0.1:${state.ports.scheduler}/healthz`, { insecure: true })).status === 200;
      case 'kubelet': {
        if (state.nodePorts !== undefined && (await httpCall(`http://127.0.0.1:${state.nodePorts.kubeletHealthz}/healthz`)).status !== 200) return false;
        const node = await api(`/api/v1/nodes/${layout.nodeName}`);
        return node.status === 200 && nodeReady(node.body) && (JSON.parse(node.body) as NodeJson).status?.nodeInfo?.kubeletVersion === version;
      }
      case 'kube-proxy':
        return state.nodePorts === undefined || (await httpCall(`http://127.0.0.1:${state.nodePorts.kubeProxyHealthz}/healthz`)).status === 200;
      case 'kwok': {
        for (const name of state.nodes.filter((n) => n.startsWith('kwok-node-'))) {
          const node = await api(`/api/v1/nodes/${name}`);
          if (node.status !== 200 || !nodeReady(node.body)) return false;
        }
        return true;
      }
      default:
        return true;
    }
  };

  const restart = async (step: UpgradeStep, command: ComponentCommand, version: string): Promise<number> => {
    const t0 = Date.now();
    const old = state.processes.find((p) => p.id === step.component);
    if (old !== undefined) await stopProcesses([old], options.logger);
    const log = old?.log ?? join(paths.logs, `${step.component}.log`);
    appendFileSync(log, `\n--- edgemu cluster upgrade: restarting ${step.component} (${version}) at ${new Date().toISOString()} ---\n`);
    const started: ClusterProcess = spawnDetached(command, log);
    state.processes = [...state.processes.filter((p) => p.id !== step.component), started];
    if (plan.real && state.hostRecord !== undefined && (step.component === 'kubelet' || step.component === 'kube-proxy')) {
      replaceHostRecordProcess(state.hostRecord, { id: started.id, pid: started.pid, binary: started.binary });
    }
    await writeClusterState(state);
    await waitFor(`${step.component}: ${step.ready}`, ready(step, version), { deadline: Date.now() + timeoutMs, signal: options.signal, running: [started], paths, timeoutMs });
    return Date.now() - t0;
  };

  const steps = upgradePlan(plan.real ? 'real' : 'simulated');
  const started: UpgradeStep[] = [];
  const timings: UpgradeResult['steps'] = [];
  try {
    for (const step of steps) {
      started.push(step);
      progress(`restarting ${step.component}${step.binary === 'new' ? ` on ${plan.to}` : ''}`);
      const ms = await restart(step, next.get(step.component)!, plan.to);
      timings.push({ component: step.component, ms });
      progress(`${step.component} ready after ${(ms / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    const failed = started.at(-1)!;
    const reason = (error as Error).message;
    progress(`${failed.component} did not come up on ${plan.to} (${reason}); rolling back to ${plan.from}`);
    try {
      for (const step of rollbackSteps(started)) {
        progress(`rolling back ${step.component} to ${plan.from}`);
        await restart(step, back.get(step.component)!, plan.from);
      }
    } catch (rollbackError) {
      delete state.upgrading;
      await finish(state, options, plan.real);
      throw new ClusterError(
        'UPGRADE_FAILED',
        `upgrading to ${plan.to} failed at ${failed.component} (${reason}), and rolling back failed too (${(rollbackError as Error).message}); the cluster is not healthy: stop it with \`edgemu cluster down\`. Logs in ${paths.logs}`,
        { cause: error, details: { component: failed.component, rolledBack: false } },
      );
    }
    delete state.upgrading;
    await finish(state, options, plan.real);
    throw new ClusterError('UPGRADE_FAILED', `upgrading to ${plan.to} failed at ${failed.component}: ${reason}\nrolled back: the cluster runs ${plan.from} again, its data unchanged`, {
      cause: error,
      details: { component: failed.component, rolledBack: true },
    });
  }
  delete state.upgrading;
  state.versions = plan.target.versions;
  state.cacheDir = plan.target.cacheDir;
  const durationMs = Date.now() - plan.began;
  state.upgrades = [...(state.upgrades ?? []), { from: plan.from, to: plan.to, at: new Date().toISOString(), durationMs }];
  await finish(state, options, plan.real);
  progress(`cluster "${state.name}" runs Kubernetes ${plan.to} (upgrade took ${(durationMs / 1000).toFixed(1)} s)`);
  return { from: plan.from, to: plan.to, changed: true, durationMs, steps: timings, state };
}

/** The watchdog again (for the processes running now), then cluster.json. */
async function finish(state: LocalClusterState, options: UpgradeLocalClusterOptions, real: boolean): Promise<void> {
  if (state.ownerPid !== undefined && isAlive(state.ownerPid)) {
    state.processes = [...state.processes, spawnWatchdog(state.ownerPid, state.processes, state.dir, real ? state.hostRecord : undefined)];
  }
  await writeClusterState(state);
  options.logger?.debug({ processes: state.processes.map((p) => `${p.id}:${p.pid}`) }, 'cluster.json written');
}

interface NodeJson {
  status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

const nodeReady = (body: string): boolean => ((JSON.parse(body) as NodeJson).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
