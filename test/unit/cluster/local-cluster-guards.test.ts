import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../../runtime/cluster/local-cluster.js';

// Guards that run before any process starts or any binary is looked at.
describe('starting a local cluster', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to take over a directory holding files that are not a cluster’s, and deletes nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgemu-guard-unit-'));
    writeFileSync(join(dir, 'thesis.tex'), 'precious');
    await expect(startLocalCluster({ dir })).rejects.toMatchObject({ code: 'CLUSTER_BUSY', message: expect.stringContaining('thesis.tex') });
    expect(existsSync(join(dir, 'thesis.tex'))).toBe(true);
  });

  it('rejects an invalid name before touching the disk', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgemu-guard-unit-'));
    await expect(startLocalCluster({ name: '../../etc', stateDir: dir })).rejects.toThrow(/invalid cluster name/);
    expect(existsSync(join(dir, 'clusters'))).toBe(false);
  });
});
