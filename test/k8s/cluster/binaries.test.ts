import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../../../runtime/cluster/ensure-binaries.js';
import { cacheRoot, componentDir } from '../../../runtime/cluster/cache-dir.js';
import { DEFAULT_VERSIONS } from '../../../runtime/cluster/versions.js';
import { ClusterError } from '../../../runtime/cluster/cluster-errors.js';

// The binary cache against the real build script and the real (already built) etcd. Nothing
// here rebuilds Kubernetes: corrupt-binary cases use a private cache dir with a copy of etcd.
describe('the control-plane binary cache', () => {
  let cache: string;
  const v = DEFAULT_VERSIONS;
  const etcdDir = () => componentDir(cache, 'etcd', v.etcd);

  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'edgemu-cache-test-'));
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  const seedEtcd = async () => {
    rmSync(etcdDir(), { recursive: true, force: true });
    mkdirSync(etcdDir(), { recursive: true });
    copyFileSync(join(componentDir(cacheRoot(), 'etcd', v.etcd), 'etcd'), join(etcdDir(), 'etcd'));
    chmodSync(join(etcdDir(), 'etcd'), 0o755);
    return ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false });
  };

  it('adopts an unstamped binary whose --version matches, and only verifies it on the next run', async () => {
    const first = await seedEtcd();
    expect(first.results.map((r) => r.action)).toEqual(['adopted']);
    expect(existsSync(join(etcdDir(), '.edgemu-stamp.json'))).toBe(true);
    const second = await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false });
    expect(second.results.map((r) => r.action)).toEqual(['verified']);
    expect(second.binaries.etcd).toBe(join(etcdDir(), 'etcd'));
  });

  it('refuses a corrupted binary with a clear error when building is off', async () => {
    await seedEtcd();
    appendFileSync(join(etcdDir(), 'etcd'), Buffer.from('garbage'));
    const error = await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).code).toBe('BINARY_CORRUPT');
    expect((error as Error).message).toMatch(/etcd is corrupt \(size \d+ ≠ stamp \d+\)/);
  });

  it('finds a same-size corruption with the preserved mtime only in full verification (sha256)', async () => {
    await seedEtcd();
    const file = join(etcdDir(), 'etcd');
    const before = statSync(file);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('XXXX'), 0, 4, Math.floor(before.size / 2));
    closeSync(fd);
    utimesSync(file, before.atime, before.mtime);
    // quick: size and mtime unchanged, and the binary still prints its version
    expect((await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false })).results[0]?.action).toBe('verified');
    const error = await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false, verify: 'full' }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('BINARY_CORRUPT');
    expect((error as Error).message).toMatch(/sha256/);
  });

  it('refuses an unstamped binary that does not report the expected version', async () => {
    rmSync(etcdDir(), { recursive: true, force: true });
    mkdirSync(etcdDir(), { recursive: true });
    writeFileSync(join(etcdDir(), 'etcd'), '#!/bin/sh\necho "etcd Version: 0.0.1"\n', { mode: 0o755 });
    const error = await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('BINARY_CORRUPT');
    expect((error as Error).message).toContain(`did not print "etcd Version: ${v.etcd.slice(1)}"`);
  });

  it('reports a missing binary with a clear error when building is off', async () => {
    rmSync(etcdDir(), { recursive: true, force: true });
    const error = await ensureBinaries({ cacheDir: cache, components: ['etcd'], build: false }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('BINARY_MISSING');
    expect((error as Error).message).toContain('etcd is missing');
  });

  it('rebuilds a corrupted component through the build script (KWOK stage files: no compiling)', async () => {
    const first = await ensureBinaries({ cacheDir: cache, components: ['kwok-stages'] });
    expect(first.results[0]?.action).toBe('built');
    const stage = first.binaries.kwokStageFiles[0]!;
    const original = readFileSync(stage, 'utf8');
    writeFileSync(stage, 'corrupted');
    const progress: string[] = [];
    const again = await ensureBinaries({ cacheDir: cache, components: ['kwok-stages'], onProgress: (p) => progress.push(p.message) });
    expect(again.results[0]?.action).toBe('built');
    expect(progress.join('\n')).toMatch(/is corrupt .* building kwok-stages/);
    expect(readFileSync(stage, 'utf8')).toBe(original);
  });

  it('says Go is needed when a build is due and go is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent-edgemu-path';
    try {
      const error = await ensureBinaries({ cacheDir: cache, versions: { ...v, kwok: 'v0.0.0-edgemu-no-go' }, components: ['kwok'] }).catch((e: unknown) => e);
      expect((error as ClusterError).code).toBe('GO_MISSING');
      expect((error as Error).message).toMatch(/needs Go ≥ 1\.26 on PATH.*--provider kind.*--kubeconfig/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('shows Go’s own error when a build fails, and leaves no half-built directory', async () => {
    const versions = { ...v, kwok: 'v0.0.0-edgemu-does-not-exist' };
    const error = await ensureBinaries({ cacheDir: cache, versions, components: ['kwok'] }).catch((e: unknown) => e);
    expect((error as ClusterError).code).toBe('BINARY_BUILD_FAILED');
    // the go command's message, verbatim (module proxy answer for an unknown version)
    expect((error as Error).message).toMatch(/go: sigs\.k8s\.io\/kwok\/cmd\/kwok@v0\.0\.0-edgemu-does-not-exist: .*(not available|unknown revision|invalid version|404|410|403)/s);
    expect(existsSync(componentDir(cache, 'kwok', versions.kwok))).toBe(false);
    expect(existsSync(`${componentDir(cache, 'kwok', versions.kwok)}.partial`)).toBe(false);
  });
});
