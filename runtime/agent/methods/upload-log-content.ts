import { gzipSync } from 'node:zlib';
import type { LogFilter } from './upload-request.js';

/**
 * The log content an upload sends: the module's log lines (as the API server gives them with
 * `timestamps=true`: `<RFC 3339 time> <text>`), filtered by level and regex, as text or JSON,
 * optionally gzipped. Kept minimal for the uploads; the GetModuleLogs filter does the same work.
 */

/** One parsed line, in GetModuleLogs' JSON shape. */
export interface LogEntry {
  timestamp: string;
  moduleId: string;
  /** Syslog severity from a `<N>` prefix; 6 (informational) when the line has none. */
  level: number;
  log: string;
}

/** edgeAgent's level for a line without a syslog prefix (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs "Recommended logging format"). */
export const DEFAULT_LOG_LEVEL = 6;

export function parseLogLines(moduleId: string, text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const stamped = /^(\d{4}-\d{2}-\d{2}T\S+)\s?(.*)$/.exec(line);
    const timestamp = stamped ? stamped[1]! : '';
    const rest = stamped ? stamped[2]! : line;
    const level = /^<([0-7])>\s?(.*)$/.exec(rest);
    entries.push({ timestamp, moduleId, level: level ? Number(level[1]) : DEFAULT_LOG_LEVEL, log: level ? level[2]! : rest });
  }
  return entries;
}

/** The level and regex parts of a filter (tail/since/until are applied when the log is read). */
export function filterLogEntries(entries: readonly LogEntry[], filter: Pick<LogFilter, 'loglevel' | 'regex'>): LogEntry[] {
  return entries.filter((e) => (filter.loglevel === undefined || e.level === filter.loglevel) && (filter.regex === undefined || filter.regex.test(e.log)));
}

/** Text: one line per entry as it was logged (`<time> <N> text`); JSON: the entries array. */
export function renderLogContent(entries: readonly LogEntry[], contentType: 'json' | 'text', encoding: 'none' | 'gzip'): Buffer {
  const text =
    contentType === 'json'
      ? JSON.stringify(entries)
      : entries.map((e) => `${e.timestamp ? `${e.timestamp} ` : ''}<${e.level}> ${e.log}\n`).join('');
  const bytes = Buffer.from(text, 'utf8');
  return encoding === 'gzip' ? gzipSync(bytes) : bytes;
}

/** The blob's extension and properties, as edgeAgent names and labels uploaded logs (`AzureBlobRequestsUploader.GetLogsExtension`). */
export function logBlobFormat(contentType: 'json' | 'text', encoding: 'none' | 'gzip'): { extension: string; contentType: string; contentEncoding?: string } {
  const base = contentType === 'json' ? 'json' : 'log';
  return {
    extension: encoding === 'gzip' ? `${base}.gz` : base,
    contentType: contentType === 'json' ? 'application/json' : 'text/plain',
    ...(encoding === 'gzip' ? { contentEncoding: 'gzip' } : {}),
  };
}

/** `<hub>/<device>/<id>-<yyyy-MM-dd--HH-mm-ss>.<ext>`, edgeAgent's blob name (`AzureBlobRequestsUploader.GetBlobName`). */
export function uploadBlobName(hubName: string, deviceId: string, id: string, extension: string, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10)}--${iso.slice(11, 19).replaceAll(':', '-')}`;
  return `${hubName}/${deviceId}/${id}-${stamp}.${extension}`;
}
