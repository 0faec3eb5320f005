import { gzipSync } from 'node:zlib';
import { MethodRequestError } from './method-request.js';
import type { ModuleLogLine } from './module-log-lines.js';

/** Largest GetModuleLogs answer: a direct method payload is at most 128 KB, edgeAgent keeps 1 KB spare. */
export const MAX_LOGS_PAYLOAD = 127_000;

/** One module's log in the `json` content type: edgeAgent's `ModuleLogMessage` fields, plus `moduleId`. */
export interface ModuleLogMessageJson {
  iothub: string;
  device: string;
  id: string;
  /** Same as `id` (edgemu's addition, the name the issue tracker and tools use). */
  moduleId: string;
  stream: 'stdout';
  loglevel: number;
  text: string;
  timestamp: string | null;
}

export interface LogsEncoding {
  encoding: 'gzip' | 'none';
  contentType: 'json' | 'text';
}

/** One answer item: `payload` (text or JSON text), `payloadBytes` (base64 gzip), or `error`. */
export type LogsResponseItem = { id: string; payload: string } | { id: string; payloadBytes: string } | { id: string; error: string };

/**
 * A module's lines in the requested content type: `text` is the lines as the module wrote them,
 * one per line; `json` an array of messages (Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/ModuleLogMessage.cs`). Kubernetes
 * merges stdout and stderr into one log, so every line says `stdout`.
 */
export function renderModuleLog(lines: readonly ModuleLogLine[], moduleId: string, where: { iothub: string; device: string }, contentType: LogsEncoding['contentType']): string {
  if (contentType === 'text') return lines.map((l) => `${l.fullText}\n`).join('');
  const messages: ModuleLogMessageJson[] = lines.map((l) => ({
    iothub: where.iothub,
    device: where.device,
    id: moduleId,
    moduleId,
    stream: 'stdout',
    loglevel: l.logLevel,
    text: l.text,
    timestamp: l.moduleTime ?? (l.recordedMs !== undefined ? new Date(l.recordedMs).toISOString() : null),
  }));
  return JSON.stringify(messages);
}

/**
 * The answer items, encoded (gzip → `payloadBytes`, base64 of the gzip bytes, as edgeAgent's
 * `ModuleLogsResponse` serialises a byte array), with edgeAgent's size rule: when the items
 * together exceed 127,000 bytes (gzip bytes, or characters of text) the whole request is refused
 * with 400 and its message (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/ModuleLogsRequestHandler.cs`).
 */
export function encodeLogsResponse(items: ReadonlyArray<{ id: string; body: string } | { id: string; error: string }>, encoding: LogsEncoding): LogsResponseItem[] {
  let size = 0;
  const out: LogsResponseItem[] = items.map((item) => {
    if ('error' in item) return item;
    if (encoding.encoding === 'gzip') {
      const bytes = gzipSync(Buffer.from(item.body, 'utf8'));
      size += bytes.length;
      return { id: item.id, payloadBytes: bytes.toString('base64') };
    }
    size += item.body.length;
    return { id: item.id, payload: item.body };
  });
  if (size > MAX_LOGS_PAYLOAD) {
    throw new MethodRequestError(
      `The payload is too large for a direct method. GetModuleLogs supports up to ${MAX_LOGS_PAYLOAD} bytes of logs. The current request returned ${size} bytes.\n` +
        "Try reducing the size of the logs by setting the 'tail', 'since' and 'until' fields in log options filter, or use gzip encoding.",
    );
  }
  return out;
}
