/**
 * IoT Hub's rules for twin documents, as pure checks (learn.microsoft.com "Understand device
 * twins" → "Tags and properties format" and "Device twin size"; edgeHub's
 * `ReportedPropertiesValidator.cs`, iotedge-protocol §7.5):
 * - keys: ≤ 1024 bytes UTF-8, no control characters, no `.`, `$`, `#` or whitespace;
 * - depth: at most 10 levels of nested objects;
 * - string values ≤ 4096 bytes; integers within ±2^53 (JSON-safe);
 * - each section (tags, desired, reported) ≤ 32 KB once serialized.
 */
export const MAX_TWIN_DEPTH = 10;
export const MAX_KEY_BYTES = 1024;
export const MAX_STRING_BYTES = 4096;
export const MAX_SECTION_BYTES = 32 * 1024;

export interface TwinRuleViolation {
  /** Dotted path to the offending key or value (`a.b.c`). */
  path: string;
  message: string;
}

// eslint-disable-next-line no-control-regex
const BAD_KEY = /[\u0000-\u001f\u007f.$#\s]/;

/** Checks a patch (or whole section) against the key/value/depth rules. Empty array = valid. */
export function checkTwinPatch(patch: unknown): TwinRuleViolation[] {
  const issues: TwinRuleViolation[] = [];
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return [{ path: '', message: 'a twin patch must be a JSON object' }];
  }
  walk(patch as Record<string, unknown>, '', 1, issues);
  return issues;
}

function walk(obj: Record<string, unknown>, prefix: string, depth: number, issues: TwinRuleViolation[]): void {
  if (depth > MAX_TWIN_DEPTH) {
    issues.push({ path: prefix, message: `nesting exceeds the maximum depth of ${MAX_TWIN_DEPTH}` });
    return;
  }
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (key.length === 0) issues.push({ path, message: 'empty property name' });
    else if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) issues.push({ path, message: `property name longer than ${MAX_KEY_BYTES} bytes` });
    else if (BAD_KEY.test(key)) issues.push({ path, message: "property names cannot contain '.', '$', '#', whitespace or control characters" });
    checkValue(value, path, depth, issues);
  }
}

function checkValue(value: unknown, path: string, depth: number, issues: TwinRuleViolation[]): void {
  if (typeof value === 'string') {
    if (Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) issues.push({ path, message: `string value longer than ${MAX_STRING_BYTES} bytes` });
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) issues.push({ path, message: 'number is not finite' });
    else if (Number.isInteger(value) && !Number.isSafeInteger(value)) issues.push({ path, message: 'integer outside ±2^53' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) walk(item as Record<string, unknown>, `${path}[${i}]`, depth + 1, issues);
      else checkValue(item, `${path}[${i}]`, depth + 1, issues);
    });
  } else if (value !== null && typeof value === 'object') {
    walk(value as Record<string, unknown>, path, depth + 1, issues);
  }
}

/** Checks the serialized size of a whole section after a patch was merged into it. */
export function checkSectionSize(section: Record<string, unknown>, name: string): TwinRuleViolation[] {
  const size = Buffer.byteLength(JSON.stringify(section), 'utf8');
  return size > MAX_SECTION_BYTES ? [{ path: '', message: `${name} section would be ${size} bytes, more than ${MAX_SECTION_BYTES}` }] : [];
}
