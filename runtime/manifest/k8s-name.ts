import { createHash } from 'node:crypto';

/**
 * Kubernetes object names derived from IoT Edge names. Stable (the same input always gives
 * the same name) and valid as an RFC 1035 label (Service names must be, K8s API
 * `validation.IsDNS1035Label`): lower-case alphanumerics and `-`, starting with a letter,
 * ending alphanumeric, at most 63 characters.
 *
 * Unlike IoT Edge's retired `KubeUtils.SanitizeK8sValue`, `_` becomes `-` (instead of being
 * dropped) and over-long names end in a short hash instead of failing. Two names that map to
 * the same result collide; the validator refuses such manifests (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/KubeUtils.cs).
 */
export function toK8sName(name: string, maxLength = 63): string {
  let s = name.toLowerCase().replace(/[_.]/g, '-').replace(/[^a-z0-9-]/g, '');
  s = s.replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(s)) s = `m-${s}`.replace(/-+$/g, '');
  if (s === 'm') s = `m-${shortHash(name)}`;
  if (s.length > maxLength) {
    const hash = shortHash(name);
    s = `${s.slice(0, maxLength - hash.length - 1).replace(/-+$/g, '')}-${hash}`;
  }
  return s;
}

/** A label value (≤ 63 chars, alphanumeric ends, `[a-z0-9._-]` inside) naming an IoT Hub id. */
export function toLabelValue(id: string): string {
  let s = id.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  if (s.length === 0) s = `id-${shortHash(id)}`;
  if (s.length > 63) {
    const hash = shortHash(id);
    s = `${s.slice(0, 63 - hash.length - 1).replace(/[^a-z0-9]+$/g, '')}-${hash}`;
  }
  return s;
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);
