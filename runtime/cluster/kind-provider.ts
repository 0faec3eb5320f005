import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClusterError } from './cluster-errors.js';

/**
 * `--provider kind`: a kind cluster (Kubernetes in Docker) driven through the `kind` CLI. The
 * argument builders are pure and unit-tested; the adapter takes a `run` function (execa in
 * production) so its decisions are tested without kind, which cannot run on machines without a
 * container engine (like this project's CI).
 */

/** Result of running a CLI: `notFound` when the executable is not on PATH. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  notFound?: boolean;
}
export type Run = (file: string, args: readonly string[]) => Promise<RunResult>;

/** kind names its kubeconfig context `kind-<cluster name>`. */
export const kindContext = (name: string): string => `kind-${name}`;

export const kindVersionArgs = (): string[] => ['version'];
export const kindGetClustersArgs = (): string[] => ['get', 'clusters'];

/** `kind create cluster` writing the kubeconfig to our file (not ~/.kube/config) and waiting for Ready. */
export function kindCreateClusterArgs(options: { name: string; kubeconfig: string; waitSeconds?: number; image?: string }): string[] {
  return [
    'create',
    'cluster',
    '--name',
    options.name,
    '--kubeconfig',
    options.kubeconfig,
    '--wait',
    `${options.waitSeconds ?? 120}s`,
    ...(options.image === undefined ? [] : ['--image', options.image]),
  ];
}

export const kindExportKubeconfigArgs = (options: { name: string; kubeconfig: string }): string[] => ['export', 'kubeconfig', '--name', options.name, '--kubeconfig', options.kubeconfig];
export const kindDeleteClusterArgs = (options: { name: string; kubeconfig: string }): string[] => ['delete', 'cluster', '--name', options.name, '--kubeconfig', options.kubeconfig];

/** `kind get clusters` prints one name per line ("No kind clusters found." goes to stderr). */
export function parseKindClusters(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('No kind clusters'));
}

const OTHER_PROVIDERS = 'use `--provider local` (the default: a local control plane, no container engine needed) or `--kubeconfig`/`--context` for an existing cluster';

/** kind needs its CLI and a container engine (docker by default, or KIND_EXPERIMENTAL_PROVIDER). */
export async function assertKindAvailable(run: Run, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const kind = await run('kind', kindVersionArgs());
  if (kind.notFound === true || kind.exitCode !== 0) {
    throw new ClusterError('KIND_UNAVAILABLE', `the kind CLI is not available (${kind.notFound === true ? 'not found on PATH' : firstLine(kind.stderr || kind.stdout)}); install kind (https://kind.sigs.k8s.io) or ${OTHER_PROVIDERS}`);
  }
  const engine = env.KIND_EXPERIMENTAL_PROVIDER === 'podman' ? 'podman' : env.KIND_EXPERIMENTAL_PROVIDER === 'nerdctl' ? 'nerdctl' : 'docker';
  const info = await run(engine, ['info']);
  if (info.notFound === true || info.exitCode !== 0) {
    throw new ClusterError('KIND_UNAVAILABLE', `kind needs a running ${engine} engine, but \`${engine} info\` failed (${info.notFound === true ? `${engine} not found on PATH` : firstLine(info.stderr || info.stdout)}); ${OTHER_PROVIDERS}`);
  }
}

/** cluster.json of a kind cluster (the local provider writes LocalClusterState instead). */
export interface KindClusterState {
  name: string;
  provider: 'kind';
  dir: string;
  kubeconfig: string;
  context: string;
}

/**
 * Creates the kind cluster, or reuses it when `kind get clusters` lists it (then only its
 * kubeconfig is exported to our file). Idempotent like the local provider.
 */
export async function kindUp(options: { name: string; dir: string; run: Run; waitSeconds?: number; image?: string }): Promise<{ state: KindClusterState; created: boolean }> {
  await assertKindAvailable(options.run);
  const dir = resolve(options.dir);
  const kubeconfig = join(dir, 'kubeconfig');
  await mkdir(dir, { recursive: true });
  const list = await options.run('kind', kindGetClustersArgs());
  if (list.exitCode !== 0) throw new ClusterError('KIND_FAILED', `kind get clusters failed: ${list.stderr.trim()}`);
  const exists = parseKindClusters(list.stdout).includes(options.name);
  const args = exists
    ? kindExportKubeconfigArgs({ name: options.name, kubeconfig })
    : kindCreateClusterArgs({ name: options.name, kubeconfig, ...(options.waitSeconds === undefined ? {} : { waitSeconds: options.waitSeconds }), ...(options.image === undefined ? {} : { image: options.image }) });
  const result = await options.run('kind', args);
  if (result.exitCode !== 0) throw new ClusterError('KIND_FAILED', `kind ${args.slice(0, 2).join(' ')} failed (exit ${result.exitCode}):\n${(result.stderr || result.stdout).trim()}`);
  const state: KindClusterState = { name: options.name, provider: 'kind', dir, kubeconfig, context: kindContext(options.name) };
  await writeFile(join(dir, 'cluster.json'), `${JSON.stringify(state, null, 2)}\n`);
  return { state, created: !exists };
}

/** Deletes the kind cluster and our directory for it. */
export async function kindDown(options: { state: KindClusterState; run: Run }): Promise<void> {
  const result = await options.run('kind', kindDeleteClusterArgs({ name: options.state.name, kubeconfig: options.state.kubeconfig }));
  if (result.notFound === true) throw new ClusterError('KIND_UNAVAILABLE', `cannot delete kind cluster "${options.state.name}": the kind CLI is not on PATH`);
  if (result.exitCode !== 0) throw new ClusterError('KIND_FAILED', `kind delete cluster failed: ${(result.stderr || result.stdout).trim()}`);
  await rm(options.state.dir, { recursive: true, force: true });
}

/** Whether kind still lists the cluster. */
export async function kindIsRunning(options: { name: string; run: Run }): Promise<boolean> {
  const list = await options.run('kind', kindGetClustersArgs());
  return list.exitCode === 0 && parseKindClusters(list.stdout).includes(options.name);
}

/** The production `run`: execa without throwing, ENOENT reported as notFound. */
export async function execaRun(file: string, args: readonly string[]): Promise<RunResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { reject: false, timeout: 15 * 60_000 });
  const notFound = (result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(result.message ?? '');
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? result.message ?? ''), notFound };
}

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'no output';
