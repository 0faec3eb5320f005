import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ensureBinaries } from '../../../runtime/cluster/ensure-binaries.js';
import { startLocalCluster, stopLocalCluster } from '../../../runtime/cluster/local-cluster.js';
import { NOTHING_LEFT, hostSnapshot, leftovers } from './real-node-host.js';

// A real node that never becomes Ready (docs/cluster.md "Troubleshooting"): `up` fails with an
// error naming the kubelet log, and takes down everything it had started, the host's changes
// included. Needs its own real node, so not when the run's cluster already is one.
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'edgemu-real-fail-'));

describe.runIf(inject('edgemuNodes') !== 'real')('a real node that never becomes Ready', () => {
  afterAll(async () => {
    await stopLocalCluster(join(root, 'nr')).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('fails the start naming the kubelet log, and leaves nothing on the host', async () => {
    const { binaries } = await ensureBinaries({ node: true });
    // A "kubelet" that runs and never registers its node (as one whose API server connection
    // fails would). A program of its own, not a script: the cluster checks each process's argv[0].
    const kubelet = join(root, 'kubelet');
    writeFileSync(join(root, 'main.go'), 'package main\n\nimport "time"\n\nfunc main() { time.Sleep(time.Hour) }\n');
    await run('go', ['build', '-o', kubelet, join(root, 'main.go')], { cwd: root, timeout: 240_000 });
    const before = hostSnapshot();
    const dir = join(root, 'nr');
    const started = startLocalCluster({ name: 'nr', dir, binaries: { ...binaries, node: { ...binaries.node!, kubelet } }, nodePool: 'real', timeoutMs: 30_000 });
    await expect(started).rejects.toMatchObject({
      code: 'CLUSTER_START_FAILED',
      message: expect.stringMatching(new RegExp(`timed out after 30 s waiting for node nr-node Ready \\(kubelet log: ${dir}/logs/kubelet\\.log\\)`)),
    });
    expect(leftovers(dir, 'nr')).toEqual(NOTHING_LEFT);
    expect(hostSnapshot()).toEqual(before);
  }, 420_000);
});
