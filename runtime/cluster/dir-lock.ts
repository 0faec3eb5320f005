import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './process-tree.js';

/**
 * A cross-process lock: a directory (mkdir is atomic) holding the owner's pid. A lock whose
 * owner died is taken over, so a crashed build or start never blocks the next one.
 */
export async function acquireLock(path: string, signal?: AbortSignal): Promise<{ release(): Promise<void> }> {
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'pid'), String(process.pid));
      return { release: () => rm(path, { recursive: true, force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => ''));
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        const entries = await readdir(path).catch(() => []);
        // a lock without a pid file may be mid-creation; give it a moment before taking it
        if (entries.length === 0) await new Promise((r) => setTimeout(r, 500));
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (signal?.aborted) throw signal.reason;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
