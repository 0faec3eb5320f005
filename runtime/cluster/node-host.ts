import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ClusterError } from './cluster-errors.js';
import { decideNodes, missingPackages, type HostFacts, type NodesRequest } from './node-preflight.js';

/**
 * The host side of the real node: facts for the preflight, Debian packages, sysctls, the bridge,
 * cgroups, mounts, nftables tables and the machine-wide real-node lock. Synchronous where the
 * teardown must also run from an `exit` handler or the watchdog.
 */

const CGROUP_ROOT = '/sys/fs/cgroup';
const MACHINE_LOCK = '/run/edgemu/real-node.lock';
const CONTAINER_LOG_LINKS = '/var/log/containers';

export function hostFacts(lockPath: string = MACHINE_LOCK): HostFacts {
  const other = readMachineLock(lockPath);
  return {
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    missing: missingPackages(existsSync),
    aptGet: existsSync('/usr/bin/apt-get'),
    ...(other !== undefined && isNodeAlive(other) ? { otherRealNode: { dir: other.clusterDir } } : {}),
  };
}

/** apt-get install with progress lines (`apt-get update` first when the package lists are missing). */
export async function installPackages(names: readonly string[], onProgress: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (names.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lists = readdirSync('/var/lib/apt/lists', { withFileTypes: true }).filter((e) => e.name.endsWith('_Packages') || e.name.includes('_Packages.'));
  const run = async (args: string[]) => {
    const child = execa('apt-get', args, { env, all: true, buffer: false, reject: false, ...(signal ? { cancelSignal: signal } : {}) });
    const tail: string[] = [];
    let pending = '';
    child.all?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (/^(Get:|Setting up|Unpacking|Reading package lists\.\.\. Done|Hit:)/.test(line)) onProgress(line.trim());
      }
    });
    const result = await child;
    if (result.exitCode !== 0) {
      throw new ClusterError('TOOL_MISSING', `apt-get ${args.join(' ')} failed (exit ${String(result.exitCode ?? result.signal)}):\n${tail.join('\n')}\ninstall the packages by hand (apt-get install ${names.join(' ')}) or use --nodes simulated`);
    }
  };
  if (lists.length === 0) {
    onProgress('apt-get update (no package lists yet)');
    await run(['update']);
  }
  onProgress(`apt-get install ${names.join(' ')}`);
  await run(['install', '-y', '--no-install-recommends', ...names]);
  const still = missingPackages(existsSync);
  if (still.length > 0) throw new ClusterError('TOOL_MISSING', `apt-get installed ${names.join(', ')} but ${still.join(', ')} still look missing; install them by hand or use --nodes simulated`);
}

// ---- sysctls ----

const sysctlPath = (key: string): string => join('/proc/sys', ...key.split('.'));

export function readSysctls(keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    try {
      out[key] = readFileSync(sysctlPath(key), 'utf8').trim();
    } catch {
      // not on this kernel (e.g. br_netfilter not loaded): nothing to restore either
    }
  }
  return out;
}

export function writeSysctl(key: string, value: string): boolean {
  try {
    writeFileSync(sysctlPath(key), `${value}\n`);
    return true;
  } catch {
    return false;
  }
}

// ---- network ----

export function ip(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The bridge with the host address, up, before kubelet starts (the hub can bind it at once). */
export function createBridge(name: string, cidrAddress: string): void {
  if (ip(['link', 'show', name]).ok) ip(['link', 'del', name]);
  for (const args of [['link', 'add', name, 'type', 'bridge'], ['addr', 'add', cidrAddress, 'dev', name], ['link', 'set', name, 'up']]) {
    const r = ip(args);
    if (!r.ok) throw new ClusterError('CLUSTER_START_FAILED', `ip ${args.join(' ')} failed: ${r.output}`);
  }
}

export function deleteBridge(name: string): void {
  if (ip(['link', 'show', name]).ok) ip(['link', 'del', name]);
}

/** `nft list tables` as "family name" strings. */
export function nftTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().replace(/^table\s+/, ''))
    .filter((l) => l !== '');
}

/** Tables kube-proxy (nftables mode), kubelet's and portmap's iptables-nft chains create. */
const NODE_TABLE_NAMES = new Set(['kube-proxy', 'nat', 'filter', 'mangle']);

/** Deletes the node's tables that did not exist before it started. */
export function deleteNewNftTables(before: readonly string[]): string[] {
  const existed = new Set(before);
  const removed: string[] = [];
  for (const table of nftTables()) {
    const [family, name] = table.split(/\s+/);
    if (existed.has(table) || name === undefined || family === undefined || !NODE_TABLE_NAMES.has(name)) continue;
    if (spawnSync('nft', ['delete', 'table', family, name]).status === 0) removed.push(table);
  }
  return removed;
}

// ---- cgroups ----

/** The v1 hierarchies (and the unified one) mounted under /sys/fs/cgroup: real directories only. */
export function cgroupHierarchies(): string[] {
  try {
    return readdirSync(CGROUP_ROOT)
      .map((e) => join(CGROUP_ROOT, e))
      .filter((p) => {
        try {
          return lstatSync(p).isDirectory();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** kubelet requires its cgroupRoot to exist in every hierarchy; cpuset needs cpus/mems copied. */
export function createCgroupRoot(cgroupRoot: string): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = join(hierarchy, cgroupRoot);
    mkdirSync(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = join(dirname(dir), file);
      if (existsSync(parent) && readFileSync(join(dir, file), 'utf8').trim() === '') writeFileSync(join(dir, file), readFileSync(parent, 'utf8'));
    }
  }
}

/** Every pid in a cgroup tree, in all hierarchies. */
export function cgroupPids(cgroupRoot: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line.trim() !== '') pids.add(Number(line));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // gone meanwhile
    }
  };
  for (const hierarchy of cgroupHierarchies()) walk(join(hierarchy, cgroupRoot));
  return [...pids];
}

/** Removes a cgroup tree depth-first (empty cgroups only: kill the processes first). */
export function removeCgroupTree(cgroupRoot: string): string[] {
  const left: string[] = [];
  const remove = (dir: string) => {
    if (!existsSync(dir)) return;
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const hierarchy of cgroupHierarchies()) remove(join(hierarchy, cgroupRoot));
  return left;
}

// ---- processes and mounts ----

/** Pids whose command line contains every one of `needles` (e.g. shims of one containerd socket). */
export function pidsWithCmdline(needles: readonly string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (needles.every((n) => cmdline.includes(n))) out.push(Number(entry));
    } catch {
      // exited
    }
  }
  return out;
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Mount points at or below any of the prefixes, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(prefixes: readonly string[]): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => prefixes.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under the prefixes (repeated: a bind mount can stack). */
export function unmountUnder(prefixes: readonly string[]): string[] {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(prefixes);
    if (points.length === 0) return [];
    for (let i = 0; i < points.length; i += 50) spawnSync('umount', ['-l', ...points.slice(i, i + 50)], { stdio: 'ignore' });
  }
  return mountsUnder(prefixes);
}

/** kubelet links every container log into /var/log/containers; remove ours (and the dir if we made it). */
export function removeContainerLogLinks(podLogsDir: string, dirExistedBefore: boolean): void {
  if (!existsSync(CONTAINER_LOG_LINKS)) return;
  for (const name of readdirSync(CONTAINER_LOG_LINKS)) {
    const path = join(CONTAINER_LOG_LINKS, name);
    try {
      if (readlinkSync(path).startsWith(podLogsDir)) unlinkSync(path);
    } catch {
      // not a link
    }
  }
  if (!dirExistedBefore && readdirSync(CONTAINER_LOG_LINKS).length === 0) rmSync(CONTAINER_LOG_LINKS, { recursive: true, force: true });
}

export const containerLogLinksExist = (): boolean => existsSync(CONTAINER_LOG_LINKS);

// ---- the machine-wide real-node lock ----

export interface MachineLock {
  clusterDir: string;
  id: string;
  /** The host record to tear the node down with if its cluster died without cleaning up. */
  hostRecord: string;
  /** Processes of the node (containerd, kubelet …) as recorded: alive = the lock is held. */
  pids: { pid: number; binary: string }[];
}

export function readMachineLock(path: string = MACHINE_LOCK): MachineLock | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MachineLock;
  } catch {
    return undefined;
  }
}

function isNodeAlive(lock: MachineLock): boolean {
  return lock.pids.some(({ pid, binary }) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary;
    } catch {
      return false;
    }
  });
}

/** Takes the lock atomically; a stale lock (its node's processes are gone) is returned for cleanup. */
export function takeMachineLock(lock: MachineLock, path: string = MACHINE_LOCK): { stale?: MachineLock } {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(lock), { flag: 'wx' });
      return {};
    } catch {
      const held = readMachineLock(path);
      if (held !== undefined && held.clusterDir === lock.clusterDir) {
        writeFileSync(path, JSON.stringify(lock));
        return {};
      }
      if (held !== undefined && isNodeAlive(held)) {
        throw new ClusterError('CLUSTER_BUSY', `the cluster in ${held.clusterDir} already runs the real node on this machine (kube-proxy's nftables table "kube-proxy" is machine-wide); stop it first (edgemu cluster down) or use --nodes simulated`);
      }
      rmSync(path, { force: true });
      if (held !== undefined) {
        writeFileSync(path, JSON.stringify(lock), { flag: 'wx' });
        return { stale: held };
      }
    }
  }
  throw new ClusterError('CLUSTER_BUSY', `could not take the real-node lock ${path}`);
}

export function updateMachineLock(lock: MachineLock, path: string = MACHINE_LOCK): void {
  const held = readMachineLock(path);
  if (held === undefined || held.clusterDir === lock.clusterDir) writeFileSync(path, JSON.stringify(lock));
}

export function releaseMachineLock(clusterDir: string, path: string = MACHINE_LOCK): void {
  if (readMachineLock(path)?.clusterDir === clusterDir) rmSync(path, { force: true });
}

/** Resident memory of every process under the node's cgroup root and of its shims, in bytes. */
export function sumRss(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

export const runQuiet = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? '');
  }
};

/**
 * For `edgemu cluster binaries`: should the node's components be ensured too? Installs the
 * missing Debian packages first when it may (`install`); says once why not otherwise.
 */
export async function prepareNodeHost(request: NodesRequest, say: (line: string) => void, signal?: AbortSignal, install = true): Promise<boolean> {
  const facts = hostFacts();
  delete facts.otherRealNode; // another cluster's node does not stop us from building
  const decision = decideNodes(request, facts);
  if (decision.nodes === 'simulated') {
    if (decision.refuse) throw new ClusterError('NODE_UNAVAILABLE', `--nodes real: ${decision.reason}${decision.fix === undefined ? '' : `; ${decision.fix}`}`);
    if (request === 'auto') say(`skipping the real node's components: ${decision.reason}${decision.fix === undefined ? '' : `; for real pods: ${decision.fix}`}`);
    return false;
  }
  if (decision.install.length > 0) {
    if (!install) throw new ClusterError('TOOL_MISSING', `the Debian packages ${decision.install.join(', ')} are missing (run without --verify-only to install them)`);
    say(`installing the Debian packages ${decision.install.join(', ')}`);
    await installPackages(decision.install, (line) => say(`[apt] ${line}`), signal);
  }
  return true;
}
