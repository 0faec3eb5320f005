import { isReservedKey } from './labels.js';
import { SIMULATE_LABEL, EXIT_CODE_ANNOTATION } from '../simulation-labels.js';
import { isEmpty, isObj, ordinal, type Warn } from './create-options-values.js';
import type { MappedCreateOptions } from './translate-types.js';

/** Label/annotation name part (`IsQualifiedName`). */
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label value (`IsValidLabelValue`). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes `IsQualifiedName`: the key rule shared by labels and annotations. */
export function isQualifiedKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** Docker `Labels` → pod labels where Kubernetes takes them as labels, else pod annotations. */
export function mapLabels(labels: unknown, out: MappedCreateOptions, warn: Warn): void {
  if (isEmpty(labels)) return;
  if (!isObj(labels)) {
    warn('createOptions.Labels is not an object and was ignored');
    return;
  }
  for (const [key, value] of Object.entries(labels).sort(([a], [b]) => ordinal(a, b))) {
    const path = `createOptions.Labels[${JSON.stringify(key)}]`;
    if (typeof value !== 'string') warn(`${path} is not a string and was ignored`);
    // The local cluster's failure simulation (docs/cluster.md) is opted into per module from the
    // manifest: the mode must be a pod label (KWOK stage selector), the exit code an annotation.
    else if (key === SIMULATE_LABEL) out.podLabels[key] = value;
    else if (key === EXIT_CODE_ANNOTATION) out.podAnnotations[key] = value;
    else if (isReservedKey(key)) warn(`${path} uses a key reserved for edgemu and was ignored`);
    else if (!isQualifiedKey(key)) warn(`${path} is not a valid Kubernetes label or annotation key and was ignored`);
    else if (value.length <= 63 && LABEL_VALUE.test(value)) out.podLabels[key] = value;
    else out.podAnnotations[key] = value;
  }
}
