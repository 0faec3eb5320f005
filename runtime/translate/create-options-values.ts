import { createHash } from 'node:crypto';

/**
 * Small readers shared by the createOptions mappers: createOptions is untrusted JSON, so every
 * value is checked for its type before use and a wrong one is reported through `warn`.
 */

/** Receives one warning naming the createOptions field it is about. */
export type Warn = (message: string) => void;
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Docker treats these as "unset": `null`, `false`, `""`, `[]`, `{}` (and absent). */
export const isEmpty = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
/** Ordinal string order, independent of the locale. */
export const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** 8 hex digits of SHA-256: stable suffixes for names derived from free text. */
export const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

export function stringList(v: unknown, path: string, warn: Warn): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  // Docker's strslice accepts a single string as a one-element list.
  if (typeof v === 'string') return v === '' ? undefined : [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length === 0 ? undefined : [...v];
  warn(`${path} is not a string list and was ignored`);
  return undefined;
}

export function stringField(v: unknown, path: string, warn: Warn): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  warn(`${path} is not a string and was ignored`);
  return undefined;
}

export const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => ordinal(a, b)));

/**
 * The conversions of Newtonsoft.Json, which reads createOptions into Docker.DotNet's typed
 * `CreateContainerParameters` in edgeAgent (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker/DockerRuntimeModule.cs)
 * and k8s-experimental into the Kubernetes models: a boolean field takes `"true"`/`"false"` in any
 * case with surrounding whitespace (`bool.TryParse`), an integer field takes a decimal string.
 * `undefined` means "not convertible".
 */
export function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
  return undefined;
}

/** See {@link toBoolean}: a safe integer, or a decimal string of one. */
export function toInteger(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  return undefined;
}

/** A Docker boolean option: converted as edgeAgent does ({@link toBoolean}); anything else is warned about and ignored. */
export function booleanField(v: unknown, path: string, warn: Warn): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  const b = toBoolean(v);
  if (b === undefined) warn(`${path} ${JSON.stringify(v)} is not a boolean and was ignored`);
  return b;
}
