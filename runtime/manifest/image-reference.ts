/**
 * Container image references. Docker's grammar (`distribution/reference` `reference.go`)
 * decides what parses; IoT Edge's rule decides the default tag: when no tag is given the
 * agent appends `:latest` (`DockerConfig.ValidateAndGetImage`). A `$upstream:<port>/…`
 * prefix (nested edge, pulls through the parent device) is accepted as a registry.
 */
export interface ImageReference {
  /** Registry host[:port] when the first component is one (`.`/`:` in it, `localhost`, or `$upstream`). */
  registry: string | undefined;
  /** Repository path without the registry. */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** The reference with `:latest` appended when it had neither tag nor digest. */
  normalized: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:\\$upstream|${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*)(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export type ImageParse = { ok: true; value: ImageReference } | { ok: false; message: string };

function fail(image: string, why: string): ImageParse {
  return { ok: false, message: `image ${JSON.stringify(image)} is not a valid image reference: ${why}` };
}

/** Parses an image reference; the message says what part is wrong. Never throws. */
export function parseImageReference(image: string): ImageParse {
  if (image.length === 0) return fail(image, 'it is empty');
  // deployment.template.json placeholders (iotedgedev / VS Code IoT Edge tooling)
  if (image.includes('${')) return fail(image, 'it contains an unexpanded template variable; generate the deployment from its template first (iotedgedev genconfig)');
  if (/\s/.test(image)) return fail(image, 'it contains whitespace');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail(image, `digest "${digest}" must look like "sha256:<64 hex digits>"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return fail(image, `tag "${tag}" may use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-")`);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0]!;
  // reference.go splitDockerDomain: the first component is a registry if it has "." or ":", is "localhost" or has upper case
  if (parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase() || first.startsWith('$'))) {
    if (!DOMAIN.test(first)) return fail(image, `registry "${first}" is not a host name or host:port`);
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => p.length === 0)) return fail(image, 'it has an empty path component');
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) return fail(image, `repository component "${p}" must be lower-case letters and digits separated by ".", "_", "__" or "-"`);
  }
  const repository = parts.join('/');
  if ((registry ? registry.length + 1 : 0) + repository.length > 255) return fail(image, 'the repository name is longer than 255 characters');
  const normalized = tag === undefined && digest === undefined ? `${image}:latest` : image;
  return { ok: true, value: { registry, repository, tag, digest, normalized } };
}
