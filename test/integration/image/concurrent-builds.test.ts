import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../../runtime/image/build-image.js';
import { ImageStore } from '../../../runtime/image/image-store.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('builds at the same time in one process', () => {
  // One agent per device may build the same sample image at once: temporary files must not collide.
  it('give the same image, and the store stays consistent', async () => {
    const store = new ImageStore(dir);
    const nodeBinary = process.execPath;
    const builds = await Promise.all([1, 2, 3].map(() => buildImage({ dir: path.join(repo, 'modules/echo'), tag: 'edgemu/echo:t', store, nodeBinary })));
    expect(new Set(builds.map((b) => b.manifestDigest)).size).toBe(1);
    const again = await buildImage({ dir: path.join(repo, 'modules/echo'), tag: 'edgemu/echo:t', store, nodeBinary });
    expect(again).toMatchObject({ cached: true, manifestDigest: builds[0]!.manifestDigest });
  }, 120_000);
});
