import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { ImageError } from './image-error.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from './oci-image.js';

/** What an image archive is, and the names it carries. */
export interface ArchiveInfo {
  /** `oci`: an OCI image layout (`oci-layout` + `index.json`); `docker`: `docker save` (`manifest.json` with `RepoTags`). */
  format: 'oci' | 'docker';
  /** Image names in the archive (may be empty: containerd then imports it by digest only). */
  names: string[];
  gzip: boolean;
}

const SMALL_JSON = 4 * 1024 * 1024;

/**
 * Reads an image archive through to its end (plain or gzip-compressed tar) and says what it
 * is, before containerd sees it: a file that is not a tar, a truncated one, or a tar that is
 * neither an OCI layout nor a `docker save` archive is `IMAGE_ARCHIVE_INVALID`, naming the file.
 */
export async function inspectArchive(file: string): Promise<ArchiveInfo> {
  let gzip: boolean;
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      await handle.read(head, 0, 2, 0);
      gzip = head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ImageError('IMAGE_ARCHIVE_INVALID', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const files = new Map<string, Buffer>();
  const seen = new Set<string>();
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    seen.add(name);
    if ((name === 'index.json' || name === 'manifest.json' || name === 'oci-layout') && (header.size ?? 0) <= SMALL_JSON) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        files.set(name, Buffer.concat(chunks));
        next();
      });
    } else {
      stream.on('end', () => next());
      stream.resume();
    }
  });
  try {
    if (gzip) await pipeline(createReadStream(file), createGunzip(), extract as unknown as NodeJS.WritableStream);
    else await pipeline(createReadStream(file), extract as unknown as NodeJS.WritableStream);
  } catch (error) {
    throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file} is not a readable image archive (${(error as Error).message}); make one with \`edgemu image build --output\`, \`docker save\` or \`skopeo copy … oci-archive:\``, { cause: error });
  }
  if (seen.size === 0) throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file} is empty or not a tar archive`);
  const parse = (name: string): unknown => {
    try {
      return JSON.parse(files.get(name)!.toString('utf8'));
    } catch (error) {
      throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file}: ${name} is not JSON`, { cause: error });
    }
  };
  if (files.has('index.json') && seen.has('oci-layout')) {
    const index = parse('index.json') as { manifests?: { annotations?: Record<string, string> }[] };
    if (!Array.isArray(index.manifests)) throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file}: index.json has no manifests list`);
    const names = index.manifests.map((m) => m.annotations?.[ANNOTATION_CONTAINERD_NAME] ?? m.annotations?.[ANNOTATION_REF_NAME]).filter((n): n is string => typeof n === 'string');
    return { format: 'oci', names, gzip };
  }
  if (files.has('manifest.json')) {
    const manifest = parse('manifest.json') as { RepoTags?: string[] | null }[];
    if (!Array.isArray(manifest)) throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file}: manifest.json is not a docker save manifest list`);
    return { format: 'docker', names: manifest.flatMap((m) => m.RepoTags ?? []), gzip };
  }
  throw new ImageError('IMAGE_ARCHIVE_INVALID', `${file} is a tar archive but not an image: it has neither oci-layout + index.json (OCI) nor manifest.json (docker save)`);
}
