import { parseImageReference } from '../manifest/index.js';
import { ImageError } from './image-error.js';

/**
 * The fully qualified name containerd and the kubelet know an image by (Docker's reference
 * normalization, `github.com/distribution/reference` `ParseNormalizedNamed`): a first path
 * component without `.` or `:` (and not `localhost`) is a Docker Hub repository, a single
 * component lives under `library/`, and a reference without tag or digest means `:latest`.
 * `edgemu/filter:0.1.0` → `docker.io/edgemu/filter:0.1.0`, `node` → `docker.io/library/node:latest`.
 */
export function fullImageName(reference: string): string {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) throw new ImageError('IMAGE_INVALID_REFERENCE', `${JSON.stringify(reference)} is not an image reference (${parsed.message}); e.g. edgemu/my-module:0.1.0`);
  const { normalized, registry, repository } = parsed.value;
  if (registry !== undefined) return normalized;
  return repository.includes('/') ? `docker.io/${normalized}` : `docker.io/library/${normalized}`;
}

/** The name a user reads: Docker Hub's `docker.io/` and `library/` prefixes dropped again. */
export function shortImageName(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
