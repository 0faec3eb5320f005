import { EdgemuError } from '../../errors.js';

/**
 * A request edgeAgent refuses: answered 400 `{"message": …}` (edgeAgent turns an `ArgumentException`
 * into 400, anything else into 500: Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/RequestManager.cs`). `field` names
 * the payload field at fault (`items[0].filter.tail`), when there is one.
 */
export class MethodRequestError extends EdgemuError {
  constructor(message: string, field?: string) {
    super('AGENT_METHOD_BAD_REQUEST', message, field === undefined ? {} : { details: { field } });
  }
}

/** A method that was understood but could not be carried out: answered 500 `{"message": …}`. */
export class MethodFailedError extends EdgemuError {
  constructor(message: string, cause?: unknown) {
    super('AGENT_METHOD_FAILED', message, { cause });
  }
}

export type JsonRecord = Record<string, unknown>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The payload as an object; edgeAgent's wording when it is missing ("Request payload not found"). */
export function requirePayloadObject(payload: unknown): JsonRecord {
  if (payload === null || payload === undefined) throw new MethodRequestError('Request payload not found');
  if (typeOf(payload) !== 'object') throw new MethodRequestError(`Error parsing command payload because of error - the payload must be a JSON object, not ${typeOf(payload)}`);
  return payload as JsonRecord;
}

/**
 * `schemaVersion`: required, a string with major version 1 ("1.0"; a later 1.x is accepted as
 * edgeAgent accepts a mismatched minor version with a warning).
 */
export function checkSchemaVersion(body: JsonRecord): string {
  const v = body.schemaVersion;
  if (typeof v !== 'string' || v.trim() === '') throw new MethodRequestError(`schemaVersion: required, a string "1.0" (got ${typeOf(v)})`, 'schemaVersion');
  if (!/^1(\.\d{1,9}){0,3}$/.test(v.trim())) throw new MethodRequestError(`schemaVersion: "${v.slice(0, 40)}" is not supported; use "1.0"`, 'schemaVersion');
  return v.trim();
}

/** A required non-blank string of at most `maxLength` characters. */
export function requireString(body: JsonRecord, key: string, field: string, maxLength: number): string {
  const v = body[key];
  if (typeof v !== 'string' || v.trim() === '') throw new MethodRequestError(`${field}: required, a non-empty string (got ${typeOf(v)})`, field);
  if (v.length > maxLength) throw new MethodRequestError(`${field}: at most ${maxLength} characters (got ${v.length})`, field);
  return v;
}

/** An optional string of at most `maxLength` characters. */
export function optionalString(body: JsonRecord, key: string, field: string, maxLength: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new MethodRequestError(`${field}: must be a string (got ${typeOf(v)})`, field);
  if (v.length > maxLength) throw new MethodRequestError(`${field}: at most ${maxLength} characters (got ${v.length})`, field);
  return v;
}

/** An optional integer in [min, max]; a numeric string is accepted as Newtonsoft.Json accepts it. */
export function optionalInteger(body: JsonRecord, key: string, field: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new MethodRequestError(`${field}: must be an integer (got ${typeOf(v)} ${JSON.stringify(v)?.slice(0, 40)})`, field);
  if (n < min || n > max) throw new MethodRequestError(`${field}: must be from ${min} to ${max} (got ${n})`, field);
  return n;
}

/** An optional value out of a fixed set, compared case-insensitively (Newtonsoft reads enums so). */
export function optionalEnum<T extends string>(body: JsonRecord, key: string, field: string, values: readonly T[]): T | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  const found = typeof v === 'string' ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
  if (found === undefined) throw new MethodRequestError(`${field}: must be one of ${values.map((x) => `"${x}"`).join(', ')} (got ${JSON.stringify(v)?.slice(0, 40)})`, field);
  return found;
}

/** An optional JSON object. */
export function optionalObject(body: JsonRecord, key: string, field: string): JsonRecord | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeOf(v) !== 'object') throw new MethodRequestError(`${field}: must be a JSON object (got ${typeOf(v)})`, field);
  return v as JsonRecord;
}
