import type { ModuleSpec } from '../manifest/index.js';

/**
 * An immutable name → module map: the agent's unit of desired and current state
 * (IoT Edge `Agent.Core/ModuleSet.cs`). Both sides of a reconcile pass are ModuleSets so the
 * diff is a pure comparison of plain values.
 */
export type ModuleSet = ReadonlyMap<string, ModuleSpec>;

/** Builds a ModuleSet; a duplicate name is a programming error (the validator forbids it). */
export function moduleSetOf(modules: Iterable<ModuleSpec>): ModuleSet {
  const set = new Map<string, ModuleSpec>();
  for (const m of modules) {
    if (set.has(m.name)) throw new Error(`duplicate module ${m.name} in module set`);
    set.set(m.name, m);
  }
  return set;
}

/**
 * The four ways desired and current can differ (IoT Edge `Agent.Core/Diff.cs`). Every list is
 * sorted by name so plans are deterministic.
 */
export interface ModuleSetDiff {
  /** Only in desired (the desired spec). */
  readonly added: readonly ModuleSpec[];
  /** In both, with a different configuration (the desired spec): recreate / roll out. */
  readonly updated: readonly ModuleSpec[];
  /** In both, same configuration, only `status` (running/stopped) differs (the desired spec): no recreate. */
  readonly desiredStatusChanged: readonly ModuleSpec[];
  /** Only in current (the current spec). */
  readonly removed: readonly ModuleSpec[];
}

export const isEmptyDiff = (d: ModuleSetDiff): boolean =>
  d.added.length + d.updated.length + d.desiredStatusChanged.length + d.removed.length === 0;

/**
 * `desired.Diff(current)` as IoT Edge computes it: a change in image, createOptions, env,
 * version, restartPolicy, imagePullPolicy or startupOrder makes a module "updated"; a change
 * only in `status` makes it "desiredStatusChanged" (`DockerModule.IsOnlyModuleStatusChanged`),
 * which must never recreate the module.
 */
export function diffModuleSets(desired: ModuleSet, current: ModuleSet): ModuleSetDiff {
  const added: ModuleSpec[] = [];
  const updated: ModuleSpec[] = [];
  const desiredStatusChanged: ModuleSpec[] = [];
  const removed: ModuleSpec[] = [];
  for (const [name, want] of desired) {
    const have = current.get(name);
    if (!have) added.push(want);
    else if (!moduleConfigEquals(want, have)) updated.push(want);
    else if (want.status !== have.status) desiredStatusChanged.push(want);
  }
  for (const [name, have] of current) if (!desired.has(name)) removed.push(have);
  const byName = (a: ModuleSpec, b: ModuleSpec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    added: added.sort(byName),
    updated: updated.sort(byName),
    desiredStatusChanged: desiredStatusChanged.sort(byName),
    removed: removed.sort(byName),
  };
}

/**
 * Configuration equality ignoring `status`. createOptions compare as JSON values after a
 * round-trip with sorted keys (IoT Edge `DockerConfig.CompareCreateOptions`), so chunking or
 * key order in the manifest never forces a recreate.
 */
export function moduleConfigEquals(a: ModuleSpec, b: ModuleSpec): boolean {
  return (
    a.name === b.name &&
    a.type === b.type &&
    a.version === b.version &&
    a.image === b.image &&
    a.restartPolicy === b.restartPolicy &&
    a.imagePullPolicy === b.imagePullPolicy &&
    a.startupOrder === b.startupOrder &&
    canonicalJson(a.env) === canonicalJson(b.env) &&
    canonicalJson(a.createOptions) === canonicalJson(b.createOptions)
  );
}

/** JSON with object keys sorted at every level: a stable fingerprint of a plain value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
