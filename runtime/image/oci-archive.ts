import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ImageStore } from './image-store.js';
import { addEntry, writeTar } from './tar-pack.js';

/** What an OCI image layout holds, by digest (OCI image spec `image-layout.md`). */
export interface LayoutContents {
  indexJson: Buffer;
  /** Every blob the index reaches: manifest, config, layers. */
  blobs: readonly string[];
}

/**
 * Writes an OCI image layout as one tar archive — `oci-layout`, `index.json` and
 * `blobs/sha256/<hex>` — the form `ctr images import`, `skopeo copy oci-archive:` and Docker
 * 25+'s `docker load` read. Blobs are streamed from the store; the archive is written under a
 * temporary name and renamed when complete.
 */
export async function writeOciArchive(store: ImageStore, contents: LayoutContents, outFile: string): Promise<void> {
  mkdirSync(path.dirname(outFile), { recursive: true });
  const header = { uid: 0, gid: 0, mtime: new Date(0), mode: 0o644 };
  await writeTar(outFile, [], async (pack) => {
    await addEntry(pack, { ...header, name: 'oci-layout' }, { data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') });
    await addEntry(pack, { ...header, name: 'index.json' }, { data: contents.indexJson });
    await addEntry(pack, { ...header, name: 'blobs/', type: 'directory', mode: 0o755 });
    await addEntry(pack, { ...header, name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
    for (const digest of contents.blobs) {
      await addEntry(pack, { ...header, name: `blobs/sha256/${digest.replace(/^sha256:/, '')}` }, { file: store.blobPath(digest) });
    }
  });
}
