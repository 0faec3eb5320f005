import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Largest JSON a CLI argument or `@file` may hold (1 MiB, the service API's body limit). */
const MAX_ARG_BYTES = 1024 * 1024;

/**
 * Reads a JSON command-line argument: the text itself, or `@path` for a file's content.
 * Bad JSON is a usage error naming the argument (exit 2).
 */
export function parseJsonArgument(name: string, text: string): unknown {
  let source = text;
  if (text.startsWith('@')) {
    try {
      const bytes = readFileSync(text.slice(1));
      if (bytes.length > MAX_ARG_BYTES) throw new UsageError(`${name}: ${text.slice(1)} is larger than ${MAX_ARG_BYTES} bytes`);
      source = bytes.toString('utf8');
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${name}: cannot read ${text.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UsageError(`${name} must be JSON (quote text as '"text"'): ${(error as Error).message}`);
  }
}

/**
 * The twin patch `edgemu twin patch` sends: a document with `properties` or `tags` at the top
 * is sent as the service patch it already is; any other object is a desired-properties patch.
 */
export function toTwinPatch(value: unknown): { tags?: unknown; properties?: { desired?: unknown } } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('the twin patch must be a JSON object');
  const obj = value as Record<string, unknown>;
  if ('properties' in obj || 'tags' in obj) {
    const extra = Object.keys(obj).filter((k) => k !== 'properties' && k !== 'tags');
    if (extra.length > 0) throw new UsageError(`the twin patch has ${extra.join(', ')} next to properties/tags; put desired properties under properties.desired`);
    return obj as { tags?: unknown; properties?: { desired?: unknown } };
  }
  return { properties: { desired: obj } };
}

/** Parses repeated `--property k=v` values (`=` inside the value is kept). */
export function parseProperties(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--property must be key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** A timeout in seconds from the command line (`min`–300, IoT Hub's upper bound). */
export function parseTimeoutSeconds(text: string, option = '--timeout', min = 1): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > 300) throw new UsageError(`${option} must be a number of seconds from ${min} to 300, got ${JSON.stringify(text)}`);
  return n;
}
