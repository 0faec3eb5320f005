import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ClusterError } from './cluster-errors.js';
import { acquireLock } from './dir-lock.js';
import { signalGroup } from './process-tree.js';
import { cacheRoot, componentDir } from './cache-dir.js';
import type { NodeBinaries } from './real-node.js';
import { componentSpecs, nodeComponentSpecs, nodeImageRefs, versionsFromEnv, type ComponentName, type ComponentSpec, type ControlPlaneVersions } from './versions.js';

/** One line of build or verification progress, for the CLI to print (builds take minutes). */
export interface BinaryProgress {
  component: ComponentName;
  version: string;
  /** `step` lines are the milestones worth showing by default; `output` is raw Go output. */
  kind: 'step' | 'output';
  message: string;
}

export interface EnsureBinariesOptions {
  /** Cache root; default `cacheRoot()` (EDGEMU_CACHE_DIR or ~/.cache/edgemu). */
  cacheDir?: string;
  versions?: ControlPlaneVersions;
  /** Only these components (default: all of the control plane, plus the node's with `node`). */
  components?: readonly ComponentName[];
  /** Also the real node's components (kubelet, kube-proxy, CoreDNS, the provisioner, the images). */
  node?: boolean;
  /** false: never build; a missing or corrupt binary is an error instead. Default true. */
  build?: boolean;
  /**
   * `quick` (default): size and mtime against the stamp, plus `--version`: enough to catch a
   * truncated, replaced or rebuilt file in well under a second. `full`: also sha256 of every file
   * (~400 MB; seconds on a busy 2-core machine), used by `edgemu cluster binaries` and .ci/run.
   */
  verify?: 'quick' | 'full';
  onProgress?: (progress: BinaryProgress) => void;
  /** Override the build script (tests use a failing one). */
  buildScript?: string;
  signal?: AbortSignal;
}

/** Absolute paths of everything a local cluster runs. */
export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  /** Upstream KWOK stage YAML files (sigs.k8s.io/kwok kustomize/stage), copied at build time. */
  kwokStageFiles: string[];
  versions: ControlPlaneVersions;
  cacheDir: string;
  /** rancher's local-path-provisioner (the default StorageClass, both pools). */
  localPathProvisioner: string;
  /** The image its helper pods run (made by node-images; only the real node runs them). */
  volumeHelperImage: string;
  /** Present when the node's components were ensured (`node: true`). */
  node?: NodeBinaries;
}

/** Per-component outcome, for progress output and the benchmark. */
export interface EnsureResult {
  component: ComponentName;
  version: string;
  dir: string;
  action: 'verified' | 'adopted' | 'built';
}

const STAMP = '.edgemu-stamp.json';
const DEFAULT_SCRIPT = fileURLToPath(new URL('./build-binaries.sh', import.meta.url));
/** How much of a failed build's output the error carries (Go's error is at the end). */
const ERROR_TAIL_LINES = 40;

interface Stamp {
  component: ComponentName;
  version: string;
  files: Record<string, { sha256: string; size: number; mtimeMs?: number }>;
  createdAt: string;
}

/**
 * Makes sure the control-plane binaries exist in the version-keyed cache and are intact:
 * a warm run only verifies (sha256 against the stamp written after the build, plus
 * `--version`); a missing or corrupt component is rebuilt from the Go module proxy through
 * build-binaries.sh, with progress. A build failure carries Go's own error text.
 */
export async function ensureBinaries(options: EnsureBinariesOptions = {}): Promise<{ binaries: ControlPlaneBinaries; results: EnsureResult[] }> {
  const root = options.cacheDir ?? cacheRoot();
  const versions = options.versions ?? versionsFromEnv();
  const wanted = options.components;
  const results: EnsureResult[] = [];
  const specs = [...componentSpecs(versions), ...(options.node === true ? nodeComponentSpecs(versions) : [])];
  const chosen = specs.filter((spec) => !wanted || wanted.includes(spec.component));
  // The checks (stat, stamp, `--version` of each binary) run all at once: on a warm cache they are
  // all there is, and `--version` of a dozen Go binaries one after another took seconds on 2 busy
  // cores. Builds (what failed a check) still run one at a time.
  const mode = options.verify ?? 'quick';
  const checks = await Promise.all(chosen.map((spec) => verifyComponent(componentDir(root, spec.component, spec.version), spec, mode)));
  for (const [i, spec] of chosen.entries()) results.push(await ensureComponent(root, spec, options, checks[i]));
  const nodeDir = (c: ComponentName, v: string, file: string) => join(componentDir(root, c, v), file);
  const refs = nodeImageRefs(versions);
  const k8s = componentDir(root, 'k8s', versions.kubernetes);
  const stagesDir = componentDir(root, 'kwok-stages', versions.kwok);
  const stageSpec = componentSpecs(versions).find((s) => s.component === 'kwok-stages')!;
  return {
    binaries: {
      etcd: join(componentDir(root, 'etcd', versions.etcd), 'etcd'),
      kubeApiserver: join(k8s, 'kube-apiserver'),
      kubeControllerManager: join(k8s, 'kube-controller-manager'),
      kubeScheduler: join(k8s, 'kube-scheduler'),
      kwok: join(componentDir(root, 'kwok', versions.kwok), 'kwok'),
      kwokStageFiles: stageSpec.files.map((f) => join(stagesDir, f)),
      versions,
      cacheDir: root,
      localPathProvisioner: nodeDir('local-path-provisioner', versions.localPathProvisioner, 'local-path-provisioner'),
      volumeHelperImage: refs.busybox,
      ...(options.node === true
        ? {
            node: {
              kubelet: nodeDir('k8s-node', versions.kubernetes, 'kubelet'),
              kubeProxy: nodeDir('k8s-node', versions.kubernetes, 'kube-proxy'),
              coredns: nodeDir('coredns', versions.coredns, 'coredns'),
              sandboxImage: refs.pause,
              images: [
                { ref: refs.pause, archive: nodeDir('node-images', versions.nodeImages, 'pause.tar') },
                { ref: refs.busybox, archive: nodeDir('node-images', versions.nodeImages, 'busybox.tar') },
              ],
            },
          }
        : {}),
    },
    results,
  };
}

async function ensureComponent(root: string, spec: ComponentSpec, options: EnsureBinariesOptions, problem: Problem | undefined): Promise<EnsureResult> {
  const dir = componentDir(root, spec.component, spec.version);
  const report = (kind: BinaryProgress['kind'], message: string) =>
    options.onProgress?.({ component: spec.component, version: spec.version, kind, message });
  if (problem === undefined) {
    report('step', `verified ${dir}`);
    return { component: spec.component, version: spec.version, dir, action: 'verified' };
  }
  if (problem.kind === 'unstamped') {
    // Built by the same script before stamps existed (or by hand): adopt it only if every file
    // runs and reports the right version, then stamp it so the next run can check hashes.
    await writeStamp(dir, spec);
    report('step', `adopted ${dir} (version checked, stamp written)`);
    return { component: spec.component, version: spec.version, dir, action: 'adopted' };
  }
  if (options.build === false) {
    throw new ClusterError(problem.kind === 'missing' ? 'BINARY_MISSING' : 'BINARY_CORRUPT', `${spec.component} ${spec.version} in ${dir}: ${problem.message}; run \`edgemu cluster up\` (or .ci/run) to build it`, {
      details: { dir, component: spec.component, version: spec.version },
    });
  }
  report('step', `${problem.message}; building ${spec.component} ${spec.version} into ${dir}`);
  await build(dir, spec, options, report);
  const after = await verifyComponent(dir, spec, 'full');
  if (after !== undefined && after.kind !== 'unstamped') {
    throw new ClusterError('BINARY_CORRUPT', `${spec.component} ${spec.version} was built but does not verify: ${after.message}`, { details: { dir } });
  }
  await writeStamp(dir, spec);
  report('step', `built ${dir}`);
  return { component: spec.component, version: spec.version, dir, action: 'built' };
}

type Problem = { kind: 'missing' | 'corrupt' | 'unstamped'; message: string };

/** undefined = intact and stamped. */
async function verifyComponent(dir: string, spec: ComponentSpec, mode: 'quick' | 'full'): Promise<Problem | undefined> {
  for (const file of spec.files) {
    const s = await stat(join(dir, file)).catch(() => undefined);
    if (!s?.isFile()) return { kind: 'missing', message: `${file} is missing` };
  }
  const stamp = await readStamp(dir);
  if (stamp !== undefined) {
    if (stamp.version !== spec.version || stamp.component !== spec.component) return { kind: 'corrupt', message: `stamp says ${stamp.component} ${stamp.version}` };
    for (const file of spec.files) {
      const expected = stamp.files[file];
      if (expected === undefined) return { kind: 'corrupt', message: `${file} is not in the stamp` };
      const s = await stat(join(dir, file));
      if (s.size !== expected.size) return { kind: 'corrupt', message: `${file} is corrupt (size ${s.size} ≠ stamp ${expected.size})` };
      const changed = expected.mtimeMs === undefined || Math.abs(s.mtimeMs - expected.mtimeMs) > 1;
      if (mode === 'full' || changed) {
        const actual = await sha256(join(dir, file));
        if (actual !== expected.sha256) return { kind: 'corrupt', message: `${file} is corrupt (sha256 ${actual.slice(0, 12)}… ≠ stamp ${expected.sha256.slice(0, 12)}…)` };
      }
    }
  }
  const versionProblem = await checkVersions(dir, spec);
  if (versionProblem !== undefined) return { kind: 'corrupt', message: versionProblem };
  if (stamp === undefined) return { kind: 'unstamped', message: 'no stamp' };
  // an older stamp without mtimes: hashes matched, rewrite it so the next quick check is quick
  if (spec.files.some((f) => stamp.files[f]?.mtimeMs === undefined)) return { kind: 'unstamped', message: 'stamp without mtimes' };
  return undefined;
}

async function checkVersions(dir: string, spec: ComponentSpec): Promise<string | undefined> {
  if (spec.versionText === undefined) return undefined;
  for (const file of spec.files) {
    const expected = spec.versionText(file);
    const run = await execa(join(dir, file), ['--version'], { reject: false, timeout: 30_000, all: true });
    const output = run.all ?? '';
    if (run.exitCode !== 0 || !output.includes(expected)) {
      return `${file} --version did not print "${expected}" (exit ${String(run.exitCode ?? run.signal)}: ${firstLine(output || (run.message ?? ""))})`;
    }
  }
  return undefined;
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

async function writeStamp(dir: string, spec: ComponentSpec): Promise<void> {
  const files: Stamp['files'] = {};
  for (const file of spec.files) {
    const path = join(dir, file);
    const s = await stat(path);
    files[file] = { sha256: await sha256(path), size: s.size, mtimeMs: s.mtimeMs };
  }
  const stamp: Stamp = { component: spec.component, version: spec.version, files, createdAt: new Date().toISOString() };
  // write-then-rename: a concurrent reader sees the old stamp or the new one, never half of one
  const tmp = join(dir, `${STAMP}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(stamp, null, 2)}\n`);
  await rename(tmp, join(dir, STAMP));
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function build(dir: string, spec: ComponentSpec, options: EnsureBinariesOptions, report: (kind: BinaryProgress['kind'], message: string) => void): Promise<void> {
  await requireGo();
  await mkdir(join(dir, '..'), { recursive: true });
  const lock = await acquireLock(`${dir}.lock`, options.signal);
  try {
    // another process may have finished the same build while we waited for the lock
    const problem = await verifyComponent(dir, spec, 'full');
    if (problem === undefined || problem.kind === 'unstamped') return;
    const script = options.buildScript ?? DEFAULT_SCRIPT;
    const args = [script, spec.component, dir, spec.version, ...(spec.extra === undefined ? [] : [spec.extra])];
    const tail: string[] = [];
    const started = Date.now();
    const heartbeat = setInterval(() => report('step', `still building ${spec.component} ${spec.version} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    heartbeat.unref();
    try {
      const child = execa('bash', args, {
        reject: false,
        all: true,
        buffer: false,
        // own process group, so Ctrl-C/abort stops `go build` and its compilers too, not just bash
        detached: true,
      });
      const stopBuild = () => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGTERM');
      };
      options.signal?.addEventListener('abort', stopBuild, { once: true });
      process.once('exit', stopBuild);
      void child.finally(() => {
        options.signal?.removeEventListener('abort', stopBuild);
        process.removeListener('exit', stopBuild);
      });
      let pending = '';
      child.all?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      const onLine = (line: string) => {
        if (line.trim() === '') return;
        tail.push(line);
        if (tail.length > ERROR_TAIL_LINES) tail.shift();
        report(line.startsWith('[build ') ? 'step' : 'output', line);
      };
      const result = await child;
      if (pending !== '') onLine(pending);
      if (options.signal?.aborted) throw new ClusterError('BINARY_BUILD_FAILED', `building ${spec.component} ${spec.version} was interrupted`, { cause: options.signal.reason });
      if (result.exitCode !== 0) {
        // Go's error is the last thing the script printed: show it verbatim, never swallow it
        const goError = tail.filter((l) => !l.startsWith('[build ') && !l.startsWith('go: downloading')).join('\n') || tail.join('\n');
        throw new ClusterError('BINARY_BUILD_FAILED', `building ${spec.component} ${spec.version} failed (exit ${String(result.exitCode ?? result.signal)}):\n${goError}`, {
          details: { component: spec.component, version: spec.version, output: tail.join('\n') },
        });
      }
    } finally {
      clearInterval(heartbeat);
    }
  } finally {
    await lock.release();
  }
}

async function requireGo(): Promise<void> {
  const go = await execa('go', ['version'], { reject: false });
  if (go.exitCode !== 0) {
    throw new ClusterError('GO_MISSING', `building the local control plane needs Go ≥ 1.26 on PATH (${firstLine(go.message ?? "go not found")}); or use --provider kind, or --kubeconfig for an existing cluster`);
  }
}

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
