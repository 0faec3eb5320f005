import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  kindCreateClusterArgs,
  kindDeleteClusterArgs,
  kindDown,
  kindExportKubeconfigArgs,
  kindGetClustersArgs,
  kindUp,
  parseKindClusters,
  type Run,
  type RunResult,
} from '../../../runtime/cluster/kind-provider.js';
import { ClusterError } from '../../../runtime/cluster/cluster-errors.js';

// kind cannot run here (no container engine): command construction and the adapter's decisions
// are tested with a recording runner.
const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
function recorder(answers: Record<string, RunResult>): { run: Run; calls: string[] } {
  const calls: string[] = [];
  const run: Run = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const key = Object.keys(answers).find((k) => line.startsWith(k));
    return key === undefined ? ok() : answers[key]!;
  };
  return { run, calls };
}

describe('kind command construction', () => {
  it.each([
    ['create', kindCreateClusterArgs({ name: 'edgemu', kubeconfig: '/s/kubeconfig' }), 'create cluster --name edgemu --kubeconfig /s/kubeconfig --wait 120s'],
    ['create with image', kindCreateClusterArgs({ name: 'a', kubeconfig: '/k', waitSeconds: 30, image: 'kindest/node:v1.35.0' }), 'create cluster --name a --kubeconfig /k --wait 30s --image kindest/node:v1.35.0'],
    ['export', kindExportKubeconfigArgs({ name: 'edgemu', kubeconfig: '/k' }), 'export kubeconfig --name edgemu --kubeconfig /k'],
    ['delete', kindDeleteClusterArgs({ name: 'edgemu', kubeconfig: '/k' }), 'delete cluster --name edgemu --kubeconfig /k'],
    ['list', kindGetClustersArgs(), 'get clusters'],
  ])('%s', (_label, args, expected) => {
    expect(args.join(' ')).toBe(expected);
  });

  it('parses `kind get clusters` output', () => {
    expect(parseKindClusters('edgemu\nother\n\n')).toEqual(['edgemu', 'other']);
    expect(parseKindClusters('No kind clusters found.\n')).toEqual([]);
  });
});

describe('the kind provider', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const newDir = () => (dir = mkdtempSync(join(tmpdir(), 'edgemu-kind-unit-')));

  it('says kind is missing and names the other providers', async () => {
    const { run } = recorder({ 'kind version': { exitCode: 127, stdout: '', stderr: '', notFound: true } });
    const error = await kindUp({ name: 'edgemu', dir: join(newDir(), 'c'), run }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).code).toBe('KIND_UNAVAILABLE');
    expect((error as Error).message).toMatch(/kind CLI is not available \(not found on PATH\).*--provider local.*--kubeconfig/);
  });

  it('says the Docker engine is missing when `docker info` fails', async () => {
    const { run, calls } = recorder({ 'kind version': ok('kind v0.31.0'), 'docker info': { exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' } });
    const error = await kindUp({ name: 'edgemu', dir: join(newDir(), 'c'), run }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('KIND_UNAVAILABLE');
    expect((error as Error).message).toMatch(/running docker engine.*Cannot connect to the Docker daemon.*--provider local/);
    expect(calls).toEqual(['kind version', 'docker info']);
  });

  it('creates a missing cluster with its kubeconfig in the cluster directory', async () => {
    const base = newDir();
    const { run, calls } = recorder({ 'kind get clusters': ok('other\n') });
    const { state, created } = await kindUp({ name: 'edgemu', dir: join(base, 'c'), run });
    expect(created).toBe(true);
    expect(calls.at(-1)).toBe(`kind create cluster --name edgemu --kubeconfig ${join(base, 'c', 'kubeconfig')} --wait 120s`);
    expect(state).toMatchObject({ provider: 'kind', context: 'kind-edgemu', kubeconfig: join(base, 'c', 'kubeconfig') });
    expect(JSON.parse(readFileSync(join(base, 'c', 'cluster.json'), 'utf8'))).toEqual(state);
  });

  it('reuses an existing cluster by exporting its kubeconfig (idempotent up)', async () => {
    const base = newDir();
    const { run, calls } = recorder({ 'kind get clusters': ok('edgemu\n') });
    const { created } = await kindUp({ name: 'edgemu', dir: join(base, 'c'), run });
    expect(created).toBe(false);
    expect(calls.at(-1)).toBe(`kind export kubeconfig --name edgemu --kubeconfig ${join(base, 'c', 'kubeconfig')}`);
    expect(calls.some((c) => c.startsWith('kind create'))).toBe(false);
  });

  it('passes kind’s own error through when create fails', async () => {
    const { run } = recorder({ 'kind get clusters': ok(''), 'kind create': { exitCode: 1, stdout: '', stderr: 'ERROR: failed to create cluster: node(s) already exist' } });
    const error = await kindUp({ name: 'edgemu', dir: join(newDir(), 'c'), run }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('KIND_FAILED');
    expect((error as Error).message).toContain('node(s) already exist');
  });

  it('deletes the cluster and its directory on down', async () => {
    const base = newDir();
    const { run, calls } = recorder({ 'kind get clusters': ok('') });
    const { state } = await kindUp({ name: 'edgemu', dir: join(base, 'c'), run });
    await kindDown({ state, run });
    expect(calls.at(-1)).toBe(`kind delete cluster --name edgemu --kubeconfig ${state.kubeconfig}`);
    expect(existsSync(state.dir)).toBe(false);
  });
});
