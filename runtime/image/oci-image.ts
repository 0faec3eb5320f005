import { createHash } from 'node:crypto';
import type { LayerBlob } from './layer-tar.js';

/** OCI media types (OCI image spec `media-types.md`). */
export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The annotation containerd's importer takes the image name from (`images.AnnotationImageName`). */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';
/** OCI's reference annotation (image spec `annotations.md`). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** A JSON blob with its descriptor. */
export interface JsonBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

export interface ImageSpec {
  /** Fully qualified name (`docker.io/edgemu/filter:0.1.0`). */
  name: string;
  /** Layers bottom-up. */
  layers: readonly LayerBlob[];
  entrypoint: readonly string[];
  env: readonly string[];
  workingDir: string;
  labels: Readonly<Record<string, string>>;
  /** Node's `process.arch` (`x64`, `arm64`). */
  arch: string;
}

/** Node's architecture names → OCI/Go `GOARCH` names. */
const OCI_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
export const ociArchitecture = (arch: string): string => OCI_ARCH[arch] ?? arch;

function jsonBlob(value: unknown, mediaType: string): JsonBlob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, descriptor: { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length } };
}

/**
 * The config, manifest and index of a single-platform image (OCI image spec `config.md`,
 * `manifest.md`, `image-index.md`). Pure and deterministic: no creation time, so the same
 * layers give the same image id.
 */
export function ociImage(spec: ImageSpec): { config: JsonBlob; manifest: JsonBlob; index: JsonBlob } {
  const platform = { architecture: ociArchitecture(spec.arch), os: 'linux' };
  const config = jsonBlob(
    {
      ...platform,
      config: { Entrypoint: [...spec.entrypoint], Env: [...spec.env], WorkingDir: spec.workingDir, Labels: { ...spec.labels } },
      rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
      history: spec.layers.map((_, i) => ({ created_by: i === 0 ? 'edgemu image build: Node.js base from the host runtime' : 'edgemu image build: bundled module' })),
    },
    MEDIA_TYPES.config,
  );
  const manifest = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: config.descriptor,
      layers: spec.layers.map((l) => ({ mediaType: MEDIA_TYPES.layer, digest: l.digest, size: l.size })),
      annotations: { ...spec.labels },
    },
    MEDIA_TYPES.manifest,
  );
  const index = jsonBlob(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [{ ...manifest.descriptor, platform, annotations: { [ANNOTATION_CONTAINERD_NAME]: spec.name, [ANNOTATION_REF_NAME]: spec.name } }],
    },
    MEDIA_TYPES.index,
  );
  return { config, manifest, index };
}
