import type { CreateOptions } from './model.js';
import { locateJsonError } from './locate-json-error.js';

/** At most 100 chunks (`Agent.Docker/Constants.cs TwinValueMaxChunks = 100`). */
export const MAX_CREATE_OPTIONS_CHUNKS = 100;

const CHUNK_KEY = /^createoptions(\d*)$/i;

export type JoinedCreateOptions =
  | { ok: true; raw: string; value: CreateOptions; chunkKeys: string[]; /** chunks written as JSON values rather than strings */ nonStringKeys: string[] }
  | { ok: false; key: string; message: string };

/**
 * The text edgeAgent takes from one chunk: `DockerConfigJsonConverter.ReadJson`
 * (`Agent.Docker/DockerConfig.cs`) joins `token?.ToString()` of each chunk, so a string is
 * itself, an object (as iotedgedev templates write it) or array is its JSON text, `null` is
 * empty, and a boolean is .NET's `True`/`False` (which then fails to parse, as on IoT Edge).
 * The JSON text of objects is written compactly here: whitespace does not change its meaning.
 */
function chunkText(piece: unknown): string {
  if (typeof piece === 'string') return piece;
  if (piece === null || piece === undefined) return '';
  if (typeof piece === 'boolean') return piece ? 'True' : 'False';
  if (typeof piece === 'number') return String(piece);
  return JSON.stringify(piece);
}

/**
 * Joins and parses a module's createOptions the way the agent reads them
 * (`edge-util JsonEx.ChunkedProperty`, `DockerConfig.GetCreateOptions`): collect every
 * `createOptions[NN]` key, sort ordinally, require `createOptions` then `createOptions01`,
 * `createOptions02`, … with no gap, concatenate, and parse the result as a Docker
 * `ContainerCreate` JSON object. A chunk written as a JSON object is accepted as its JSON
 * text (see `chunkText`); `raw` is then the normalized string form. Empty, blank and `"null"` mean "no options" (`{}`).
 * Errors name the chunk key to edit. Never throws.
 */
export function joinCreateOptions(settings: Record<string, unknown>): JoinedCreateOptions {
  const keys: string[] = [];
  for (const k of Object.keys(settings)) if (CHUNK_KEY.test(k)) keys.push(k);
  if (keys.length > 1) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return { ok: true, raw: '', value: {}, chunkKeys: [], nonStringKeys: [] };
  if (keys.length > MAX_CREATE_OPTIONS_CHUNKS) {
    return { ok: false, key: keys[MAX_CREATE_OPTIONS_CHUNKS]!, message: `createOptions has ${keys.length} chunks; at most ${MAX_CREATE_OPTIONS_CHUNKS} are allowed` };
  }
  const pieces: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const suffix = CHUNK_KEY.exec(key)![1]!;
    const expected = i === 0 ? '' : String(i).padStart(2, '0');
    if (suffix !== expected) {
      const want = `createOptions${expected}`;
      const message =
        i === 0
          ? `createOptions chunk "${key}" has no preceding "createOptions": chunks start at "createOptions", then "createOptions01", "createOptions02", …`
          : `createOptions chunks must be contiguous: expected "${want}" after "${keys[i - 1]}" but found "${key}"`;
      return { ok: false, key, message };
    }
    pieces.push(chunkText(settings[key]));
  }
  const raw = pieces.length === 1 ? pieces[0]! : pieces.join('');
  const nonStringKeys = keys.filter((k) => typeof settings[k] !== 'string');
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed === 'null') return { ok: true, raw, value: {}, chunkKeys: keys, nonStringKeys };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    const located = locateJsonError(raw);
    const joined = keys.length > 1 ? ` (joined from ${keys.join(', ')})` : '';
    if (!located) return { ok: false, key: keys[0]!, message: `createOptions${joined} is not valid JSON` };
    // map the position in the joined text back to the chunk that holds it
    let offset = located.position;
    let index = 0;
    while (index < pieces.length - 1 && offset >= pieces[index]!.length) offset -= pieces[index++]!.length;
    const key = keys[index]!;
    return { ok: false, key, message: `createOptions${joined} is not valid JSON: ${located.message} (in "${key}" at character ${offset + 1})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, key: keys[0]!, message: `createOptions must be a JSON object (a Docker ContainerCreate body such as {"HostConfig":{…}}), got ${Array.isArray(parsed) ? 'an array' : typeof parsed}` };
  }
  return { ok: true, raw, value: parsed as CreateOptions, chunkKeys: keys, nonStringKeys };
}

/** A problem in the shape of parsed createOptions, with a pointer relative to the createOptions object. */
export interface CreateOptionsProblem {
  /** JSON pointer inside the parsed createOptions (e.g. `/HostConfig/Binds/0`). */
  at: string;
  message: string;
  /** Accepted (IoT Edge accepts it) but worth telling the user. */
  warning?: true;
}

/**
 * A bind as Docker reads it (Docker Engine API, HostConfig.Binds: `host-src:container-dest[:options]`),
 * where either path may be a Windows path with a drive letter (`C:\\ProgramData\\x`, `C:/Dev/x`):
 * edgeAgent passes Binds to Docker unchecked (`Agent.Docker/DockerConfig.cs` only deserializes
 * `CreateContainerParameters`), and Docker on Windows takes drive-letter paths. The target
 * must be absolute (Docker refuses a relative one on every platform).
 */
const BIND = /^((?:[a-zA-Z]:)?[^:]+):((?:[a-zA-Z]:[\\/]|\/)[^:]*)(?::[a-zA-Z,]+)?$/;
const WINDOWS_PATH = /^[a-zA-Z]:|\\/;

const portKey = /^\d{1,5}(\/(tcp|udp|sctp))?$/;

/** Opening brackets in JSON text: an upper bound of its nesting depth (cheaper than walking the parsed value). */
function bracketCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) n++;
  }
  return n;
}

/** Deepest nesting accepted inside createOptions. */
export const MAX_CREATE_OPTIONS_NESTING = 32;

/** True when `value` nests objects/arrays more than `limit` levels (iterative: safe on any input). */
function nestingExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, level] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (level > limit) return true;
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, level + 1]);
  }
  return false;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Checks the parts of a Docker `ContainerCreate` body that edgemu translates to Kubernetes
 * (Docker Engine API `ContainerConfig`/`HostConfig` types): Env `["K=V"]`, Cmd/Entrypoint,
 * ExposedPorts `{"80/tcp":{}}`, Labels, HostConfig.Binds `["src:dst[:mode]"]`,
 * HostConfig.PortBindings `{"80/tcp":[{"HostPort":"8080"}]}`. Docker itself rejects
 * these shapes, so a manifest carrying them could never have run. Pass the JSON text as
 * `raw` when known: it lets the nesting check be skipped for small documents.
 */
export function checkCreateOptionsShape(options: CreateOptions, raw?: string): CreateOptionsProblem[] {
  const problems: CreateOptionsProblem[] = [];
  // Docker bodies are a few levels deep; hostile nesting would overflow JSON.stringify downstream
  const mayBeDeep = raw === undefined || bracketCount(raw) > MAX_CREATE_OPTIONS_NESTING;
  if (mayBeDeep && nestingExceeds(options, MAX_CREATE_OPTIONS_NESTING)) {
    return [{ at: '', message: `createOptions are nested more than ${MAX_CREATE_OPTIONS_NESTING} levels deep` }];
  }
  if (options.Env !== undefined) {
    if (!isStringArray(options.Env)) problems.push({ at: '/Env', message: 'Env must be an array of "NAME=value" strings' });
    else options.Env.forEach((e, i) => {
      if (!/^[^=]+=/.test(e) && !/^[^=]+$/.test(e)) problems.push({ at: `/Env/${i}`, message: `Env entry ${JSON.stringify(e)} must look like "NAME=value"` });
    });
  }
  for (const key of ['Cmd', 'Entrypoint'] as const) {
    const v = options[key];
    if (v !== undefined && v !== null && typeof v !== 'string' && !isStringArray(v)) problems.push({ at: `/${key}`, message: `${key} must be a string or an array of strings` });
  }
  if (options.Labels !== undefined && options.Labels !== null) {
    if (!isObject(options.Labels) || !Object.values(options.Labels).every((v) => typeof v === 'string')) problems.push({ at: '/Labels', message: 'Labels must be an object of string values' });
  }
  if (options.ExposedPorts !== undefined && options.ExposedPorts !== null) {
    if (!isObject(options.ExposedPorts)) problems.push({ at: '/ExposedPorts', message: 'ExposedPorts must be an object such as {"8080/tcp": {}}' });
    else for (const k of Object.keys(options.ExposedPorts)) if (!portKey.test(k)) problems.push({ at: `/ExposedPorts/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `exposed port ${JSON.stringify(k)} must look like "8080/tcp"` });
  }
  const host = options.HostConfig;
  if (host !== undefined && host !== null) {
    if (!isObject(host)) problems.push({ at: '/HostConfig', message: 'HostConfig must be an object' });
    else {
      if (host.Binds !== undefined && host.Binds !== null) {
        if (!isStringArray(host.Binds)) problems.push({ at: '/HostConfig/Binds', message: 'Binds must be an array of "source:target[:options]" strings' });
        else host.Binds.forEach((b, i) => {
          const bind = BIND.exec(b);
          if (!bind) problems.push({ at: `/HostConfig/Binds/${i}`, message: `bind ${JSON.stringify(b)} must look like "source:/container/path[:ro]"` });
          else if (WINDOWS_PATH.test(bind[1]!) || WINDOWS_PATH.test(bind[2]!)) {
            problems.push({ at: `/HostConfig/Binds/${i}`, warning: true, message: `bind ${JSON.stringify(b)} uses a Windows path; it is valid for IoT Edge on Windows but cannot be mounted on a Linux node` });
          }
        });
      }
      if (host.PortBindings !== undefined && host.PortBindings !== null) {
        if (!isObject(host.PortBindings)) problems.push({ at: '/HostConfig/PortBindings', message: 'PortBindings must be an object such as {"8080/tcp": [{"HostPort": "8080"}]}' });
        else for (const [k, v] of Object.entries(host.PortBindings)) {
          const at = `/HostConfig/PortBindings/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          if (!portKey.test(k)) problems.push({ at, message: `port ${JSON.stringify(k)} must look like "8080/tcp"` });
          else if (v !== null && (!Array.isArray(v) || !v.every((b) => isObject(b) && (b.HostPort === undefined || (typeof b.HostPort === 'string' && /^\d{0,5}(-\d{1,5})?$/.test(b.HostPort))) && (b.HostIp === undefined || typeof b.HostIp === 'string')))) {
            problems.push({ at, message: 'port bindings must be an array like [{"HostPort": "8080"}] (HostPort is a string of digits)' });
          }
        }
      }
    }
  }
  return problems;
}
