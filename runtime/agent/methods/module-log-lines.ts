import type { SafeRegex } from './safe-regex.js';

/** One line of a module's log, parsed as edgeAgent parses it. */
export interface ModuleLogLine {
  /** When the container runtime recorded the line (Unix ms; the API server's `timestamps=true` prefix). */
  recordedMs: number | undefined;
  /** syslog severity from a `<N>` prefix (0 emergency … 7 debug); 6 (informational) without one. */
  logLevel: number;
  /** The module's own timestamp when it wrote one after the prefix (ISO 8601). */
  moduleTime: string | undefined;
  /** The text after the prefix and the module's timestamp. */
  text: string;
  /** The line as the module wrote it. */
  fullText: string;
}

/** syslog severity when a line has no `<N>` prefix (edgeAgent's `DefaultLogLevel`). */
export const DEFAULT_LOG_LEVEL = 6;

const RUNTIME_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?/;
// `<6> 2019-02-14 16:15:35.243 -08:00 [INF] text`: prefix, then optionally the module's timestamp.
const MODULE_LINE = /^(?:<(\d)>)?\s*(?:(\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}\.\d{3}\s[+-]\d{2}:\d{2})\s)?\s*/;

/** RFC 3339 with nanoseconds → Unix ms (Date.parse takes at most milliseconds reliably). */
function runtimeMs(stamp: string): number | undefined {
  const ms = Date.parse(stamp.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Parses a module's log as the API server gives it with `timestamps=true`
 * (`2026-12-02T00:50:25.123456789Z <6> text` per line; kubernetes.io/docs/reference/kubectl/generated/kubectl_logs)
 * into lines with the syslog level and text edgeAgent extracts (Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/LogMessageParser.cs`: `<level>`, then an
 * optional `yyyy-MM-dd HH:mm:ss.fff zzz` timestamp, then the text). A trailing newline ends the last line.
 */
export function parseModuleLog(raw: string): ModuleLogLine[] {
  const lines = raw.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map(parseModuleLogLine);
}

export function parseModuleLogLine(line: string): ModuleLogLine {
  const withoutCr = line.endsWith('\r') ? line.slice(0, -1) : line;
  const stamp = RUNTIME_TIMESTAMP.exec(withoutCr);
  const fullText = stamp ? withoutCr.slice(stamp[0].length) : withoutCr;
  const m = MODULE_LINE.exec(fullText)!;
  const moduleStamp = m[2] !== undefined ? Date.parse(m[2].replace(' ', 'T').replace(' ', '')) : Number.NaN;
  return {
    recordedMs: stamp ? runtimeMs(stamp[1]!) : undefined,
    logLevel: m[1] !== undefined ? Number(m[1]) : DEFAULT_LOG_LEVEL,
    moduleTime: Number.isFinite(moduleStamp) ? new Date(moduleStamp).toISOString() : undefined,
    text: fullText.slice(m[0].length),
    fullText,
  };
}

/** A log filter as edgeAgent applies it (`ModuleLogFilter`); times in Unix seconds. */
export interface ModuleLogFilter {
  tail?: number | undefined;
  since?: number | undefined;
  until?: number | undefined;
  loglevel?: number | undefined;
  regex?: SafeRegex | undefined;
}

/**
 * Applies a filter in edgeAgent's order (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/LogsProcessor.cs`):
 * the time window (which Docker applies when reading), then lines whose level equals `loglevel`
 * (equal, not at most: LogsProcessor compares `m.LogLevel == l`, although the page
 * learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs words it "less than or equal")
 * and whose text matches `regex`, then the last `tail` of what is left. Lines without a runtime
 * timestamp are kept by a time window (nothing says they are outside it).
 */
export function filterModuleLog(lines: readonly ModuleLogLine[], filter: ModuleLogFilter): ModuleLogLine[] {
  const sinceMs = filter.since === undefined ? undefined : filter.since * 1000;
  const untilMs = filter.until === undefined ? undefined : filter.until * 1000;
  const kept = lines.filter(
    (l) =>
      (sinceMs === undefined || l.recordedMs === undefined || l.recordedMs >= sinceMs) &&
      (untilMs === undefined || l.recordedMs === undefined || l.recordedMs <= untilMs) &&
      (filter.loglevel === undefined || l.logLevel === filter.loglevel) &&
      (filter.regex === undefined || filter.regex.test(l.text)),
  );
  return filter.tail === undefined ? kept : kept.slice(Math.max(0, kept.length - filter.tail));
}
