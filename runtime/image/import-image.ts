import type { BuiltImage } from './build-image.js';
import type { ContainerdImageCache } from './containerd-image-cache.js';
import type { ContainerdTarget } from './containerd-target.js';
import { CONTAINERD_LABEL_IMAGE, CONTAINERD_LABEL_STAND_IN, CtrClient, isEdgemuImage } from './ctr-client.js';
import { inspectArchive, type ArchiveInfo } from './inspect-archive.js';

export type ImportOutcome =
  | { action: 'imported'; name: string }
  | { action: 'unchanged'; name: string }
  /** Another image (not edgemu's) already has the name: it wins, ours is not imported. */
  | { action: 'kept-foreign'; name: string; digest: string };

/**
 * `edgemu image import FILE`: checks the archive, imports it, and drops edgemu's ownership label
 * from every name it carries — an image imported by hand is the user's, so a later `edgemu up`
 * never replaces it with a stand-in or a rebuilt sample.
 */
export async function importArchive(target: ContainerdTarget, file: string): Promise<ArchiveInfo> {
  const info = await inspectArchive(file);
  const ctr = new CtrClient(target);
  await ctr.import(file);
  const { fullImageName } = await import('./image-name.js');
  for (const raw of info.names) {
    let name: string;
    try {
      name = fullImageName(raw);
    } catch {
      continue;
    }
    const image = await ctr.get(name);
    if (image !== undefined && (image.labels[CONTAINERD_LABEL_IMAGE] !== undefined || image.labels[CONTAINERD_LABEL_STAND_IN] !== undefined)) {
      await ctr.label(name, { [CONTAINERD_LABEL_IMAGE]: '', [CONTAINERD_LABEL_STAND_IN]: '' });
    }
  }
  return info;
}

/**
 * Imports an image edgemu built, unless containerd already holds exactly it (same digest) or
 * holds another image under the name that edgemu did not put there (then that one wins). Marks
 * what it imported with {@link CONTAINERD_LABEL_IMAGE} (and the stand-in label when given).
 */
export async function importBuiltImage(target: ContainerdTarget, image: BuiltImage, options: { standInFor?: string; images?: ContainerdImageCache } = {}): Promise<ImportOutcome> {
  // The same image into the same containerd twice at once (`edgemu up`'s image step and the
  // agent's first plan) is one import.
  const key = `${target.address}\0${target.namespace}\0${image.name}\0${image.manifestDigest}\0${options.standInFor ?? ''}`;
  const running = importing.get(key);
  if (running !== undefined) return running;
  const started = importOnce(target, image, options).finally(() => importing.delete(key));
  importing.set(key, started);
  return started;
}

const importing = new Map<string, Promise<ImportOutcome>>();

async function importOnce(target: ContainerdTarget, image: BuiltImage, options: { standInFor?: string; images?: ContainerdImageCache }): Promise<ImportOutcome> {
  // Through the process's image cache when there is one: an image already there costs no ctr call.
  const ctr = options.images ?? new CtrClient(target);
  const existing = await ctr.get(image.name);
  if (existing !== undefined) {
    if (!isEdgemuImage(existing)) return { action: 'kept-foreign', name: image.name, digest: existing.digest };
    if (existing.digest === image.manifestDigest) return { action: 'unchanged', name: image.name };
  }
  await ctr.import(image.archive);
  await ctr.label(image.name, { [CONTAINERD_LABEL_IMAGE]: image.manifestDigest, ...(options.standInFor !== undefined ? { [CONTAINERD_LABEL_STAND_IN]: options.standInFor } : {}) });
  return { action: 'imported', name: image.name };
}
