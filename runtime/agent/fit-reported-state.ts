import { TWIN_SECTION_MAX_BYTES } from '../twin/index.js';
import type { JsonObject, JsonValue } from './reported-state.js';

/**
 * How much of the `$edgeAgent` reported object survived, from all of it to the least that still
 * says how each module runs. Each level drops what the one before it dropped, and more:
 * - `full`: everything IoT Edge reports (runtime/agent/reported-state.ts);
 * - `no-env`: without the modules' `env` echo;
 * - `no-create-options`: `settings` keep `image` and `imageHash` only (no `createOptions` chunks);
 * - `short-descriptions`: `statusDescription` cut to 64 characters;
 * - `no-settings`: without `settings`, `imagePullPolicy`, `startupOrder`, `statusDescription`;
 * - `status`: per module `version`, `status`, `runtimeStatus`, `exitCode`, `restartCount`,
 *   `lastStartTimeUtc`, `lastExitTimeUtc`, `runsOn`;
 * - `runtime-status`: `runtimeStatus`, `exitCode`, `restartCount`, `runsOn`;
 * - `bare`: `runtimeStatus` only;
 * - `partial`: `bare` entries for as many modules as fit, modules not running first.
 * The order follows what IoT Hub tools need most: the deployment status and every module's
 * runtime status come last; echoes of the desired manifest (which the twin's desired section
 * already holds) go first. docs/agent.md "Limits".
 */
export const REPORT_LEVELS = ['full', 'no-env', 'no-create-options', 'short-descriptions', 'no-settings', 'status', 'runtime-status', 'bare', 'partial'] as const;
export type ReportLevel = (typeof REPORT_LEVELS)[number];

export interface FittedReport {
  state: JsonObject;
  level: ReportLevel;
  /** The serialized size of `state` (compact UTF-8 JSON, as IoT Hub measures a twin section). */
  bytes: number;
  /** Modules left out at level `partial` (0 otherwise). */
  omittedModules: number;
}

/** Where `statusDescription` is cut from level `short-descriptions` on (characters, not bytes). */
export const SHORT_DESCRIPTION_LENGTH = 64;

/**
 * The marker a shortened report carries (an edgemu field; IoT Edge tools ignore unknown ones):
 * `reportShortened: { level, omittedModules? }`. Absent from a full report.
 */
export const SHORTENED_KEY = 'reportShortened';

/**
 * Shortens a `$edgeAgent` reported object (as `buildReportedState` makes it) until it fits IoT
 * Hub's limit for a twin's reported section (32 KB of compact UTF-8 JSON,
 * learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins "Device twin size"; the one copy
 * of the limit is runtime/twin), going through `REPORT_LEVELS` in order and stopping at the first
 * that fits. `schemaVersion`, `version`, `lastDesiredStatus`, `lastDesiredVersion` and `runtime`
 * are never shortened: deployment metrics are computed from them. Pure; `state` is not modified.
 */
export function fitReportedState(state: JsonObject, maxBytes: number = TWIN_SECTION_MAX_BYTES.reported): FittedReport {
  for (const level of REPORT_LEVELS) {
    if (level === 'partial') break;
    const shortened = reportAtLevel(state, level);
    const bytes = jsonBytes(shortened);
    if (bytes <= maxBytes) return { state: shortened, level, bytes, omittedModules: 0 };
  }
  return partial(state, maxBytes);
}

/** `state` shortened to `level` (any level but `partial`, which depends on the limit). Pure. */
export function reportAtLevel(state: JsonObject, level: Exclude<ReportLevel, 'partial'>): JsonObject {
  return level === 'full' ? state : shortenTo(state, level);
}

const jsonBytes = (value: JsonValue): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
const isObject = (v: JsonValue | undefined): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function shortenTo(state: JsonObject, level: Exclude<ReportLevel, 'full' | 'partial'>): JsonObject {
  const out: JsonObject = { ...state, [SHORTENED_KEY]: { level } };
  const rank = REPORT_LEVELS.indexOf(level);
  const entries = (value: JsonValue | undefined, system: boolean): JsonValue | undefined =>
    isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, isObject(entry) ? shortenEntry(entry, rank, system) : entry])) : value;
  if (state.systemModules !== undefined) out.systemModules = entries(state.systemModules, true)!;
  if (state.modules !== undefined) out.modules = entries(state.modules, false)!;
  return out;
}

const STATUS_KEYS = ['version', 'status', 'runtimeStatus', 'exitCode', 'restartCount', 'lastStartTimeUtc', 'lastExitTimeUtc', 'runsOn'];
const RUNTIME_STATUS_KEYS = ['runtimeStatus', 'exitCode', 'restartCount', 'runsOn'];
const pick = (entry: JsonObject, keys: readonly string[]): JsonObject => Object.fromEntries(keys.filter((k) => k in entry).map((k) => [k, entry[k]!]));
const at = (level: ReportLevel) => REPORT_LEVELS.indexOf(level);

/** One module entry at level `rank` (system modules keep `runtimeStatus` and `statusDescription`'s short form up to `no-settings`). */
function shortenEntry(entry: JsonObject, rank: number, system: boolean): JsonObject {
  if (rank >= at('bare')) return pick(entry, ['runtimeStatus']);
  if (rank >= at('runtime-status')) return pick(entry, RUNTIME_STATUS_KEYS);
  if (rank >= at('status')) return pick(entry, STATUS_KEYS);
  const out: JsonObject = { ...entry };
  if (rank >= at('no-env')) delete out.env;
  if (rank >= at('no-create-options') && isObject(out.settings)) out.settings = pick(out.settings, ['image', 'imageHash']);
  if (rank >= at('short-descriptions') && typeof out.statusDescription === 'string') out.statusDescription = shortDescription(out.statusDescription);
  if (rank >= at('no-settings')) {
    delete out.settings;
    delete out.imagePullPolicy;
    delete out.startupOrder;
    if (!system) delete out.statusDescription;
  }
  return out;
}

/** The first `SHORT_DESCRIPTION_LENGTH` characters (whole code points), with an ellipsis when cut. */
export function shortDescription(text: string): string {
  const points = Array.from(text);
  return points.length <= SHORT_DESCRIPTION_LENGTH ? text : `${points.slice(0, SHORT_DESCRIPTION_LENGTH - 1).join('')}…`;
}

/** Level `partial`: `bare` entries, modules not running first (then by name), while they fit. */
function partial(state: JsonObject, maxBytes: number): FittedReport {
  const bare = shortenTo(state, 'bare');
  const modules = isObject(bare.modules) ? bare.modules : {};
  const names = Object.keys(modules).sort((a, b) => {
    const ra = (modules[a] as JsonObject | undefined)?.runtimeStatus === 'running' ? 1 : 0;
    const rb = (modules[b] as JsonObject | undefined)?.runtimeStatus === 'running' ? 1 : 0;
    return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
  });
  // The marker's count is written with as many digits as the total could need, so the size
  // reserved for it holds for every count below.
  const marker = (omitted: number): JsonObject => ({ level: 'partial', omittedModules: omitted });
  const shell: JsonObject = { ...bare, modules: {}, [SHORTENED_KEY]: marker(names.length) };
  let bytes = jsonBytes(shell);
  const kept: JsonObject = {};
  let count = 0;
  for (const name of names) {
    const add = jsonBytes(name) + 1 + jsonBytes(modules[name]!) + (count > 0 ? 1 : 0);
    if (bytes + add > maxBytes) break;
    kept[name] = modules[name]!;
    bytes += add;
    count += 1;
  }
  const sorted = Object.fromEntries(Object.keys(kept).sort().map((n) => [n, kept[n]!]));
  const result: JsonObject = { ...bare, modules: sorted, [SHORTENED_KEY]: marker(names.length - count) };
  return { state: result, level: 'partial', bytes: jsonBytes(result), omittedModules: names.length - count };
}
