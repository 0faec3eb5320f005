import type { TelemetryJson } from './telemetry-json.js';

/**
 * One human-readable line per message for `edgemu monitor`:
 * `<enqueued time> <device>[/<module>][ output <name>] <body> [k=v …]`. JSON bodies are
 * printed compactly; binary bodies as `base64:<…>`; control characters are escaped so a
 * message cannot rewrite the terminal.
 */
export function formatTelemetryLine(event: TelemetryJson): string {
  const source = event.moduleId ? `${event.deviceId}/${event.moduleId}` : event.deviceId;
  const output = event.outputName ? ` output ${event.outputName}` : '';
  let body: string;
  if (event.bodyEncoding === 'base64') {
    body = `base64:${event.body}`;
  } else {
    try {
      body = JSON.stringify(JSON.parse(event.body));
    } catch {
      body = JSON.stringify(event.body);
    }
  }
  const props = Object.entries(event.properties).map(([k, v]) => `${k}=${v}`);
  const line = `${event.enqueuedTime} ${source}${output} ${body}${props.length > 0 ? ` [${props.join(' ')}]` : ''}`;
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
