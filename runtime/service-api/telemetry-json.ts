import type { StoredMessage } from '../hub/index.js';

/** A stored telemetry message as the service API and `edgemu monitor --json` show it. */
export interface TelemetryJson {
  seq: number;
  endpoint: string;
  deviceId: string;
  moduleId?: string;
  outputName?: string;
  enqueuedTime: string;
  /** System properties by wire name without `$.` (`mid`, `cid`, `ct`, `ce`, …). */
  systemProperties: Record<string, string>;
  /** Application properties. */
  properties: Record<string, string>;
  /** The body: text when it is valid UTF-8, else base64 (see `bodyEncoding`). */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

/** True when the bytes are well-formed UTF-8 (WHATWG decoder in fatal mode). */
function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Maps a stored message to its JSON view (binary bodies survive as base64). */
export function telemetryJson(message: StoredMessage): TelemetryJson {
  const utf8 = isUtf8(message.body);
  return {
    seq: message.seq,
    endpoint: message.endpoint,
    deviceId: message.deviceId,
    ...(message.moduleId !== undefined ? { moduleId: message.moduleId } : {}),
    ...(message.outputName !== undefined ? { outputName: message.outputName } : {}),
    enqueuedTime: message.enqueuedTimeUtc,
    systemProperties: message.systemProperties,
    properties: message.properties,
    body: utf8 ? message.body.toString('utf8') : message.body.toString('base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
  };
}
