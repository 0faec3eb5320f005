import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ClusterError } from './cluster-errors.js';
import type { ComponentCommand, ComponentId } from './control-plane-commands.js';
import { CNI_BIN_DIR, CONTAINERD, CTR, RUNC } from './node-preflight.js';
import {
  CLUSTER_DOMAIN,
  CONTAINERD_NAMESPACE,
  NODE_POOL_LABEL,
  REAL_HOST_IP,
  REAL_POD_CIDR,
  SIMULATED_TAINT,
  WATCHED_SYSCTLS,
  cniConfig,
  containerdConfig,
  corefile,
  kubeProxyConfig,
  kubeletArgs,
  kubeletConfig,
  nodeLayout,
  nodeResolvConf,
  sysctlsToRestore,
  type NodeLayout,
  type NodePorts,
} from './node-config.js';
import {
  cgroupPids,
  containerLogLinksExist,
  createBridge,
  createCgroupRoot,
  deleteBridge,
  deleteNewNftTables,
  killPids,
  nftTables,
  pidsWithCmdline,
  readSysctls,
  releaseMachineLock,
  removeCgroupTree,
  removeContainerLogLinks,
  sumRss,
  takeMachineLock,
  unmountUnder,
  updateMachineLock,
  writeSysctl,
} from './node-host.js';
import type { RealNodeInfo } from './node-info.js';

/** Everything the real node runs, built or made by ensure-binaries. */
export interface NodeBinaries {
  kubelet: string;
  kubeProxy: string;
  coredns: string;
  /** OCI archives imported into containerd before kubelet starts. */
  images: { ref: string; archive: string }[];
  sandboxImage: string;
}

/** host-record.json: what was on the host before the node changed it, and what it started. */
export interface HostRecord {
  clusterDir: string;
  layout: NodeLayout;
  sysctls: Record<string, string>;
  nftTables: string[];
  containerLogLinksExisted: boolean;
  processes: { id: string; pid: number; binary: string }[];
}

export interface RealNodeContext {
  clusterDir: string;
  name: string;
  kubeconfig: string;
  context: string;
  caCert: string;
  binaries: NodeBinaries;
  ports: NodePorts;
  /** Spawns one detached, logged process and records it (local-cluster's spawner). */
  spawn: (command: ComponentCommand) => { pid: number; binary: string; log?: string };
  waitUntil: (what: string, probe: () => Promise<boolean> | boolean) => Promise<void>;
  progress: (message: string) => void;
  /** GET a path of the apiserver as admin: status and body. */
  api: (path: string) => Promise<{ status: number; body: string }>;
}

/**
 * Starts the real node of a local cluster: records the host state it will change, creates the
 * pod bridge (with the host address) and the cgroup root, then containerd (own config, root,
 * state and socket), imports the sandbox and helper images, and starts kubelet, kube-proxy
 * (nftables) and CoreDNS; resolves once the node is Ready. On failure the caller stops the
 * processes and calls `teardownRealNode`.
 */
export async function startRealNode(ctx: RealNodeContext): Promise<{ layout: NodeLayout; info: RealNodeInfo }> {
  const layout = nodeLayout(ctx.clusterDir, ctx.name);
  const { stale } = takeMachineLock({ clusterDir: ctx.clusterDir, id: layout.id, hostRecord: layout.hostRecord, pids: [] });
  if (stale !== undefined) {
    ctx.progress(`cleaning up the real node a dead cluster left behind (${stale.clusterDir})`);
    teardownRealNode(stale.hostRecord, { keepLockFor: ctx.clusterDir });
  }
  // a previous run of this very cluster that was killed before it could clean up
  if (existsSync(layout.hostRecord)) teardownRealNode(layout.hostRecord, { keepLockFor: ctx.clusterDir });
  for (const d of [layout.runDir, layout.dataDir, layout.configDir, layout.cniConfDir, layout.podLogsDir, layout.volumesDir]) mkdirSync(d, { recursive: true });
  const record: HostRecord = {
    clusterDir: ctx.clusterDir,
    layout,
    sysctls: readSysctls(WATCHED_SYSCTLS),
    nftTables: nftTables(),
    containerLogLinksExisted: containerLogLinksExist(),
    processes: [],
  };
  const saveRecord = () => {
    writeFileSync(layout.hostRecord, `${JSON.stringify(record, null, 2)}\n`);
    updateMachineLock({ clusterDir: ctx.clusterDir, id: layout.id, hostRecord: layout.hostRecord, pids: record.processes });
  };
  saveRecord();

  createBridge(layout.bridge, `${REAL_HOST_IP}/16`);
  createCgroupRoot(layout.cgroupRoot);
  writeFileSync(layout.containerdConfig, containerdConfig(layout, { sandboxImage: ctx.binaries.sandboxImage, cniBinDir: CNI_BIN_DIR, runc: RUNC }));
  writeFileSync(`${layout.cniConfDir}/10-edgemu.conflist`, cniConfig(layout));
  writeFileSync(layout.kubeletConfig, kubeletConfig(layout, { ports: ctx.ports, caCert: ctx.caCert }));
  writeFileSync(layout.kubeProxyConfig, kubeProxyConfig(layout, { ports: ctx.ports, kubeconfig: ctx.kubeconfig }));
  writeFileSync(layout.corefile, corefile({ kubeconfig: ctx.kubeconfig, context: ctx.context }));
  writeFileSync(layout.resolvConf, nodeResolvConf());

  const start = (id: ComponentId, binary: string, args: string[]) => {
    const p = ctx.spawn({ id, binary, args });
    record.processes.push({ id, pid: p.pid, binary: p.binary });
    saveRecord();
  };
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  ctx.progress(`real node: starting containerd (socket ${layout.containerdSocket})`);
  start('containerd', CONTAINERD, ['--config', layout.containerdConfig]);
  await ctx.waitUntil('containerd to answer on its socket', () => ctr(layout, ['version']).ok);
  for (const image of ctx.binaries.images) {
    const r = ctr(layout, ['images', 'import', image.archive]);
    if (!r.ok) throw new ClusterError('CLUSTER_START_FAILED', `importing ${image.ref} from ${image.archive} into containerd failed: ${r.output}`);
  }
  ctx.progress(`real node: containerd ready after ${since()}, images imported; starting kubelet, kube-proxy and CoreDNS`);
  for (const command of nodeCommands(layout, ctx.binaries, ctx.kubeconfig)) start(command.id, command.binary, command.args);
  await ctx.waitUntil(`node ${layout.nodeName} Ready (kubelet log: ${ctx.clusterDir}/logs/kubelet.log)`, async () => {
    const r = await ctx.api(`/api/v1/nodes/${layout.nodeName}`);
    if (r.status !== 200) return false;
    const conditions = (JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
    return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  });
  ctx.progress(`real node ${layout.nodeName} Ready after ${since()}`);
  const info: RealNodeInfo = {
    nodes: 'real',
    realNode: layout.nodeName,
    simulatedNodes: [],
    poolLabel: NODE_POOL_LABEL,
    simulatedTaint: { ...SIMULATED_TAINT },
    containerdAddress: layout.containerdSocket,
    containerdNamespace: CONTAINERD_NAMESPACE,
    ctr: CTR,
    hostIP: REAL_HOST_IP,
    podCIDR: REAL_POD_CIDR,
    clusterDNS: REAL_HOST_IP,
    clusterDomain: CLUSTER_DOMAIN,
    bridge: layout.bridge,
  };
  return { layout, info };
}

/** The node's processes after containerd, in start order: kubelet, kube-proxy, CoreDNS. */
export function nodeCommands(layout: NodeLayout, binaries: Pick<NodeBinaries, 'kubelet' | 'kubeProxy' | 'coredns'>, kubeconfig: string): ComponentCommand[] {
  return [
    { id: 'kubelet', binary: binaries.kubelet, args: kubeletArgs(layout, kubeconfig) },
    { id: 'kube-proxy', binary: binaries.kubeProxy, args: [`--config=${layout.kubeProxyConfig}`, '--v=1'] },
    { id: 'coredns', binary: binaries.coredns, args: ['-conf', layout.corefile] },
  ];
}

/**
 * Records that one of the node's processes was replaced (an upgrade restarted kubelet or
 * kube-proxy): the host record and the machine lock then name the new pid, so a teardown or a
 * second cluster's start sees the node as it is.
 */
export function replaceHostRecordProcess(hostRecordPath: string, entry: { id: string; pid: number; binary: string }): void {
  const record = JSON.parse(readFileSync(hostRecordPath, 'utf8')) as HostRecord;
  record.processes = [...record.processes.filter((p) => p.id !== entry.id), entry];
  writeFileSync(hostRecordPath, `${JSON.stringify(record, null, 2)}\n`);
  updateMachineLock({ clusterDir: record.clusterDir, id: record.layout.id, hostRecord: hostRecordPath, pids: record.processes });
}

export function ctr(layout: Pick<NodeLayout, 'containerdSocket'>, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(CTR, ['--address', layout.containerdSocket, '--namespace', CONTAINERD_NAMESPACE, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

export interface TeardownReport {
  killed: number;
  mountsLeft: string[];
  cgroupsLeft: string[];
  nftRemoved: string[];
  sysctlsRestored: [string, string][];
}

/**
 * Undoes everything the real node did to the host, from its host record: kills the node's
 * processes, every container (by cgroup) and the containerd shims of its socket; unmounts
 * kubelet's and containerd's mounts; removes the bridge, the nftables tables that appeared,
 * the cgroups, the container log links, the data and run directories; restores each watched
 * sysctl that changed. Synchronous and idempotent: it runs from `down`, an `exit` handler and the
 * watchdog. `keepLockFor`: leave the machine lock (the caller is taking it over).
 */
export function teardownRealNode(hostRecordPath: string, options: { keepLockFor?: string } = {}): TeardownReport | undefined {
  let record: HostRecord;
  try {
    record = JSON.parse(readFileSync(hostRecordPath, 'utf8')) as HostRecord;
  } catch {
    return undefined;
  }
  const { layout } = record;
  let killed = 0;
  // node processes first (kubelet would restart containers), then containers and shims
  const own = record.processes.filter((p) => isRunning(p.pid, p.binary)).map((p) => p.pid);
  killPids(own);
  killed += own.length;
  for (let round = 0; round < 50; round++) {
    const pids = [...cgroupPids(layout.cgroupRoot), ...pidsWithCmdline(['containerd-shim', layout.containerdSocket])];
    if (pids.length === 0) break;
    killPids(pids);
    killed += pids.length;
    spawnSync('sleep', ['0.1']);
  }
  const mountsLeft = unmountUnder([layout.dataDir, layout.runDir]);
  deleteBridge(layout.bridge);
  const nftRemoved = deleteNewNftTables(record.nftTables);
  let cgroupsLeft: string[] = [];
  for (let round = 0; round < 20; round++) {
    cgroupsLeft = removeCgroupTree(layout.cgroupRoot);
    if (cgroupsLeft.length === 0) break;
    spawnSync('sleep', ['0.1']);
  }
  removeContainerLogLinks(layout.podLogsDir, record.containerLogLinksExisted);
  const sysctlsRestored = sysctlsToRestore(record.sysctls, readSysctls(Object.keys(record.sysctls)));
  for (const [key, value] of sysctlsRestored) writeSysctl(key, value);
  if (mountsLeft.length === 0) {
    rmSync(layout.dataDir, { recursive: true, force: true });
    rmSync(layout.runDir, { recursive: true, force: true });
  }
  if (options.keepLockFor !== record.clusterDir) releaseMachineLock(record.clusterDir);
  // /run/edgemu and /var/lib/edgemu themselves, once no other cluster uses them
  for (const parent of [dirname(layout.runDir), dirname(layout.dataDir)]) {
    try {
      rmdirSync(parent);
    } catch {
      // not empty (another cluster, or the lock) or already gone
    }
  }
  return { killed, mountsLeft, cgroupsLeft, nftRemoved, sysctlsRestored };
}

/** Resident memory of the node's containers and containerd shims (what `cluster status` adds). */
export function realNodePodsRss(hostRecordPath: string): number | undefined {
  try {
    const { layout } = JSON.parse(readFileSync(hostRecordPath, 'utf8')) as HostRecord;
    return sumRss([...cgroupPids(layout.cgroupRoot), ...pidsWithCmdline(['containerd-shim', layout.containerdSocket])]);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number, binary: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary;
  } catch {
    return false;
  }
}

/**
 * The command that runs `teardownRealNode` in a fresh Node process (the watchdog's last step,
 * after its owner died): node with the tsx loader and node-teardown-main.ts.
 */
export function teardownCommand(hostRecordPath: string): string[] {
  const loader = createRequire(import.meta.url).resolve('tsx');
  const main = fileURLToPath(new URL('./node-teardown-main.ts', import.meta.url));
  return [process.execPath, '--import', loader, main, hostRecordPath];
}
