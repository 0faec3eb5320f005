import { MethodRequestError } from './method-request.js';

const UNIT_SECONDS: ReadonlyArray<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(m|min|mins|minute|minutes)$/, 60],
  [/^(h|hr|hrs|hour|hours)$/, 3_600],
  [/^(d|day|days)$/, 86_400],
  [/^(w|week|weeks)$/, 604_800],
];

/**
 * A log filter's `since`/`until` as Unix seconds. IoT Edge takes a Unix timestamp, an RFC 3339
 * timestamp, or a duration back from now such as `10m`, `1h`, `1 d`, `90 m` or
 * `2 days 3 hours 2 minutes` (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs,
 * "Retrieve module logs"). `nowMs` is the clock's now.
 */
export function parseLogTime(value: unknown, field: string, nowMs: number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 1e11) throw new MethodRequestError(`${field}: a Unix time in seconds must be from 0 to 1e11 (got ${value})`, field);
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') throw new MethodRequestError(`${field}: must be Unix seconds, an RFC 3339 time or a duration like "10m" (got ${JSON.stringify(value)?.slice(0, 40)})`, field);
  const text = value.trim();
  if (text.length > 100) throw new MethodRequestError(`${field}: at most 100 characters`, field);
  if (/^\d{1,11}(\.\d+)?$/.test(text)) return Number(text);
  const duration = parseDuration(text);
  if (duration !== undefined) return nowMs / 1000 - duration;
  if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new MethodRequestError(`${field}: "${text}" is neither Unix seconds, an RFC 3339 time nor a duration like "10m", "1h", "2 days 3 hours"`, field);
}

/** `10m`, `1 h`, `2 days 3 hours 2 minutes`, `1h30m` → seconds; undefined when it is no duration. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.toLowerCase().matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.toLowerCase().replace(/^\s+/, '')) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of parts) {
    const factor = UNIT_SECONDS.find(([re]) => re.test(unit!))?.[1];
    if (factor === undefined) return undefined;
    seconds += Number(amount) * factor;
  }
  return seconds;
}
