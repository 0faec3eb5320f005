import type { V1Secret } from '@kubernetes/client-node';
import { parseImageReference } from '../manifest/index.js';
import type { RegistryCredential } from '../manifest/index.js';
import { ordinal } from './create-options-values.js';
import { ANNOTATION_REGISTRY_CREDENTIAL } from './labels.js';
import { distinctK8sName } from './map-volumes.js';
import { assertDistinctNames } from './translate-error.js';

/** Name of the pull Secret for a `registryCredentials` entry (keys are free text: lossy names get a hash, see distinctK8sName). */
export const registrySecretName = (credentialName: string): string => `edgemu-registry-${distinctK8sName(credentialName, 47)}`;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A credential as pods reference it. */
export interface RegistryRef {
  secretName: string;
  /** Normalized address: no scheme, no trailing `/`, Docker Hub spelled `docker.io`. */
  address: string;
}

/**
 * Registry credentials (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/ImagePullSecret.cs): one `kubernetes.io/dockerconfigjson` Secret per
 * credential; a pod references the ones whose address prefixes its image, as the Docker-mode
 * agent picks credentials by image prefix.
 */
export function registrySecrets(creds: readonly RegistryCredential[], target: { labels: Readonly<Record<string, string>>; namespace: string }): { secrets: V1Secret[]; credentials: RegistryRef[] } {
  const { namespace } = target;
  const sorted = [...creds].sort((a, b) => ordinal(a.name, b.name));
  assertDistinctNames(sorted.map((c) => [c.name, registrySecretName(c.name)]), 'registry credential');
  const secrets = sorted.map(
    (c): V1Secret => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: registrySecretName(c.name), namespace, labels: { ...target.labels }, annotations: { [ANNOTATION_REGISTRY_CREDENTIAL]: c.name } },
      type: 'kubernetes.io/dockerconfigjson',
      // `data`, not `stringData`: stringData is write-only and does not round-trip through server-side apply.
      data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [c.address]: { username: c.username, password: c.password, auth: b64(`${c.username}:${c.password}`) } } })) },
    }),
  );
  return { secrets, credentials: sorted.map((c) => ({ secretName: registrySecretName(c.name), address: normalizeRegistryAddress(c.address) })) };
}

/** `https://myreg.azurecr.io/` → `myreg.azurecr.io`; Docker Hub's many spellings → `docker.io`. */
export function normalizeRegistryAddress(address: string): string {
  const a = address.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  if (/^(index\.|registry-1\.)?docker\.io(\/v1)?$/.test(a)) return 'docker.io';
  return a;
}

/** The image's full name with its registry (`docker.io` when none is written). */
function imageLocation(image: string): string {
  const parsed = parseImageReference(image);
  if (!parsed.ok) return image.toLowerCase();
  return `${(parsed.value.registry ?? 'docker.io').toLowerCase()}/${parsed.value.repository}`;
}

/** The pull Secrets a pod of `image` needs: every credential whose address prefixes the image's full name. */
export function pullSecretsFor(image: string, registries: readonly RegistryRef[]): { name: string }[] {
  const location = imageLocation(image);
  return registries.filter((r) => location === r.address || location.startsWith(`${r.address}/`)).map((r) => ({ name: r.secretName }));
}
