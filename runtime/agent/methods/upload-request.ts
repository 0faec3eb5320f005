import { EdgemuError } from '../../errors.js';

/**
 * The payloads of UploadModuleLogs, UploadSupportBundle and GetTaskStatus, checked field by field
 * (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs; Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/ModuleLogsUploadRequest.cs`,
 * `SupportBundleRequest.cs`, `TaskStatusRequest.cs`, `logs/LogRequestItem.cs`, `logs/ModuleLogFilter.cs`).
 * A bad payload throws RequestPayloadError, answered 400 `{"message"}` naming the field.
 */
export class RequestPayloadError extends EdgemuError {
  constructor(message: string) {
    super('AGENT_METHOD_BAD_REQUEST', message);
  }
}

/** Guards against hostile payloads; real requests stay far below them. */
export const UPLOAD_LIMITS = { maxItems: 50, maxTail: 1_000_000, maxPatternLength: 1000, maxCorrelationIdLength: 128, maxSasUrlLength: 4096 } as const;

/** One item's filter with times as Unix seconds. */
export interface LogFilter {
  tail?: number;
  since?: number;
  until?: number;
  /** Syslog severity 0–7: only lines of exactly this level (the docs' "equal to specified log level"). */
  loglevel?: number;
  /** Only lines matching this regular expression. */
  regex?: RegExp;
}

export interface LogRequestItem {
  /** A regular expression over module names (case-insensitive). */
  id: RegExp;
  filter: LogFilter;
}

export interface ModuleLogsUploadRequest {
  schemaVersion: string;
  items: LogRequestItem[];
  encoding: 'none' | 'gzip';
  contentType: 'json' | 'text';
  sasUrl: string;
}

export interface SupportBundleRequest {
  schemaVersion: string;
  sasUrl: string;
  since?: number;
  until?: number;
  edgeRuntimeOnly: boolean;
}

export interface TaskStatusRequest {
  schemaVersion: string;
  correlationId: string;
}

type Json = Record<string, unknown>;

export function parseModuleLogsUploadRequest(payload: unknown, nowMs: number): ModuleLogsUploadRequest {
  const p = object(payload);
  // edgeAgent takes a single item object as a one-item list (SingleOrArrayConverter).
  const rawItems = p.items === undefined || p.items === null ? undefined : Array.isArray(p.items) ? p.items : [p.items];
  if (!rawItems) throw new RequestPayloadError('field "items" is missing: give [{"id": "<module name regex>", "filter": {...}}]');
  if (rawItems.length === 0) throw new RequestPayloadError('field "items" is empty: give at least one {"id": "<module name regex>"}');
  if (rawItems.length > UPLOAD_LIMITS.maxItems) throw new RequestPayloadError(`field "items" has ${rawItems.length} entries; at most ${UPLOAD_LIMITS.maxItems}`);
  return {
    schemaVersion: schemaVersion(p),
    items: rawItems.map((item, i) => logItem(item, `items[${i}]`, nowMs)),
    encoding: oneOf(p, 'encoding', ['none', 'gzip'], 'none'),
    contentType: oneOf(p, 'contentType', ['json', 'text'], 'text'),
    sasUrl: sasUrl(p),
  };
}

export function parseSupportBundleRequest(payload: unknown, nowMs: number): SupportBundleRequest {
  const p = object(payload);
  const request: SupportBundleRequest = { schemaVersion: schemaVersion(p), sasUrl: sasUrl(p), edgeRuntimeOnly: false };
  const since = time(p.since, 'since', nowMs);
  const until = time(p.until, 'until', nowMs);
  if (since !== undefined) request.since = since;
  if (until !== undefined) request.until = until;
  if (p.edgeRuntimeOnly !== undefined && p.edgeRuntimeOnly !== null) {
    if (typeof p.edgeRuntimeOnly !== 'boolean') throw new RequestPayloadError('field "edgeRuntimeOnly" must be true or false');
    request.edgeRuntimeOnly = p.edgeRuntimeOnly;
  }
  return request;
}

export function parseTaskStatusRequest(payload: unknown): TaskStatusRequest {
  const p = object(payload);
  const id = p.correlationId;
  if (typeof id !== 'string' || id.trim() === '') throw new RequestPayloadError('field "correlationId" is missing: give the correlationId that UploadModuleLogs or UploadSupportBundle answered');
  if (id.length > UPLOAD_LIMITS.maxCorrelationIdLength) throw new RequestPayloadError(`field "correlationId" is longer than ${UPLOAD_LIMITS.maxCorrelationIdLength} characters`);
  return { schemaVersion: schemaVersion(p), correlationId: id };
}

function object(payload: unknown): Json {
  // edgeAgent: `payloadOption.Expect(() => new ArgumentException("Request payload not found"))`.
  if (payload === undefined || payload === null) throw new RequestPayloadError('Request payload not found');
  if (typeof payload !== 'object' || Array.isArray(payload)) throw new RequestPayloadError('the request payload must be a JSON object');
  return payload as Json;
}

/** "1.0" (any 1.x is accepted, as edgeAgent only compares the major version). */
function schemaVersion(p: Json): string {
  const v = p.schemaVersion;
  if (typeof v !== 'string' || v.trim() === '') throw new RequestPayloadError('field "schemaVersion" is missing: use "1.0"');
  if (!/^1(\.\d+)?$/.test(v.trim())) throw new RequestPayloadError(`field "schemaVersion" is "${v}", which is not supported: use "1.0"`);
  return v.trim();
}

function sasUrl(p: Json): string {
  const v = p.sasUrl;
  if (typeof v !== 'string' || v.trim() === '') throw new RequestPayloadError('field "sasUrl" is missing: give the SAS URL of a blob container with write permission');
  if (v.length > UPLOAD_LIMITS.maxSasUrlLength) throw new RequestPayloadError(`field "sasUrl" is longer than ${UPLOAD_LIMITS.maxSasUrlLength} characters`);
  if (!/^https?:\/\/[^/?#\s]+/i.test(v.trim())) throw new RequestPayloadError('field "sasUrl" must be an https:// URL (a blob container SAS URL)');
  return v.trim();
}

function oneOf<T extends string>(p: Json, field: string, allowed: readonly T[], fallback: T): T {
  const v = p[field];
  if (v === undefined || v === null) return fallback;
  const match = typeof v === 'string' ? allowed.find((a) => a === v.toLowerCase()) : undefined;
  if (!match) throw new RequestPayloadError(`field "${field}" must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
  return match;
}

function logItem(raw: unknown, at: string, nowMs: number): LogRequestItem {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RequestPayloadError(`field "${at}" must be an object {"id": "<module name regex>", "filter": {...}}`);
  const item = raw as Json;
  if (typeof item.id !== 'string' || item.id.trim() === '') throw new RequestPayloadError(`field "${at}.id" is missing: give a module name or a regular expression over module names`);
  const id = pattern(item.id, `${at}.id`, 'i');
  const f = item.filter;
  if (f === undefined || f === null) return { id, filter: {} };
  if (typeof f !== 'object' || Array.isArray(f)) throw new RequestPayloadError(`field "${at}.filter" must be an object`);
  const raw2 = f as Json;
  const filter: LogFilter = {};
  if (raw2.tail !== undefined && raw2.tail !== null) {
    const tail = typeof raw2.tail === 'string' && /^\d+$/.test(raw2.tail) ? Number(raw2.tail) : raw2.tail;
    if (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0 || tail > UPLOAD_LIMITS.maxTail) {
      throw new RequestPayloadError(`field "${at}.filter.tail" must be a whole number from 0 to ${UPLOAD_LIMITS.maxTail}`);
    }
    filter.tail = tail;
  }
  const since = time(raw2.since, `${at}.filter.since`, nowMs);
  const until = time(raw2.until, `${at}.filter.until`, nowMs);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (raw2.loglevel !== undefined && raw2.loglevel !== null) {
    if (typeof raw2.loglevel !== 'number' || !Number.isInteger(raw2.loglevel) || raw2.loglevel < 0 || raw2.loglevel > 7) {
      throw new RequestPayloadError(`field "${at}.filter.loglevel" must be a syslog severity from 0 (emergency) to 7 (debug)`);
    }
    filter.loglevel = raw2.loglevel;
  }
  if (raw2.regex !== undefined && raw2.regex !== null) {
    if (typeof raw2.regex !== 'string') throw new RequestPayloadError(`field "${at}.filter.regex" must be a string`);
    filter.regex = pattern(raw2.regex, `${at}.filter.regex`, '');
  }
  return { id, filter };
}

/** A regular expression from the payload: bounded length, valid, and no nested quantifier like `(a+)+` (catastrophic backtracking). */
function pattern(source: string, field: string, flags: string): RegExp {
  if (source.length > UPLOAD_LIMITS.maxPatternLength) throw new RequestPayloadError(`field "${field}" is longer than ${UPLOAD_LIMITS.maxPatternLength} characters`);
  if (hasNestedQuantifier(source)) throw new RequestPayloadError(`field "${field}" repeats a group that itself repeats (like "(a+)+"), which can take exponential time; simplify the expression`);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new RequestPayloadError(`field "${field}" is not a valid regular expression (${(error as Error).message})`);
  }
}

/** True when a group containing `*`, `+` or `{n,}` is itself followed by one of them. */
export function hasNestedQuantifier(source: string): boolean {
  const stack: boolean[] = [];
  let inClass = false;
  let quantifiedInside = false;
  const unbounded = (i: number) => source[i] === '*' || source[i] === '+' || (source[i] === '{' && /^\{\d*,\d*\}/.test(source.slice(i)) && !/^\{\d+\}/.test(source.slice(i)));
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      stack.push(quantifiedInside);
      quantifiedInside = false;
    } else if (c === ')') {
      const inner: boolean = quantifiedInside;
      const outer = stack.pop() ?? false;
      if (inner && unbounded(i + 1)) return true;
      quantifiedInside = outer || inner || unbounded(i + 1);
    } else if (unbounded(i)) quantifiedInside = true;
  }
  return false;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, secs: 1, second: 1, seconds: 1, m: 60, min: 60, mins: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400, w: 604800, week: 604800, weeks: 604800 };

/**
 * `since`/`until` as the docs give them: a Unix timestamp (seconds), an RFC 3339 time, or a
 * duration back from now ("90 m", "1h", "2 days 3 hours 2 minutes"). Unix seconds, or undefined.
 */
export function time(value: unknown, field: string, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    const parts = [...s.matchAll(/(\d+)\s*([a-z]+)\s*/gi)];
    if (parts.length > 0 && parts.map((m) => m[0]).join('').trim() === s) {
      let seconds = 0;
      for (const [, n, unit] of parts) {
        const factor = UNIT_SECONDS[unit!.toLowerCase()];
        if (factor === undefined) throw new RequestPayloadError(`field "${field}" has unknown unit "${unit}"; use s, m, h, d or w`);
        seconds += Number(n) * factor;
      }
      return Math.floor(nowMs / 1000) - seconds;
    }
    if (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(Date.parse(s))) return Date.parse(s) / 1000;
  }
  throw new RequestPayloadError(`field "${field}" must be a Unix timestamp, an RFC 3339 time or a duration like "10m" or "1 h"`);
}

/**
 * Runs a handler body as edgeAgent's RequestManager answers (`requests/RequestManager.cs`): a
 * refused payload → 400 `{"message"}`, any other failure → 500 `{"message"}`.
 */
export async function answerRequest(body: () => Promise<{ status: number; payload?: unknown }>): Promise<{ status: number; payload?: unknown }> {
  try {
    return await body();
  } catch (error) {
    return { status: error instanceof RequestPayloadError ? 400 : 500, payload: { message: error instanceof Error ? error.message : String(error) } };
  }
}
