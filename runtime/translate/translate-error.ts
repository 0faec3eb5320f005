import { EdgemuError } from '../errors.js';

/**
 * Stable codes of the translation errors. Callers (the agent, the CLI, tests) branch on these,
 * never on message text.
 * - `TRANSLATE_INVALID_ENV_NAME`: an environment variable name Kubernetes refuses.
 * - `TRANSLATE_NAME_COLLISION`: two manifest names map to the same Kubernetes object name.
 * - `TRANSLATE_INVALID_CONTEXT`: the translation context (device id, hub host, …) is unusable.
 * - `TRANSLATE_UNREPRESENTABLE_CONNECTION_STRING`: an id contains `;`, which a connection string cannot carry.
 * - `TRANSLATE_INVALID_K8S_VALUE`: a `k8s-experimental` value has a type Kubernetes refuses and no conversion (details.pointer).
 */
export type TranslateErrorCode =
  | 'TRANSLATE_INVALID_ENV_NAME'
  | 'TRANSLATE_NAME_COLLISION'
  | 'TRANSLATE_INVALID_CONTEXT'
  | 'TRANSLATE_UNREPRESENTABLE_CONNECTION_STRING'
  | 'TRANSLATE_INVALID_K8S_VALUE';

/** A manifest or context that cannot be turned into Kubernetes objects without changing its meaning. */
export class TranslateError extends EdgemuError {
  declare readonly code: TranslateErrorCode;

  constructor(code: TranslateErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details });
  }

  override get name(): string {
    return 'TranslateError';
  }
}

/** Throws `TRANSLATE_NAME_COLLISION` when two different originals map to the same Kubernetes name. */
export function assertDistinctNames(pairs: [string, string][], what: string): void {
  const seen = new Map<string, string>();
  for (const [original, name] of pairs) {
    const other = seen.get(name);
    if (other !== undefined && other !== original) {
      throw new TranslateError('TRANSLATE_NAME_COLLISION', `${what}s ${JSON.stringify(other)} and ${JSON.stringify(original)} both map to the Kubernetes name ${JSON.stringify(name)}`, {
        kind: what,
        names: [other, original],
        k8sName: name,
      });
    }
    seen.set(name, original);
  }
}
