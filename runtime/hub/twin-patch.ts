/**
 * Twin document algebra, pure: JSON merge-patch (RFC 7396, the semantics IoT Hub applies to
 * desired and reported patches: objects merge, `null` removes, everything else replaces),
 * the inverse (a patch that turns one document into another), and the `$metadata` tree IoT
 * Hub keeps next to each section (`$lastUpdated`, plus `$lastUpdatedVersion` for desired).
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One node of `$metadata`: timestamps of the node itself, child nodes by key. */
export interface MetadataNode {
  $lastUpdated: string;
  $lastUpdatedVersion?: number;
  [key: string]: MetadataNode | string | number | undefined;
}

export const isPlainObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7396 merge: returns a new object; `target` is not modified. */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value)) {
      const existing = out[key];
      out[key] = applyMergePatch(isPlainObject(existing) ? existing : {}, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch that turns `from` into `to` (removed keys become `null`). Used when a whole
 * desired section is replaced (applyConfigurationContent, PUT twin): connected clients get
 * this patch, exactly what they need to merge locally.
 */
export function diffToMergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    if (isPlainObject(old) && isPlainObject(value)) {
      const sub = diffToMergePatch(old, value);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!jsonEqual(old, value)) {
      patch[key] = value;
    }
  }
  return patch;
}

/** Removes `null` members recursively: a patch applied to nothing. */
export const stripNulls = (patch: JsonObject): JsonObject => applyMergePatch({}, patch);

/** A fresh metadata root for an empty section. */
export const emptyMetadata = (time: string, version?: number): MetadataNode =>
  version === undefined ? { $lastUpdated: time } : { $lastUpdated: time, $lastUpdatedVersion: version };

/**
 * Updates `$metadata` for a merge patch: every node the patch touches (and the root) gets
 * `$lastUpdated = time` (and `$lastUpdatedVersion` for desired); removed keys lose their node.
 */
export function applyPatchMetadata(meta: MetadataNode, patch: JsonObject, time: string, version?: number): MetadataNode {
  const out: MetadataNode = { ...meta, ...stamp(time, version) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value)) {
      const existing = out[key];
      const base = typeof existing === 'object' && existing !== null ? (existing as MetadataNode) : stamp(time, version);
      out[key] = applyPatchMetadata(base, value, time, version);
    } else {
      out[key] = stamp(time, version);
    }
  }
  return out;
}

const stamp = (time: string, version?: number): MetadataNode =>
  version === undefined ? { $lastUpdated: time } : { $lastUpdated: time, $lastUpdatedVersion: version };

/** IoT Hub-style ETag of a twin version: base64 of the 64-bit big-endian version (`AAAAAAAAAAE=` for 1). */
export function etagOf(version: number): string {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(BigInt(version));
  return buf.toString('base64');
}
