import type { HubMessage } from '../store/message-store.js';
import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

let lastMs = Number.NaN;
let lastIso = '';
/** `iothub-enqueuedtime` as ISO-8601, formatted once per millisecond however many messages arrive in it. */
const isoTime = (ms: number): string => {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
};

/**
 * Device telemetry or a module output (`$.on` names the output): handed to the router, and the
 * returned promise settles the client's acknowledgement — resolved once the message is stored
 * for every target; a rejection means no acknowledgement, so the SDK sends again (at least
 * once, MQTT 3.1.1 §4.3.2).
 */
export function handleTelemetry(
  ctx: HandlerContext,
  session: Session,
  request: { body: Buffer; systemProperties: Record<string, string>; properties: Record<string, string> },
): Promise<unknown> {
  const { identity } = session;
  const message: HubMessage = {
    deviceId: identity.deviceId,
    moduleId: identity.moduleId,
    outputName: identity.moduleId ? request.systemProperties.on : undefined,
    body: request.body,
    systemProperties: request.systemProperties,
    properties: request.properties,
    enqueuedTimeUtc: isoTime(ctx.clock.now()),
  };
  return ctx.router.route(message);
}
