import type { Deployment, ValidationResult } from './model.js';
import { validateManifest } from './validate-manifest.js';
import { lineAndColumn, locateJsonError } from './locate-json-error.js';

/**
 * Parses manifest text (a file's content, an HTTP body) and validates it. Malformed JSON is
 * a 400 (`ConfigFormatError`) whose message gives line and column. A UTF-8 byte-order mark
 * is tolerated (editors on Windows write one). Never throws.
 */
export function parseManifestText(text: string): ValidationResult<Deployment> {
  const parsed = parseJsonText(text);
  if (!parsed.ok) return { status: 400, errors: [{ path: '', message: parsed.message }], warnings: [] };
  return validateManifest(parsed.value);
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** `JSON.parse` with a message a person can act on ("not valid JSON at line 3, column 7: …"). */
export function parseJsonText(text: string): JsonParse {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { ok: false, message: 'the manifest is empty: expected a JSON object with "modulesContent"' };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const located = locateJsonError(body);
    if (!located) return { ok: false, message: `the manifest is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
    const { line, column } = lineAndColumn(body, located.position);
    return { ok: false, message: `the manifest is not valid JSON at line ${line}, column ${column}: ${located.message}` };
  }
}
