import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleModule } from './bundle-module.js';
import { fullImageName } from './image-name.js';
import type { ImageStore } from './image-store.js';
import { writeLayer, type LayerBlob } from './layer-tar.js';
import { hostNodeBase, nodeBaseEntries, type NodeBase } from './node-base.js';
import { writeOciArchive } from './oci-archive.js';
import { ociImage } from './oci-image.js';

/** Bumped when the image layout this file produces changes, so old cache entries are not reused. */
const BUILDER_VERSION = 1;

/** OCI label marking an image made by `edgemu image build`. */
export const LABEL_BUILT_BY = 'io.edgemu.built-by';
/** OCI label marking an image as a stand-in for someone else's image (the value says whose). */
export const LABEL_STAND_IN = 'io.edgemu.stand-in';

export interface BuildImageOptions {
  /** The module folder (entry index.ts/.mts/.js/.mjs). */
  dir: string;
  /** Image reference; default `edgemu/<folder name>:latest`. */
  tag?: string | undefined;
  /** Extra OCI labels (e.g. {@link LABEL_STAND_IN}). */
  labels?: Readonly<Record<string, string>>;
  store: ImageStore;
  /** The Node.js binary the base is made from (default: the one running edgemu). */
  nodeBinary?: string;
  onProgress?: (message: string) => void;
}

export interface BuiltImage {
  /** Fully qualified name (`docker.io/edgemu/filter:0.1.0`). */
  name: string;
  /** The cache key (SHA-256 over bundle, base, name and labels). */
  key: string;
  /** Digest of the image manifest (what containerd lists as the image digest). */
  manifestDigest: string;
  /** The OCI archive in the cache, ready for `ctr images import`. */
  archive: string;
  /** Compressed size of all layers in bytes. */
  compressedBytes: number;
  /** True when nothing had to be rebuilt. */
  cached: boolean;
}

interface ImageRecord {
  name: string;
  manifestDigest: string;
  indexJson: string;
  blobs: string[];
  compressedBytes: number;
}

/** The default reference of a module folder: `edgemu/<folder>:latest`, lower-cased to a valid repository name. */
export function defaultTag(dir: string): string {
  const base = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `edgemu/${base === '' ? 'module' : base}:latest`;
}

/**
 * `edgemu image build`: bundles a module folder with esbuild and puts it on a Node.js base made
 * from the host's runtime, as an OCI image (two layers: the base, shared by every module, and
 * `/app/index.mjs`). Cached by content: the base layer by the hash of node, its libraries and
 * the CA bundle; the image by the hash of the bundle, the base, the name and the labels — an
 * unchanged module costs one esbuild run and a few hashes.
 */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const { store } = options;
  const progress = options.onProgress ?? (() => undefined);
  const name = fullImageName(options.tag ?? defaultTag(options.dir));
  const bundle = await bundleModule(options.dir);
  const base = await hostNodeBase(options.nodeBinary);
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': path.basename(path.resolve(options.dir)),
    [LABEL_BUILT_BY]: 'edgemu image build',
    ...options.labels,
  };
  const key = createHash('sha256')
    .update(JSON.stringify({ v: BUILDER_VERSION, name, base: base.key, arch: process.arch, labels, bundle: createHash('sha256').update(bundle.code).digest('hex') }))
    .digest('hex');
  const archive = store.archivePath(key);
  const record = store.readRecord<ImageRecord>('image', key);
  if (record !== undefined && existsSync(archive) && record.blobs.every((b) => store.hasBlob(b))) {
    return { name, key, manifestDigest: record.manifestDigest, archive, compressedBytes: record.compressedBytes, cached: true };
  }

  const baseLayer = await ensureBaseLayer(store, base, progress);
  const appLayer = await writeBlobLayer(store, 'app', [
    { path: 'app', type: 'directory', mode: 0o755 },
    { path: 'app/index.mjs', type: 'file', mode: 0o644, data: bundle.code },
    // The bundle is an ES module; package.json says so for tools that look (node does by extension).
    { path: 'app/package.json', type: 'file', mode: 0o644, data: Buffer.from('{"type":"module"}\n') },
  ]);
  const image = ociImage({
    name,
    layers: [baseLayer, appLayer],
    entrypoint: ['/usr/bin/node', '/app/index.mjs'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'],
    workingDir: '/app',
    labels,
    arch: process.arch,
  });
  store.putBlob(image.config.bytes);
  store.putBlob(image.manifest.bytes);
  const blobs = [image.manifest.descriptor.digest, image.config.descriptor.digest, baseLayer.digest, appLayer.digest];
  await writeOciArchive(store, { indexJson: image.index.bytes, blobs }, archive);
  const compressedBytes = baseLayer.size + appLayer.size;
  store.writeRecord('image', key, { name, manifestDigest: image.manifest.descriptor.digest, indexJson: image.index.bytes.toString('utf8'), blobs, compressedBytes } satisfies ImageRecord);
  return { name, key, manifestDigest: image.manifest.descriptor.digest, archive, compressedBytes, cached: false };
}

/** Copies a built image's archive to `outFile` (`--output`). */
export async function exportImage(image: BuiltImage, outFile: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  await copyFile(image.archive, outFile);
}

async function ensureBaseLayer(store: ImageStore, base: NodeBase, progress: (m: string) => void): Promise<LayerBlob> {
  const cached = store.readRecord<LayerBlob>('base', base.key);
  if (cached !== undefined && store.hasBlob(cached.digest)) return cached;
  progress(`making the Node.js base layer from ${base.files[0]!.hostPath} and ${base.files.length - 1} library/CA files (once per Node.js version)`);
  const layer = await writeBlobLayer(store, 'base', nodeBaseEntries(base));
  store.writeRecord('base', base.key, layer);
  return layer;
}

async function writeBlobLayer(store: ImageStore, label: string, entries: Parameters<typeof writeLayer>[0]): Promise<LayerBlob> {
  const tmp = store.tempPath(label);
  const layer = await writeLayer(entries, tmp);
  const { rename } = await import('node:fs/promises');
  await rename(tmp, store.blobPath(layer.digest));
  return layer;
}
