import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { inspectArchive } from '../../../runtime/image/inspect-archive.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-archive-'));

async function tar(entries: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, body] of Object.entries(entries)) pack.entry({ name }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const file = (name: string, bytes: Buffer | string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return f;
};

describe('inspectArchive', () => {
  it('reads an OCI layout and the names its index gives', async () => {
    const bytes = await tar({ 'oci-layout': '{"imageLayoutVersion":"1.0.0"}', 'index.json': JSON.stringify({ manifests: [{ annotations: { 'org.opencontainers.image.ref.name': 'docker.io/a/b:1' } }] }) });
    expect(await inspectArchive(file('oci.tar', bytes))).toEqual({ format: 'oci', names: ['docker.io/a/b:1'], gzip: false });
  });

  it('reads a gzip-compressed docker save archive and its RepoTags', async () => {
    const bytes = gzipSync(await tar({ 'manifest.json': JSON.stringify([{ Config: 'x.json', RepoTags: ['mcr.microsoft.com/x:1.5'], Layers: [] }]) }));
    expect(await inspectArchive(file('docker.tar.gz', bytes))).toEqual({ format: 'docker', names: ['mcr.microsoft.com/x:1.5'], gzip: true });
  });

  it.each([
    ['text', () => file('text.tar', 'hello '.repeat(200)), /text\.tar/],
    ['an empty file', () => file('empty.tar', ''), /empty or not a tar/],
    ['a truncated archive', async () => file('cut.tar', (await tar({ 'oci-layout': '{}', 'index.json': '{"manifests":[]}'.padEnd(3000) })).subarray(0, 700)), /cut\.tar is not a readable image archive/],
    ['a tar that is no image', async () => file('plain.tar', await tar({ 'hello.txt': 'hi' })), /neither oci-layout \+ index\.json \(OCI\) nor manifest\.json/],
    ['a broken index', async () => file('badjson.tar', await tar({ 'oci-layout': '{}', 'index.json': '{' })), /index\.json is not JSON/],
    ['a missing file', () => path.join(dir, 'nope.tar'), /cannot read .*nope\.tar/],
  ])('refuses %s with IMAGE_ARCHIVE_INVALID naming the file', async (_n, make, message) => {
    const f = await make();
    await expect(inspectArchive(f)).rejects.toMatchObject({ code: 'IMAGE_ARCHIVE_INVALID', message: expect.stringMatching(message) });
  });
});
