import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/**
 * A device's answer to a direct method request (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods):
 * matched by request id to the call in flight on this same connection.
 */
export function handleMethodResponse(ctx: HandlerContext, session: Session, request: { rid: string; status: number; body: Buffer }): void {
  ctx.methods.answer(session, request.rid, request.status, request.body);
}
