import type { HubMessage } from '../store/message-store.js';
import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

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
): Promise<void> {
  const { identity } = session;
  const message: HubMessage = {
    deviceId: identity.deviceId,
    moduleId: identity.moduleId,
    outputName: identity.moduleId ? request.systemProperties.on : undefined,
    body: request.body,
    systemProperties: request.systemProperties,
    properties: request.properties,
    enqueuedTimeUtc: new Date(ctx.clock.now()).toISOString(),
  };
  return ctx.router.route(message);
}
