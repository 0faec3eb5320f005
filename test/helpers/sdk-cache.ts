/**
 * Builds a test toolchain (a Python virtual environment, a Maven build) once per machine under
 * `~/.cache/edgemu/<kind>/<key>` (EDGEMU_CACHE_DIR overrides the root, as for the cluster
 * binaries: docs/cluster.md "Where things live"). The key carries the versions and a hash of the
 * sources, so a change rebuilds; a lock lets parallel test files wait for one build; the
 * directory only appears, by rename, once the build succeeded.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { cacheRoot } from '../../runtime/cluster/cache-dir.js';
import { acquireLock } from '../../runtime/cluster/dir-lock.js';

/** sha256 (first 12 hex digits) over the files under `dir`, by relative path. */
export async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(path.join(dir, rel))).sort();
    for (const name of entries) {
      const child = path.join(rel, name);
      if ((await stat(path.join(dir, child))).isDirectory()) await walk(child);
      else hash.update(`${child}\0`).update(await readFile(path.join(dir, child))).update('\0');
    }
  };
  await walk('.');
  return hash.digest('hex').slice(0, 12);
}

/** The cached directory `<root>/<kind>/<key>`, made by `build(tmpDir)` when missing. */
export async function cachedBuild(kind: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const parent = path.join(cacheRoot(), kind);
  const final = path.join(parent, key);
  if (existsSync(final)) return final;
  await mkdir(parent, { recursive: true });
  const lock = await acquireLock(`${final}.lock`);
  try {
    if (existsSync(final)) return final;
    const tmp = `${final}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await build(tmp);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
    await rename(tmp, final);
    return final;
  } finally {
    await lock.release();
  }
}
