import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from '../cache-root.js';

/**
 * The image cache, `~/.cache/edgemu/images` (or `$EDGEMU_CACHE_DIR/images`): content-addressed
 * blobs as in an OCI layout (`blobs/sha256/<hex>`), plus small JSON records naming the blobs of
 * a built base layer or image by their cache key. Everything is written to a temporary name and
 * renamed, so an interrupted build leaves nothing half-written under a final name.
 */
export class ImageStore {
  readonly dir: string;

  constructor(dir: string = path.join(cacheRoot(), 'images')) {
    this.dir = dir;
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  }

  blobPath(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  putBlob(bytes: Buffer): string {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const file = this.blobPath(digest);
    if (!existsSync(file)) atomicWrite(file, bytes);
    return digest;
  }

  /** A temporary path next to the blobs, for streaming a blob whose digest is known only at the end. */
  tempPath(name: string): string {
    // Unique per call: several builds may run at once in one process (one agent per device).
    return path.join(this.dir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  }

  readRecord<T>(kind: 'base' | 'image', key: string): T | undefined {
    const file = path.join(this.dir, `${kind}-${key}.json`);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  writeRecord(kind: 'base' | 'image', key: string, value: unknown): void {
    atomicWrite(path.join(this.dir, `${kind}-${key}.json`), Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
  }

  archivePath(key: string): string {
    return path.join(this.dir, 'archives', `${key}.tar`);
  }
}

function atomicWrite(file: string, bytes: Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
