import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseImageReference } from '../manifest/index.js';
import { buildImage, LABEL_STAND_IN, type BuiltImage } from './build-image.js';
import type { ContainerdImageCache } from './containerd-image-cache.js';
import type { ContainerdTarget } from './containerd-target.js';
import { fullImageName, shortImageName } from './image-name.js';
import type { ImageStore } from './image-store.js';
import { importBuiltImage, type ImportOutcome } from './import-image.js';

/** The repository's module folders. */
const MODULES_DIR = fileURLToPath(new URL('../../modules/', import.meta.url));

/** Microsoft's sensor image (IoT Edge quickstart), served by edgemu's stand-in where it cannot be pulled. */
export const MS_SENSOR_REPOSITORY = 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor';
/** The tags Microsoft's manifests and docs use for it (1.0 in the first quickstarts … 1.5 today). */
export const MS_SENSOR_TAGS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', 'latest'] as const;

/** Where an image reference edgemu can build comes from. */
export interface SampleImage {
  /** Fully qualified name as referenced (`docker.io/edgemu/filter:0.1.0`). */
  name: string;
  /** The module folder it is built from. */
  dir: string;
  /** Set for a stand-in: the image it stands in for (the reference as written). */
  standInFor?: string;
}

const SAMPLES: Readonly<Record<string, string>> = {
  'docker.io/edgemu/filter': 'filter',
  'docker.io/edgemu/simulated-temperature-sensor': 'simulated-temperature-sensor',
  'docker.io/edgemu/echo': 'echo',
};

/**
 * Whether edgemu builds `image` itself: the sample modules' images (`edgemu/filter`,
 * `edgemu/simulated-temperature-sensor`, `edgemu/echo`, any tag) from `modules/`, and
 * Microsoft's SimulatedTemperatureSensor (tags {@link MS_SENSOR_TAGS}) from the stand-in.
 * Undefined for anything else (digests included: a digest names someone else's bytes). Pure.
 */
export function sampleImageFor(image: string, modulesDir: string = MODULES_DIR): SampleImage | undefined {
  const parsed = parseImageReference(image);
  if (!parsed.ok || parsed.value.digest !== undefined) return undefined;
  const name = fullImageName(image);
  const repository = name.slice(0, name.lastIndexOf(':'));
  const tag = parsed.value.tag ?? 'latest';
  const folder = SAMPLES[repository];
  if (folder !== undefined) return { name, dir: path.join(modulesDir, folder) };
  if (repository === MS_SENSOR_REPOSITORY && (MS_SENSOR_TAGS as readonly string[]).includes(tag)) {
    return { name, dir: path.join(modulesDir, 'simulated-temperature-sensor-standin'), standInFor: image };
  }
  return undefined;
}

/** One image of a deployment and what happened to it. */
export interface EnsuredImage {
  image: SampleImage;
  /** Modules of the deployment that use it. */
  modules: string[];
  outcome: ImportOutcome;
  /** True when the node now runs edgemu's stand-in under this name (false when a real image won). */
  standIn: boolean;
}

export interface EnsureImagesOptions {
  store: ImageStore;
  onProgress?: (message: string) => void;
  modulesDir?: string;
  /** The node's images as this process keeps them (one list for all, none while unchanged). */
  images?: ContainerdImageCache;
}

/** A sample image built (cached) and ready to import. */
export interface PreparedImage {
  image: SampleImage;
  modules: string[];
  built: BuiltImage;
  /** How long the build (or the cache check) took. */
  buildMs: number;
}

/** The images of a deployment edgemu can build ({@link sampleImageFor}), each with the modules using it. Pure. */
export function wantedSampleImages(config: { modules: readonly { name: string; image: string }[] }, modulesDir?: string): { image: SampleImage; modules: string[] }[] {
  const wanted = new Map<string, { image: SampleImage; modules: string[] }>();
  for (const m of config.modules) {
    const image = sampleImageFor(m.image, modulesDir);
    if (image === undefined) continue;
    const entry = wanted.get(image.name) ?? { image, modules: [] };
    entry.modules.push(m.name);
    wanted.set(image.name, entry);
  }
  return [...wanted.values()];
}

/**
 * The build half of {@link ensureManifestImages}: builds (cached by content) every image of the
 * deployment edgemu can make, all at once. Needs no containerd, so `edgemu up` runs it while the
 * cluster starts.
 */
export async function buildManifestImages(config: { modules: readonly { name: string; image: string }[] }, options: Omit<EnsureImagesOptions, 'images'>): Promise<PreparedImage[]> {
  const progress = options.onProgress ?? (() => undefined);
  return Promise.all(
    wantedSampleImages(config, options.modulesDir).map(async ({ image, modules }) => {
      const startedAt = Date.now();
      const built = await buildImage({
        dir: image.dir,
        tag: image.name,
        store: options.store,
        ...(image.standInFor !== undefined ? { labels: { [LABEL_STAND_IN]: image.standInFor } } : {}),
        onProgress: progress,
      });
      return { image, modules, built, buildMs: Date.now() - startedAt };
    }),
  );
}

/**
 * The import half: imports each built image into the node's containerd unless that already holds
 * it — or holds a real image under that name, which is kept — a progress line each. One after
 * the other: the images share their base layer, which containerd then unpacks once (imported
 * side by side, both unpacked it, and on 2 busy cores that doubled the time).
 */
export async function importManifestImages(prepared: readonly PreparedImage[], target: ContainerdTarget, options: Pick<EnsureImagesOptions, 'onProgress' | 'images'> = {}): Promise<EnsuredImage[]> {
  const progress = options.onProgress ?? (() => undefined);
  const results: EnsuredImage[] = [];
  for (const one of prepared) results.push(await importOne(one, target, options.images, progress));
  return results;
}

async function importOne({ image, modules, built, buildMs }: PreparedImage, target: ContainerdTarget, images: ContainerdImageCache | undefined, progress: (m: string) => void): Promise<EnsuredImage> {
  const shown = shortImageName(image.name);
  const startedAt = Date.now();
  const outcome = await importBuiltImage(target, built, {
    ...(image.standInFor !== undefined ? { standInFor: image.standInFor } : {}),
    ...(images !== undefined ? { images } : {}),
  });
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const what = image.standInFor !== undefined ? `edgemu's stand-in for ${shown}` : shown;
  const buildText = `built${built.cached ? ' (cached)' : ''} in ${secs(buildMs)}`;
  const importText = outcome.action === 'imported' ? `imported in ${secs(Date.now() - startedAt)}` : 'already on the node';
  if (outcome.action === 'kept-foreign') progress(`image ${shown}: a real image is already on the node; keeping it (edgemu's ${image.standInFor ? 'stand-in' : 'build'} is not imported)`);
  else progress(`image ${what}: ${buildText}, ${importText} (modules ${modules.join(', ')})`);
  return { image, modules, outcome, standIn: image.standInFor !== undefined && outcome.action !== 'kept-foreign' };
}

/**
 * `edgemu up`'s first-use step and the agent's image step before each plan: for every module of
 * a deployment whose image edgemu can build ({@link sampleImageFor}), builds it (cached by
 * content) and imports it into the node's containerd unless that already holds it — or holds a
 * real image under that name, which is kept. Other images are left to the kubelet (pulled, or
 * placed on the simulated pool by the agent).
 */
export async function ensureManifestImages(
  config: { modules: readonly { name: string; image: string }[] },
  target: ContainerdTarget,
  options: EnsureImagesOptions,
): Promise<EnsuredImage[]> {
  return importManifestImages(await buildManifestImages(config, options), target, options);
}
