import { parseLogsFields, type LogsRequest } from './logs-request.js';
import { parseLogTime } from './log-time.js';
import { checkSchemaVersion, MethodRequestError, requirePayloadObject, requireString, type JsonRecord } from './method-request.js';

/**
 * The payloads of UploadModuleLogs, UploadSupportBundle and GetTaskStatus, checked field by field
 * with the same rules as GetModuleLogs (logs-request.ts, method-request.ts, log-time.ts;
 * learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs; Azure/iotedge
 * `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/ModuleLogsUploadRequest.cs`,
 * `SupportBundleRequest.cs`, `TaskStatusRequest.cs`). A bad payload throws MethodRequestError,
 * which the dispatch answers 400 `{"message"}` naming the field.
 */

/** Longest SAS URL and correlation id accepted (edgemu's limits against hostile payloads). */
export const MAX_SAS_URL_LENGTH = 4096;
export const MAX_CORRELATION_ID_LENGTH = 128;

export interface ModuleLogsUploadRequest extends LogsRequest {
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

/** GetModuleLogs' payload plus `sasUrl`. */
export function parseModuleLogsUploadRequest(payload: unknown, nowMs: number): ModuleLogsUploadRequest {
  const body = requirePayloadObject(payload);
  return { ...parseLogsFields(body, nowMs), sasUrl: sasUrl(body) };
}

export function parseSupportBundleRequest(payload: unknown, nowMs: number): SupportBundleRequest {
  const body = requirePayloadObject(payload);
  const request: SupportBundleRequest = { schemaVersion: checkSchemaVersion(body), sasUrl: sasUrl(body), edgeRuntimeOnly: false };
  if (body.since !== undefined && body.since !== null) request.since = parseLogTime(body.since, 'since', nowMs);
  if (body.until !== undefined && body.until !== null) request.until = parseLogTime(body.until, 'until', nowMs);
  if (request.since !== undefined && request.until !== undefined && request.until < request.since) throw new MethodRequestError('until: is before since', 'until');
  if (body.edgeRuntimeOnly !== undefined && body.edgeRuntimeOnly !== null) {
    if (typeof body.edgeRuntimeOnly !== 'boolean') throw new MethodRequestError('edgeRuntimeOnly: must be true or false', 'edgeRuntimeOnly');
    request.edgeRuntimeOnly = body.edgeRuntimeOnly;
  }
  return request;
}

export function parseTaskStatusRequest(payload: unknown): TaskStatusRequest {
  const body = requirePayloadObject(payload);
  const schemaVersion = checkSchemaVersion(body);
  return { schemaVersion, correlationId: requireString(body, 'correlationId', 'correlationId', MAX_CORRELATION_ID_LENGTH) };
}

/** A blob container SAS URL: http(s), bounded length. */
function sasUrl(body: JsonRecord): string {
  const v = requireString(body, 'sasUrl', 'sasUrl', MAX_SAS_URL_LENGTH).trim();
  if (!/^https?:\/\/[^/?#\s]+/i.test(v)) throw new MethodRequestError('sasUrl: must be an https:// URL (a blob container SAS URL with write permission)', 'sasUrl');
  return v;
}
