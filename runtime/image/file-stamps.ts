import { statSync } from 'node:fs';

/**
 * A cheap fingerprint of files (path, size, mtime, inode of each), for reusing a result computed
 * from their contents while none of them changed — the way make decides; undefined when a file
 * is gone. Reads no content.
 */
export function fileStamps(paths: readonly string[]): { stamps: string; newestMtimeMs: number } | undefined {
  const parts: string[] = [];
  let newestMtimeMs = 0;
  for (const p of paths) {
    try {
      const s = statSync(p);
      parts.push(`${p}\0${s.size}\0${s.mtimeMs}\0${s.ino}`);
      newestMtimeMs = Math.max(newestMtimeMs, s.mtimeMs);
    } catch {
      return undefined;
    }
  }
  return { stamps: parts.join('\n'), newestMtimeMs };
}

/** Results kept per key while the files they were made from are unchanged ({@link fileStamps}). */
export class StampedMemo<T> {
  private readonly entries = new Map<string, { files: readonly string[]; stamps: string; value: T }>();

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (fileStamps(entry.files)?.stamps === entry.stamps) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * Keeps `value` for `key` as made from `files`, read from `startedAtMs` on. Not kept when a
   * file was modified after that (it may have changed while being read): the next call redoes it.
   */
  set(key: string, files: readonly string[], value: T, startedAtMs: number): void {
    const now = fileStamps(files);
    if (now !== undefined && now.newestMtimeMs < startedAtMs) this.entries.set(key, { files, stamps: now.stamps, value });
  }
}
