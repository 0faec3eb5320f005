import { checkSchemaVersion, MethodRequestError, optionalEnum, optionalInteger, optionalObject, requirePayloadObject, requireString, type JsonRecord } from './method-request.js';
import { parseLogTime } from './log-time.js';
import { compileSafeRegex, MAX_REGEX_LENGTH, type SafeRegex } from './safe-regex.js';
import type { ModuleLogFilter } from './module-log-lines.js';

/**
 * Most items one GetModuleLogs or UploadModuleLogs request may carry. edgeAgent sets no limit;
 * edgemu's is 20 because each item is a log read from the API server (docs/agent.md, "Limits").
 */
export const MAX_LOG_ITEMS = 20;
/** Largest `tail` accepted (edgemu's limit; a log is read whole, so this bounds one read). */
export const MAX_TAIL = 100_000;

/** edgeAgent's id that selects every module (`Constants.AllModulesIdentifier`). */
const ALL_MODULES = 'all';

export interface LogsRequestItem {
  /** The item's `id`: a regex over module names (case-insensitive, unanchored), or `all`. */
  id: string;
  matches(moduleName: string): boolean;
  filter: ModuleLogFilter;
  /** edgemu's addition: read the previous container's log (`kubectl logs --previous`). */
  previous: boolean;
}

export interface LogsRequest {
  schemaVersion: string;
  items: LogsRequestItem[];
  encoding: 'gzip' | 'none';
  contentType: 'json' | 'text';
}

/**
 * Reads a GetModuleLogs payload (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs,
 * "Retrieve module logs"): `schemaVersion`, `items[{id, filter{tail, since, until, loglevel, regex}}]`,
 * `encoding` gzip|none (default none), `contentType` json|text (default text). Every field is
 * checked; a bad one is a 400 that names it. `nowMs` resolves durations (`since: "10m"`).
 */
export function parseLogsRequest(payload: unknown, nowMs: number): LogsRequest {
  return parseLogsFields(requirePayloadObject(payload), nowMs);
}

/**
 * The fields GetModuleLogs and UploadModuleLogs share (`schemaVersion`, `items`, `encoding`,
 * `contentType`) out of a payload object. A single item object is taken as a one-item list, as
 * edgeAgent's `SingleOrArrayConverter` reads `items`.
 */
export function parseLogsFields(body: JsonRecord, nowMs: number): LogsRequest {
  const schemaVersion = checkSchemaVersion(body);
  const raw = body.items;
  const items = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? [raw] : raw;
  if (!Array.isArray(items) || items.length === 0) throw new MethodRequestError('items: required, a non-empty array of {"id", "filter"}', 'items');
  if (items.length > MAX_LOG_ITEMS) throw new MethodRequestError(`items: at most ${MAX_LOG_ITEMS} items (got ${items.length})`, 'items');
  return {
    schemaVersion,
    items: items.map((item, i) => parseItem(item, `items[${i}]`, nowMs)),
    encoding: optionalEnum(body, 'encoding', 'encoding', ['gzip', 'none'] as const) ?? 'none',
    contentType: optionalEnum(body, 'contentType', 'contentType', ['json', 'text'] as const) ?? 'text',
  };
}

function parseItem(item: unknown, field: string, nowMs: number): LogsRequestItem {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new MethodRequestError(`${field}: must be an object {"id", "filter"}`, field);
  const body = item as JsonRecord;
  const id = requireString(body, 'id', `${field}.id`, MAX_REGEX_LENGTH);
  let matcher: SafeRegex | undefined;
  if (id.toLowerCase() !== ALL_MODULES) matcher = compileSafeRegex(id, `${field}.id`, { ignoreCase: true });
  const f = optionalObject(body, 'filter', `${field}.filter`) ?? {};
  const regexSource = f.regex;
  if (regexSource !== undefined && regexSource !== null && typeof regexSource !== 'string') throw new MethodRequestError(`${field}.filter.regex: must be a string`, `${field}.filter.regex`);
  const previous = f.previous;
  if (previous !== undefined && previous !== null && typeof previous !== 'boolean') throw new MethodRequestError(`${field}.filter.previous: must be true or false`, `${field}.filter.previous`);
  const filter: ModuleLogFilter = {
    tail: optionalInteger(f, 'tail', `${field}.filter.tail`, 0, MAX_TAIL),
    since: f.since === undefined || f.since === null ? undefined : parseLogTime(f.since, `${field}.filter.since`, nowMs),
    until: f.until === undefined || f.until === null ? undefined : parseLogTime(f.until, `${field}.filter.until`, nowMs),
    loglevel: optionalInteger(f, 'loglevel', `${field}.filter.loglevel`, 0, 7),
    regex: typeof regexSource === 'string' ? compileSafeRegex(regexSource, `${field}.filter.regex`) : undefined,
  };
  if (filter.since !== undefined && filter.until !== undefined && filter.until < filter.since) {
    throw new MethodRequestError(`${field}.filter.until: is before since`, `${field}.filter.until`);
  }
  return { id, matches: (name) => matcher === undefined || matcher.test(name), filter, previous: previous === true };
}

/**
 * The modules each item selects, in request order; a module picked by an earlier item keeps that
 * item's filter (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/LogsRequestToOptionsMapper.cs`,
 * `GetIdsToProcess`: names compared case-insensitively, first item wins).
 */
export function selectLogModules(items: readonly LogsRequestItem[], moduleNames: readonly string[]): Array<{ moduleId: string; item: LogsRequestItem }> {
  const chosen = new Map<string, { moduleId: string; item: LogsRequestItem }>();
  for (const item of items) {
    for (const name of moduleNames) {
      const key = name.toLowerCase();
      if (!chosen.has(key) && item.matches(name)) chosen.set(key, { moduleId: name, item });
    }
  }
  return [...chosen.values()];
}
