import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: the same value always gives the same text, so
 * hashes do not depend on the order keys were written in. Same text as
 * `JSON.stringify` of a key-sorted copy (undefined members skipped, undefined in arrays → null),
 * written in one pass without building the copy: it runs for every module on every agent pass.
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  const write = (v: unknown): void => {
    if (typeof v === 'string') out += JSON.stringify(v);
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'boolean') out += v ? 'true' : 'false';
    else if (v === null || typeof v !== 'object') out += 'null';
    else if (Array.isArray(v)) writeArray(v);
    else writeObject(v as Record<string, unknown>);
  };
  const writeArray = (v: unknown[]): void => {
    out += '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      write(v[i]);
    }
    out += ']';
  };
  const writeObject = (record: Record<string, unknown>): void => {
    let first = true;
    out += '{';
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      if (!first) out += ',';
      first = false;
      out += quoteKey(key);
      write(member);
    }
    out += '}';
  };
  write(value);
  return out;
}

const SIMPLE_KEY = /^[A-Za-z0-9_./-]*$/;
/** `"key":` — keys without characters JSON escapes need no JSON.stringify. */
const quoteKey = (key: string): string => (SIMPLE_KEY.test(key) ? `"${key}":` : `${JSON.stringify(key)}:`);

/** A short (64-bit) SHA-256 hex digest of the canonical JSON of `value`, for change detection. */
export const specHash = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
