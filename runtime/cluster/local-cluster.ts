// Over ~400 lines: the start/stop sequence of one local cluster (control plane, simulated pool,
// real node) reads best in one place; the real node's own steps live in real-node.ts.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/create-logger.js';
import { ClusterError } from './cluster-errors.js';
import { fileURLToPath } from 'node:url';
import { clusterPaths, controlPlaneCommands, isPortInUseLog, POD_CIDR, renderKubeconfig, SERVICE_CIDR, type ClusterPaths, type ComponentCommand, type ComponentId, type ControlPlanePorts } from './control-plane-commands.js';
import { checkServiceIpRange, parseIpRange, type IpRange } from './service-ip-range.js';
import { acquireLock } from './dir-lock.js';
import { ensureBinaries, type ControlPlaneBinaries, type EnsureBinariesOptions } from './ensure-binaries.js';
import { CLUSTER_NAME_HINT, isValidClusterName } from './cluster-name.js';
import { freePort, isPortFree } from './free-port.js';
import { httpCall, type AdminTls } from './kube-http.js';
import { EDGEMU_STAGE_FILE, fakeNode, renderKwokConfig } from './kwok-config.js';
import { CLUSTER_DOMAIN, NODE_POOL_LABEL, nodeLayout, REAL_POD_CIDR, type NodePorts } from './node-config.js';
import { storageObjects } from './storage-objects.js';
import { generatePki } from './pki.js';
import { isAlive, isOurProcess, residentBytes, signalGroup } from './process-tree.js';
import { decideAfterFailedInstall, decideNodes, simulatedNotice, type NodeDecision, type NodesRequest } from './node-preflight.js';
import { hostFacts, installPackages } from './node-host.js';
import { writeClusterNodeInfo, type ClusterNodeInfo } from './node-info.js';
import { startRealNode, teardownCommand, teardownRealNode } from './real-node.js';
import { NODE_COMPONENTS } from './versions.js';

export const DEFAULT_CLUSTER_NAME = 'edgemu';
/** The LoadBalancer IP controller, bundled into the cluster directory at start. */
const SERVICE_IPS_BUNDLE = 'service-ips.mjs';

/** One process the cluster started, as recorded in cluster.json (the pid file). */
export interface ClusterProcess {
  id: ComponentId | 'watchdog';
  pid: number;
  /** argv[0], checked against /proc before any signal (pid reuse). */
  binary: string;
  log?: string;
}

/** cluster.json: everything `down` and `status` need, written once the cluster is ready. */
export interface LocalClusterState {
  name: string;
  provider: 'local';
  dir: string;
  kubeconfig: string;
  context: string;
  server: string;
  ports: ControlPlanePorts;
  processes: ClusterProcess[];
  nodes: string[];
  /** LoadBalancer IP range (`--service-ips`), when its controller runs. */
  serviceIps?: string;
  /** Whether pods really run (a kubelet node) or are simulated (KWOK only). */
  nodeMode?: 'real' | 'simulated';
  /** The real node's host record (what teardown undoes), when nodeMode is real. */
  hostRecord?: string;
  startedAt: string;
  /** The versions running now; `edgemu cluster upgrade` moves `kubernetes` (docs/cluster.md "Upgrading"). */
  versions: ControlPlaneBinaries['versions'];
  /** The binary cache the cluster's binaries came from (an upgrade builds the new ones there). */
  cacheDir?: string;
  /** The process whose exit stops the cluster (`ownerPid`), so an upgrade can renew the watchdog. */
  ownerPid?: number;
  /** The real node's kubelet and kube-proxy ports (their health checks after an upgrade). */
  nodePorts?: NodePorts;
  /** Set while `edgemu cluster upgrade` restarts components; gone once it finished or rolled back. */
  upgrading?: { from: string; to: string; startedAt: string };
  /** Finished upgrades, oldest first. */
  upgrades?: { from: string; to: string; at: string; durationMs: number }[];
}

export interface StartLocalClusterOptions {
  name?: string;
  /** The cluster's directory; default `clusterDir(stateDir, name)`. */
  dir?: string;
  /** Root of per-cluster dirs when `dir` is not given: `<stateDir>/clusters/<name>`. */
  stateDir?: string;
  /** Already ensured binaries; otherwise `ensureBinaries(ensure)` runs first. */
  binaries?: ControlPlaneBinaries;
  ensure?: EnsureBinariesOptions;
  logger?: Logger;
  /** Human progress lines ("starting etcd", "apiserver ready after 6.1 s"). */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** Readiness deadline per attempt; default 120 s. */
  timeoutMs?: number;
  /** Port picker (tests inject a taken port to exercise the retry). */
  pickPort?: () => Promise<number>;
  /** Attempts with fresh ports when a child reports "address already in use". Default 3. */
  maxAttempts?: number;
  /** Number of fake KWOK nodes. Default 1. */
  nodes?: number;
  /**
   * `auto`: a real node (kubelet + containerd) where the host can run one, otherwise simulated
   * pods with a notice saying why; `real`: refuse instead of falling back; `simulated` (the
   * default here; `edgemu cluster up` and `edgemu up` default to `auto`): KWOK only, the host is
   * left alone.
   */
  nodePool?: NodesRequest;
  /**
   * Stop the cluster when this process exits, however it exits (even SIGKILL): a tiny detached
   * watchdog polls the pid. Used by the test global setup and foreground commands.
   */
  ownerPid?: number;
  /**
   * `FIRST-LAST`: run the LoadBalancer IP controller with this range (docs/cluster.md
   * "LoadBalancer IPs"). Default: none (`clusterUp` defaults to DEFAULT_SERVICE_IPS).
   */
  serviceIps?: string;
}

export interface StartResult {
  state: LocalClusterState;
  /** false when a healthy cluster of that name was already running (idempotent `up`). */
  started: boolean;
  elapsedMs: number;
}

/** The directory of one named local cluster under a state dir. */
export function clusterDir(stateDir: string, name: string = DEFAULT_CLUSTER_NAME): string {
  assertClusterName(name);
  return resolve(stateDir, 'clusters', name);
}

export function assertClusterName(name: string): void {
  if (!isValidClusterName(name)) {
    throw new ClusterError('CLUSTER_START_FAILED', `invalid cluster name "${name}": ${CLUSTER_NAME_HINT}`);
  }
}

/**
 * Starts a local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
 * KWOK) in the background and resolves once a node is Ready and the `default` ServiceAccount
 * exists. Idempotent: a healthy running cluster of the same name is returned as is. Every child
 * runs in its own process group with its pid recorded in cluster.json, so `stopLocalCluster`
 * stops exactly what was started. A failure or abort stops whatever this call started.
 */
export async function startLocalCluster(options: StartLocalClusterOptions = {}): Promise<StartResult> {
  const started = Date.now();
  const name = options.name ?? DEFAULT_CLUSTER_NAME;
  assertClusterName(name);
  const dir = resolve(options.dir ?? clusterDir(options.stateDir ?? '.edgemu', name));
  const progress = options.onProgress ?? (() => undefined);
  await mkdir(resolve(dir, '..'), { recursive: true });
  const lock = await acquireLock(`${dir}.lock`, options.signal);
  try {
    const existing = await readClusterState(dir);
    if (existing !== undefined) {
      const health = await checkHealth(existing);
      if (health.healthy) {
        progress(`cluster "${name}" is already running (${existing.server})`);
        return { state: existing, started: false, elapsedMs: Date.now() - started };
      }
      progress(`cluster "${name}" is not healthy (${health.problems.join('; ')}); restarting it`);
      await stopProcesses(existing.processes, options.logger);
      if (existing.hostRecord !== undefined) teardownRealNode(existing.hostRecord);
    }
    await assertOwnDirectory(dir);
    if (options.serviceIps !== undefined) await assertServiceIps(options.serviceIps, dir);
    await rm(dir, { recursive: true, force: true });

    const decision = await decideNodePool(dir, options, progress);
    const signalOpt = options.signal ? { signal: options.signal } : {};
    let binaries = options.binaries ?? (await ensureBinaries({ ...options.ensure, ...signalOpt, node: decision.nodes === 'real' })).binaries;
    if (decision.nodes === 'real' && binaries.node === undefined) {
      const node = (await ensureBinaries({ ...options.ensure, ...signalOpt, versions: binaries.versions, cacheDir: binaries.cacheDir, components: NODE_COMPONENTS, node: true })).binaries.node;
      binaries = { ...binaries, ...(node ? { node } : {}) };
    }
    const maxAttempts = options.maxAttempts ?? 3;
    const paths = clusterPaths(dir);
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt === 1) await generatePki({ caCert: paths.caCert, caKey: paths.caKey, adminCert: paths.adminCert, adminKey: paths.adminKey });
        const state = await startAttempt(name, dir, binaries, options, progress, decision);
        return { state, started: true, elapsedMs: Date.now() - started };
      } catch (error) {
        const retry = error instanceof PortRace && attempt < maxAttempts;
        if (!retry) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        if (retry) {
          progress(`${error.component} could not bind its port (${error.message}); retrying with new ports (attempt ${attempt + 1}/${maxAttempts})`);
          continue;
        }
        if (error instanceof PortRace) {
          throw new ClusterError('PORT_IN_USE', `${error.component} could not bind its port after ${maxAttempts} attempts: ${error.message}`, { details: { log: error.log } });
        }
        throw error;
      }
    }
  } finally {
    await lock.release();
  }
}

/** What a cluster directory may contain; anything else means the directory is not ours to delete. */
const OWN_ENTRIES = new Set(['kubeconfig', 'cluster.json', 'pki', 'etcd-data', 'apiserver', 'kwok.yaml', 'logs', 'node', 'node-info.json', 'users', SERVICE_IPS_BUNDLE]);

/**
 * Real node or simulated pods (docs/cluster.md "--nodes"): decides from the host's facts,
 * installs missing Debian packages when it may, says once why pods are simulated.
 */
async function decideNodePool(dir: string, options: StartLocalClusterOptions, progress: (m: string) => void): Promise<NodeDecision> {
  const request = options.nodePool ?? 'simulated';
  const facts = request === 'simulated' ? { platform: process.platform, uid: undefined, missing: [], aptGet: false } : hostFacts();
  if (facts.otherRealNode?.dir === dir) delete facts.otherRealNode;
  const decision = decideNodes(request, facts);
  if (decision.nodes === 'simulated') {
    if (decision.refuse) throw new ClusterError('NODE_UNAVAILABLE', `--nodes real: ${decision.reason}${decision.fix === undefined ? '' : `; ${decision.fix}`}`);
    if (request === 'auto') progress(simulatedNotice(decision));
    return decision;
  }
  if (decision.install.length > 0) {
    progress(`real node: installing the Debian packages ${decision.install.join(', ')}`);
    try {
      await installPackages(decision.install, (line) => progress(`[apt] ${line}`), options.signal);
    } catch (error) {
      // `auto`: the cluster comes up with simulated pods and says why; `real`: apt-get's error.
      const after = decideAfterFailedInstall(request, decision.install, (error as Error).message);
      if (after.refuse || options.signal?.aborted) throw error;
      progress((error as Error).message);
      progress(simulatedNotice(after));
      return after;
    }
  }
  return decision;
}

/**
 * A `--service-ips` range must parse and stay clear of the networks the cluster uses and of the
 * ranges of the other clusters in the same state dir (service-ip-range.ts); checked before
 * anything starts.
 */
async function assertServiceIps(text: string, dir: string): Promise<void> {
  const range = parseIpRange(text);
  const taken: { what: string; cidr?: string; range?: IpRange }[] = [
    { what: 'the Service network', cidr: SERVICE_CIDR },
    { what: 'the simulated pods’ network', cidr: POD_CIDR },
    { what: 'the real node’s pod network', cidr: REAL_POD_CIDR },
  ];
  const parent = resolve(dir, '..');
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const other = join(parent, entry);
    if (other === dir) continue;
    const state = await readClusterState(other);
    if (state?.serviceIps !== undefined) taken.push({ what: `the --service-ips of cluster "${state.name}"`, range: parseIpRange(state.serviceIps) });
  }
  checkServiceIpRange(range, taken);
}

/**
 * The LoadBalancer IP controller process: lb-controller-main.ts bundled by esbuild into one file of
 * the cluster directory, run by this Node.js without tsx, with a small heap. Measured RSS: about
 * 150 MiB when it ran through tsx with @kubernetes/client-node; see docs/cluster.md "LoadBalancer IPs".
 */
async function serviceIpsCommand(paths: ClusterPaths, server: string, range: string): Promise<ComponentCommand> {
  const { build } = await import('esbuild');
  const main = fileURLToPath(new URL('./lb-controller-main.ts', import.meta.url));
  const outfile = join(paths.dir, SERVICE_IPS_BUNDLE);
  await build({ entryPoints: [main], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
  return {
    id: 'service-ips',
    binary: process.execPath,
    args: ['--max-old-space-size=16', '--max-semi-space-size=1', outfile, server, paths.caCert, paths.adminCert, paths.adminKey, range],
  };
}

async function assertOwnDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const foreign = entries.filter((e) => !OWN_ENTRIES.has(e));
  if (foreign.length > 0) {
    throw new ClusterError('CLUSTER_BUSY', `${dir} holds files that are not a cluster's (${foreign.slice(0, 5).join(', ')}); refusing to replace it`);
  }
}

class PortRace extends Error {
  constructor(
    readonly component: ComponentId,
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

async function startAttempt(name: string, dir: string, binaries: ControlPlaneBinaries, options: StartLocalClusterOptions, progress: (m: string) => void, decision: NodeDecision): Promise<LocalClusterState> {
  const paths = clusterPaths(dir);
  const pick = options.pickPort ?? (() => freePort());
  const ports = await pickDistinctPorts(pick);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const signal = options.signal;
  const context = `edgemu-${name}`;
  const server = `https://127.0.0.1:${ports.apiServer}`;
  const tls: AdminTls = { ca: '', cert: '', key: '' };

  // a retry starts from an empty etcd and fresh logs but keeps the certificates (port-independent)
  await rm(paths.etcdData, { recursive: true, force: true });
  await rm(paths.logs, { recursive: true, force: true });
  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.etcdData, { recursive: true, mode: 0o700 });
  tls.ca = readFileSync(paths.caCert, 'utf8');
  tls.cert = readFileSync(paths.adminCert, 'utf8');
  tls.key = readFileSync(paths.adminKey, 'utf8');
  await writeFile(paths.kubeconfig, renderKubeconfig({ server, caCert: paths.caCert, clientCert: paths.adminCert, clientKey: paths.adminKey, contextName: context }), { mode: 0o600 });
  const stageTexts = await Promise.all([...binaries.kwokStageFiles, EDGEMU_STAGE_FILE].map((f) => readFile(f, 'utf8')));
  await writeFile(paths.kwokConfig, renderKwokConfig(stageTexts));

  const commands = new Map(controlPlaneCommands(binaries, paths, ports).map((c) => [c.id, c] as const));
  const running: ClusterProcess[] = [];
  const real = decision.nodes === 'real' && binaries.node !== undefined;
  const hostRecord = real ? nodeLayout(dir, name).hostRecord : undefined;
  // Ctrl-C (or the process exiting) while starting must not leave children behind
  const onExit = () => {
    killNow(running);
    if (hostRecord !== undefined) teardownRealNode(hostRecord);
  };
  process.once('exit', onExit);
  const waitUntil = (what: string, probe: () => Promise<boolean>) => waitFor(what, probe, { deadline, signal, running, paths, timeoutMs });
  try {
    const spawnOne = (id: ComponentId) => {
      const command = commands.get(id)!;
      running.push(spawnDetached(command, join(paths.logs, `${id}.log`)));
      options.logger?.debug({ component: id, pid: running.at(-1)?.pid, args: command.args }, 'started');
    };
    const t0 = Date.now();
    const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    progress(`starting etcd on 127.0.0.1:${ports.etcdClient}`);
    spawnOne('etcd');
    await waitUntil('etcd /health', async () => {
      const r = await httpCall(`http://127.0.0.1:${ports.etcdClient}/health`, { timeoutMs: 2000 });
      return r.status === 200 && r.body.includes('"true"');
    });
    progress(`etcd ready after ${since()}; starting kube-apiserver on ${server}`);
    spawnOne('kube-apiserver');
    await waitUntil('kube-apiserver /readyz', async () => (await httpCall(`${server}/readyz`, { tls, timeoutMs: 3000 })).status === 200);
    progress(`apiserver ready after ${since()}; starting kube-controller-manager, kube-scheduler and kwok`);
    spawnOne('kube-controller-manager');
    spawnOne('kube-scheduler');
    spawnOne('kwok');
    const nodes = Array.from({ length: options.nodes ?? 1 }, (_, i) => `kwok-node-${i}`);
    for (const node of nodes) {
      const r = await httpCall(`${server}/api/v1/nodes`, { method: 'POST', body: fakeNode(node, { tainted: real }), tls });
      if (r.status !== 201 && r.status !== 409) throw new ClusterError('CLUSTER_START_FAILED', `creating node ${node} failed: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }
    // the default StorageClass (both pools): its objects, then the provisioner
    for (const object of storageObjects({ volumesDir: nodeLayout(dir, name).volumesDir, helperImage: binaries.volumeHelperImage })) {
      const r = await httpCall(`${server}${object.path}`, { method: 'POST', body: object.body, tls });
      if (r.status !== 201 && r.status !== 409) throw new ClusterError('CLUSTER_START_FAILED', `creating ${object.path} failed: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }
    spawnOne('local-path-provisioner');
    if (options.serviceIps !== undefined) {
      running.push(spawnDetached(await serviceIpsCommand(paths, server, options.serviceIps), join(paths.logs, 'service-ips.log')));
      progress(`LoadBalancer IPs from ${options.serviceIps}`);
    }
    await waitUntil(`node ${nodes.join(', ')} Ready`, async () => {
      for (const node of nodes) {
        const r = await httpCall(`${server}/api/v1/nodes/${node}`, { tls });
        if (r.status !== 200) return false;
        const conditions = (JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
        if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return false;
      }
      return true;
    });
    let nodePorts: NodePorts | undefined;
    let nodeInfo: ClusterNodeInfo = {
      nodes: 'simulated',
      reason: decision.nodes === 'simulated' ? decision.reason : 'no node binaries',
      ...(decision.nodes === 'simulated' && decision.fix !== undefined ? { fix: decision.fix } : {}),
      simulatedNodes: nodes,
      poolLabel: NODE_POOL_LABEL,
      clusterDomain: CLUSTER_DOMAIN,
    };
    if (real && binaries.node !== undefined) {
      nodePorts = { kubelet: await pick(), kubeletHealthz: await pick(), kubeProxyHealthz: await pick(), kubeProxyMetrics: await pick() };
      const { info } = await startRealNode({
        clusterDir: dir,
        name,
        kubeconfig: paths.kubeconfig,
        context,
        caCert: paths.caCert,
        binaries: binaries.node,
        ports: nodePorts,
        spawn: (command) => {
          const p = spawnDetached(command, join(paths.logs, `${command.id}.log`));
          running.push(p);
          return p;
        },
        waitUntil: (what, probe) => waitUntil(what, async () => probe()),
        progress,
        api: (path) => httpCall(`${server}${path}`, { tls }),
      });
      nodeInfo = { ...info, simulatedNodes: nodes };
    }
    await waitUntil('default ServiceAccount', async () => (await httpCall(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { tls })).status === 200);
    await waitUntil('kube-scheduler /healthz', async () => (await httpCall(`https://127.0.0.1:${ports.scheduler}/healthz`, { insecure: true })).status === 200);
    if (options.ownerPid !== undefined) running.push(spawnWatchdog(options.ownerPid, running, dir, hostRecord));
    const state: LocalClusterState = {
      name,
      provider: 'local',
      dir,
      kubeconfig: paths.kubeconfig,
      context,
      server,
      ports,
      processes: running,
      nodes: real ? [...nodes, nodeInfo.nodes === 'real' ? nodeInfo.realNode : ''] : nodes,
      nodeMode: nodeInfo.nodes,
      ...(options.serviceIps === undefined ? {} : { serviceIps: options.serviceIps }),
      ...(hostRecord === undefined ? {} : { hostRecord }),
      startedAt: new Date().toISOString(),
      versions: binaries.versions,
      cacheDir: binaries.cacheDir,
      ...(options.ownerPid === undefined ? {} : { ownerPid: options.ownerPid }),
      ...(nodePorts === undefined ? {} : { nodePorts }),
    };
    await writeClusterNodeInfo(dir, nodeInfo);
    await writeClusterState(state);
    progress(`cluster "${name}" ready after ${since()}: ${server}, kubeconfig ${paths.kubeconfig}`);
    return state;
  } catch (error) {
    await stopProcesses(running, options.logger);
    if (hostRecord !== undefined) teardownRealNode(hostRecord);
    throw error;
  } finally {
    process.removeListener('exit', onExit);
  }
}

async function pickDistinctPorts(pick: () => Promise<number>): Promise<ControlPlanePorts> {
  const seen = new Set<number>();
  const next = async () => {
    for (let i = 0; i < 20; i++) {
      const port = await pick();
      if (!seen.has(port)) {
        seen.add(port);
        return port;
      }
    }
    throw new ClusterError('PORT_IN_USE', 'could not find distinct free ports on 127.0.0.1');
  };
  return { etcdClient: await next(), etcdPeer: await next(), apiServer: await next(), controllerManager: await next(), scheduler: await next() };
}

/** Writes cluster.json whole or not at all (write, then rename): `down` and `status` never read half of one. */
export async function writeClusterState(state: LocalClusterState): Promise<void> {
  const path = clusterPaths(state.dir).state;
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}

/** Starts one component in its own process group, its output appended to `logPath`. */
export function spawnDetached(command: ComponentCommand, logPath: string): ClusterProcess {
  const fd = openSync(logPath, 'a');
  try {
    // detached = own process group: a terminal Ctrl-C does not hit it, and `down` can signal
    // the whole group; stdio goes to the log file so the child survives our exit
    const child = spawn(command.binary, command.args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new ClusterError('CLUSTER_START_FAILED', `could not start ${command.binary}`);
    child.on('error', () => undefined);
    child.unref();
    return { id: command.id, pid: child.pid, binary: command.binary, log: logPath };
  } finally {
    closeSync(fd);
  }
}

/** A detached shell that stops the cluster's process groups once `ownerPid` is gone. */
export function spawnWatchdog(ownerPid: number, processes: readonly ClusterProcess[], dir: string, hostRecord: string | undefined): ClusterProcess {
  const groups = processes.map((p) => `-${p.pid}`).join(' ');
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  // the real node's containers, mounts, bridge, tables, cgroups and sysctls need more than kill
  const teardown = hostRecord === undefined ? '' : `${teardownCommand(hostRecord).map(quote).join(' ')} >/dev/null 2>&1; `;
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; kill -TERM ${groups} 2>/dev/null; sleep 5; kill -KILL ${groups} 2>/dev/null; ${teardown}rm -rf ${quote(dir)}`;
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return { id: 'watchdog', pid: child.pid ?? -1, binary: '/bin/sh' };
}

/**
 * Polls `probe` every 250 ms until it answers true; fails as soon as one of `running` exits (with
 * its log's last lines), on abort, or at the deadline.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  ctx: { deadline: number; signal: AbortSignal | undefined; running: readonly ClusterProcess[]; paths: ClusterPaths; timeoutMs: number },
): Promise<void> {
  let lastError = '';
  for (;;) {
    if (ctx.signal?.aborted) throw new ClusterError('CLUSTER_START_FAILED', `cluster start interrupted while waiting for ${what}`, { cause: ctx.signal.reason });
    for (const p of ctx.running) {
      if (!isAlive(p.pid) || !isOurProcess(p.pid, p.binary)) {
        const log = p.log !== undefined && existsSync(p.log) ? readFileSync(p.log, 'utf8') : '';
        const tail = log.trim().split('\n').slice(-15).join('\n');
        if (isPortInUseLog(log) && p.id !== 'watchdog') throw new PortRace(p.id, lastLine(log), tail);
        throw new ClusterError('CLUSTER_START_FAILED', `${p.id} exited while waiting for ${what}; last log lines (${p.log ?? 'no log'}):\n${tail}`, { details: { component: p.id, log: tail } });
      }
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > ctx.deadline) {
      throw new ClusterError('CLUSTER_START_FAILED', `timed out after ${Math.round(ctx.timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}; logs in ${ctx.paths.logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const lastLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .filter((l) => isPortInUseLog(l))
    .at(-1)
    ?.trim()
    .slice(0, 300) ?? '';

/** SIGKILL every recorded group synchronously (usable from an `exit` handler). */
function killNow(processes: readonly ClusterProcess[]): void {
  for (const p of processes) if (isOurProcess(p.pid, p.binary)) signalGroup(p.pid, 'SIGKILL');
}

/**
 * Stops processes tier by tier, clients before servers: the watchdog, then KWOK, scheduler and
 * controller-manager, then the apiserver, then etcd. Each tier gets SIGTERM to its process
 * groups, up to 10 s grace, then SIGKILL (docs/cluster.md "Safety"). Order matters: an apiserver whose
 * etcd is already gone does not finish its graceful shutdown (measured: still alive after 15 s;
 * with etcd up it exits in ~1 s). Only processes still running the recorded binary are touched.
 */
export async function stopProcesses(processes: readonly ClusterProcess[], logger?: Logger): Promise<void> {
  const tierOf = (p: ClusterProcess): number => (p.id === 'watchdog' ? 0 : p.id === 'kube-apiserver' ? 2 : p.id === 'etcd' ? 3 : 1);
  for (const tier of [0, 1, 2, 3]) {
    const ours = processes.filter((p) => tierOf(p) === tier && isOurProcess(p.pid, p.binary));
    if (ours.length === 0) continue;
    for (const p of ours) {
      logger?.debug({ component: p.id, pid: p.pid }, 'stopping');
      signalGroup(p.pid, 'SIGTERM');
    }
    const graceUntil = Date.now() + 10_000;
    while (ours.some((p) => isOurProcess(p.pid, p.binary)) && Date.now() < graceUntil) await new Promise((r) => setTimeout(r, 50));
    for (const p of ours) {
      if (!isOurProcess(p.pid, p.binary)) continue;
      logger?.warn({ component: p.id, pid: p.pid }, 'did not stop within 10 s; killing');
      signalGroup(p.pid, 'SIGKILL');
    }
    const killUntil = Date.now() + 5000;
    while (ours.some((p) => isOurProcess(p.pid, p.binary)) && Date.now() < killUntil) await new Promise((r) => setTimeout(r, 50));
  }
}

export async function readClusterState(dir: string): Promise<LocalClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as LocalClusterState;
  } catch {
    return undefined;
  }
}

export interface LocalClusterHealth {
  healthy: boolean;
  problems: string[];
  processes: (ClusterProcess & { running: boolean; rssBytes?: number })[];
}

/** Is every recorded process alive and does the apiserver answer /readyz? */
export async function checkHealth(state: LocalClusterState): Promise<LocalClusterHealth> {
  const problems: string[] = [];
  const processes = state.processes.map((p) => {
    const running = isOurProcess(p.pid, p.binary);
    if (!running) problems.push(`${p.id} (pid ${p.pid}) is not running`);
    const rss = running ? residentBytes(p.pid) : undefined;
    return { ...p, running, ...(rss === undefined ? {} : { rssBytes: rss }) };
  });
  if (problems.length === 0) {
    try {
      const tls: AdminTls = { ca: readFileSync(join(state.dir, 'pki', 'ca.crt'), 'utf8'), cert: readFileSync(join(state.dir, 'pki', 'admin.crt'), 'utf8'), key: readFileSync(join(state.dir, 'pki', 'admin.key'), 'utf8') };
      const r = await httpCall(`${state.server}/readyz`, { tls, timeoutMs: 5000 });
      if (r.status !== 200) problems.push(`apiserver /readyz answered ${r.status}`);
    } catch (error) {
      problems.push(`apiserver unreachable: ${(error as Error).message}`);
    }
  }
  return { healthy: problems.length === 0, problems, processes };
}

export interface StopResult {
  /** false when no cluster of that name was recorded. */
  found: boolean;
  stopped: ClusterProcess[];
  /** Ports still bound after stopping (should be empty). */
  portsStillBound: number[];
}

/**
 * Stops a local cluster recorded in `dir` (every process group it started, by pid), waits for
 * its ports to be released, and removes its directory. Safe to call twice.
 */
export async function stopLocalCluster(dir: string, options: { logger?: Logger } = {}): Promise<StopResult> {
  const absolute = resolve(dir);
  if (!existsSync(absolute)) return { found: false, stopped: [], portsStillBound: [] };
  const lock = await acquireLock(`${absolute}.lock`);
  try {
    const state = await readClusterState(absolute);
    if (state === undefined) {
      await rm(absolute, { recursive: true, force: true });
      return { found: false, stopped: [], portsStillBound: [] };
    }
    const stopped = state.processes.filter((p) => isOurProcess(p.pid, p.binary));
    // The watchdog goes first, so from here on nothing else would stop the rest if this process
    // ended mid-way. A Ctrl-C (or SIGTERM) during the graceful stop, typically the second one of
    // `cluster up --foreground` or `edgemu up`, means "stop now": SIGKILL what is left instead of
    // letting the signal's default action kill us and orphan etcd. An exit on the way out does
    // the same, as in startLocalCluster.
    const hurry = () => {
      options.logger?.warn('interrupted while stopping: killing the remaining cluster processes now');
      killNow(state.processes);
    };
    const onExit = () => killLocalClusterSync(absolute);
    process.on('SIGINT', hurry);
    process.on('SIGTERM', hurry);
    process.once('exit', onExit);
    try {
      await stopProcesses(state.processes, options.logger);
      if (state.hostRecord !== undefined) teardownRealNode(state.hostRecord);
    } finally {
      process.off('SIGINT', hurry);
      process.off('SIGTERM', hurry);
      process.off('exit', onExit);
    }
    const ports = Object.values(state.ports);
    const until = Date.now() + 5000;
    let bound: number[] = [];
    for (;;) {
      bound = [];
      for (const port of ports) if (!(await isPortFree(port))) bound.push(port);
      if (bound.length === 0 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await rm(absolute, { recursive: true, force: true });
    return { found: true, stopped, portsStillBound: bound };
  } finally {
    await lock.release();
  }
}

/**
 * Synchronous last-resort stop for `exit` handlers (test teardown after a crash, Ctrl-C):
 * SIGKILLs every recorded group and removes the directory.
 */
export function killLocalClusterSync(dir: string): void {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as LocalClusterState;
    killNow(state.processes);
    if (state.hostRecord !== undefined) teardownRealNode(state.hostRecord);
  } catch {
    // nothing recorded
  }
  rmSync(dir, { recursive: true, force: true });
}
