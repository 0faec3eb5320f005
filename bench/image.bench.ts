/**
 * Module image costs (docs/images.md): `buildImage` for a sample module (modules/filter)
 * - cold: an empty cache (the Node.js base layer is made, then the module layer);
 * - warm: nothing changed (median of 5) — the aim is well under 10 s;
 * - module changed: the base comes from the cache, the module layer is rebuilt (median of 3);
 * - image size: compressed (what is stored and imported) and uncompressed (what the node
 *   unpacks) — the aim is under 150 MB;
 * - import into a private containerd (`ctr images import`), and the check that finds it there.
 * Usage: npm run bench -- image
 */
import { cpSync, createReadStream, mkdtempSync, rmSync, appendFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { buildImage, ImageStore, importBuiltImage } from '../runtime/image/index.js';
import { startTestContainerd } from '../test/helpers/containerd.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
};
const uncompressed = (file: string) =>
  new Promise<number>((resolve, reject) => {
    let n = 0;
    createReadStream(file)
      .pipe(createGunzip())
      .on('data', (c: Buffer) => (n += c.length))
      .on('end', () => resolve(n))
      .on('error', reject);
  });

const cache = mkdtempSync(path.join(tmpdir(), 'edgemu-image-bench-'));
const work = mkdtempSync(path.join(tmpdir(), 'edgemu-image-bench-src-'));
try {
  const store = new ImageStore(cache);
  // A copy of the module next to the real shared code, so "module changed" edits only the copy.
  cpSync(path.join(repo, 'modules'), path.join(work, 'modules'), { recursive: true });
  symlinkSync(path.join(repo, 'node_modules'), path.join(work, 'node_modules'));
  const dir = path.join(work, 'modules', 'filter');
  const build = () => buildImage({ dir, tag: 'edgemu/filter:bench', store });
  const [cold, image] = await time(build);
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push((await time(build))[0]);
  const changed: number[] = [];
  for (let i = 0; i < 3; i++) {
    appendFileSync(path.join(dir, 'filter-rule.ts'), `\n// bench edit ${i}\n`);
    changed.push((await time(build))[0]);
  }
  const record = store.readRecord<{ blobs: string[] }>('image', image.key)!;
  const layers = record.blobs.slice(2);
  let raw = 0;
  for (const b of layers) raw += await uncompressed(store.blobPath(b));

  const containerd = await startTestContainerd();
  let importMs: number;
  let checkMs: number;
  try {
    [importMs] = await time(() => importBuiltImage(containerd.target, image));
    [checkMs] = await time(() => importBuiltImage(containerd.target, image));
  } finally {
    await containerd.stop();
  }
  const rows: [string, string][] = [
    ['build, cold (empty cache: base + module layer)', `${(cold / 1000).toFixed(2)} s`],
    ['build, warm (nothing changed), median of 5', `${(median(warm) / 1000).toFixed(2)} s`],
    ['build, module changed (base cached), median of 3', `${(median(changed) / 1000).toFixed(2)} s`],
    ['image size, compressed (layers)', `${(image.compressedBytes / 1e6).toFixed(1)} MB`],
    ['image size, uncompressed (unpacked on the node)', `${(raw / 1e6).toFixed(1)} MB`],
    ['ctr images import into a fresh containerd', `${(importMs / 1000).toFixed(2)} s`],
    ['already imported: the check that skips the import', `${(checkMs / 1000).toFixed(2)} s`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`| measure${' '.repeat(w - 7)} | result |\n| ${'-'.repeat(w)} | --- |\n`);
  for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(w)} | ${v} |\n`);
} finally {
  rmSync(cache, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
