import { isObj, toBoolean, toInteger } from './create-options-values.js';
import { TranslateError } from './translate-error.js';

/**
 * Type conversion for `k8s-experimental` values. IoT Edge's Kubernetes mode read these sections
 * into the Kubernetes client's typed models with Newtonsoft.Json
 * (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/KubernetesExperimentalCreatePodParameters.cs),
 * whose readers turn `"false"` into a boolean (`bool.TryParse`: case-insensitive, surrounding
 * whitespace allowed) and `"0444"` into an integer (invariant-culture integer parse). edgemu copies
 * the sections as JSON, so it does the same conversion for every field the Kubernetes API types
 * as boolean or integer (Kubernetes API reference: Volume, VolumeMount, PodSecurityContext,
 * DeploymentStrategy). A value that cannot be converted is refused with `TRANSLATE_INVALID_K8S_VALUE`
 * and its JSON pointer — never emitted for kube-apiserver to reject.
 */

type FieldType = 'boolean' | 'integer' | 'intOrPercent' | Schema | ListOf;
/** A list whose elements have one type (no Kubernetes field is named `listOf`). */
interface ListOf {
  listOf: FieldType;
}
export interface Schema {
  [field: string]: FieldType;
}

const keyToPath: Schema = { mode: 'integer' };
const projection: Schema = { defaultMode: 'integer', optional: 'boolean', items: { listOf: keyToPath } };
const readOnly: Schema = { readOnly: 'boolean' };

/** `core/v1 Volume`: the integer and boolean members of its sources. */
export const VOLUME_SCHEMA: Schema = {
  secret: projection,
  configMap: projection,
  downwardAPI: { defaultMode: 'integer', items: { listOf: keyToPath } },
  projected: {
    defaultMode: 'integer',
    sources: { listOf: { secret: projection, configMap: projection, downwardAPI: { items: { listOf: keyToPath } }, serviceAccountToken: { expirationSeconds: 'integer' } } },
  },
  persistentVolumeClaim: readOnly,
  nfs: readOnly,
  csi: readOnly,
  iscsi: { ...readOnly, lun: 'integer', chapAuthDiscovery: 'boolean', chapAuthSession: 'boolean' },
  fc: { ...readOnly, lun: 'integer' },
  awsElasticBlockStore: { ...readOnly, partition: 'integer' },
  gcePersistentDisk: { ...readOnly, partition: 'integer' },
  azureDisk: readOnly,
  azureFile: readOnly,
  cephfs: readOnly,
  rbd: readOnly,
};
/** `core/v1 VolumeMount`. */
export const VOLUME_MOUNT_SCHEMA: Schema = { readOnly: 'boolean' };
/** `core/v1 PodSecurityContext`. */
export const POD_SECURITY_CONTEXT_SCHEMA: Schema = {
  runAsUser: 'integer',
  runAsGroup: 'integer',
  fsGroup: 'integer',
  runAsNonRoot: 'boolean',
  supplementalGroups: { listOf: 'integer' },
  windowsOptions: { hostProcess: 'boolean' },
};
/** `apps/v1 DeploymentStrategy`: `maxSurge`/`maxUnavailable` are IntOrString, where a string must be a percentage. */
export const STRATEGY_SCHEMA: Schema = { rollingUpdate: { maxSurge: 'intOrPercent', maxUnavailable: 'intOrPercent' } };

const PERCENT = /^\d+%$/;

/** Escapes one JSON pointer segment (RFC 6901 §3: `~` → `~0`, `/` → `~1`). */
const segment = (s: string | number): string => String(s).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Returns `value` with every field `schema` types converted; keys are matched exactly (Kubernetes
 * field names are case-sensitive). `pointer` is the JSON pointer of `value` inside createOptions.
 */
export function convertK8sTypes(value: unknown, schema: FieldType, pointer: string): unknown {
  if (value === null || value === undefined) return value;
  const refuse = (expected: string): never => {
    throw new TranslateError('TRANSLATE_INVALID_K8S_VALUE', `createOptions${pointer} is ${JSON.stringify(value)}; Kubernetes needs ${expected} there`, { pointer, expected });
  };
  if (schema === 'boolean') {
    return toBoolean(value) ?? refuse('a boolean (true or false)');
  }
  if (schema === 'integer' || schema === 'intOrPercent') {
    const n = toInteger(value);
    if (n !== undefined) return n;
    if (schema === 'intOrPercent' && typeof value === 'string' && PERCENT.test(value)) return value;
    return refuse(schema === 'integer' ? 'an integer' : 'an integer or a percentage such as "25%"');
  }
  if (isListOf(schema)) {
    if (!Array.isArray(value)) return refuse('a list');
    return value.map((v, i) => convertK8sTypes(v, schema.listOf, `${pointer}/${i}`));
  }
  if (!isObj(value)) return refuse('an object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const field = (schema as Schema)[k];
    out[k] = field === undefined ? v : convertK8sTypes(v, field, `${pointer}/${segment(k)}`);
  }
  return out;
}

const isListOf = (t: Schema | ListOf): t is ListOf => Object.keys(t).length === 1 && 'listOf' in t;
