import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';

export type TarHeader = Parameters<tarStream.Pack['entry']>[0];

/** Adds one entry: `data` in memory, `file` streamed from disk (its size read first), or nothing (a directory). */
export async function addEntry(pack: tarStream.Pack, header: TarHeader, source?: { data: Buffer } | { file: string }): Promise<void> {
  if (source !== undefined && 'file' in source) {
    const { size } = await stat(source.file);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ ...header, size }, (error) => (error ? reject(error) : resolve()));
      const input = createReadStream(source.file);
      input.on('error', reject);
      input.on('data', (chunk) => {
        if (!sink.write(chunk)) {
          input.pause();
          sink.once('drain', () => void input.resume());
        }
      });
      input.on('end', () => void sink.end(undefined));
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    if (source === undefined) pack.entry(header, (error) => (error ? reject(error) : resolve()));
    else pack.entry({ ...header, size: source.data.length }, source.data, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Writes a tar stream to `outFile` through `transforms` (hashing, gzip): `fill` adds the entries.
 * Written under a temporary name and renamed when complete; on failure nothing is left behind.
 */
export async function writeTar(outFile: string, transforms: readonly Transform[], fill: (pack: tarStream.Pack) => Promise<void>): Promise<void> {
  const pack = tarStream.pack();
  const tmp = `${outFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const written = (pipeline as (...streams: unknown[]) => Promise<void>)(pack, ...transforms, createWriteStream(tmp));
  try {
    await fill(pack);
    pack.finalize();
    await written;
    await rename(tmp, outFile);
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
}
