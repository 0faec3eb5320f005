import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import { addEntry, writeTar } from './tar-pack.js';

/** One entry of an image layer: its path inside the image (no leading `/`) and where its bytes come from. */
export type LayerEntry =
  | { path: string; type: 'directory'; mode: number }
  | { path: string; type: 'file'; mode: number; data: Buffer }
  | { path: string; type: 'file'; mode: number; file: string };

/** A written layer blob: `digest` of the gzip stream (the blob), `diffId` of the tar inside it (OCI image spec, "Layer DiffID"). */
export interface LayerBlob {
  digest: string;
  diffId: string;
  size: number;
}

/** Hashes what passes through. */
class Digester extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Writes a gzip-compressed tar layer (`application/vnd.oci.image.layer.v1.tar+gzip`) to `outFile`.
 * Reproducible: every entry has mtime 0 and owner root, entries keep the given order, so the same
 * input always gives the same digest (and the same image id). Written to a temporary name and
 * renamed, so a crash never leaves a half blob under a final name.
 */
export async function writeLayer(entries: readonly LayerEntry[], outFile: string): Promise<LayerBlob> {
  const tarDigest = new Digester();
  const blobDigest = new Digester();
  const header = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date(0) };
  await writeTar(outFile, [tarDigest, createGzip({ level: 6 }), blobDigest], async (pack) => {
    for (const e of entries) {
      if (e.type === 'directory') await addEntry(pack, { ...header, name: `${e.path}/`, type: 'directory', mode: e.mode });
      else await addEntry(pack, { ...header, name: e.path, type: 'file', mode: e.mode }, 'data' in e ? { data: e.data } : { file: e.file });
    }
  });
  return { digest: `sha256:${blobDigest.hash.digest('hex')}`, diffId: `sha256:${tarDigest.hash.digest('hex')}`, size: blobDigest.bytes };
}
