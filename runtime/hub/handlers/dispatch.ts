import type { Session } from '../session.js';
import type { ClientRequest, HandlerContext } from './handler-context.js';
import { handleMethodResponse } from './method-response.js';
import { handleReportedPatch } from './reported-patch.js';
import { handleTelemetry } from './telemetry.js';
import { handleTwinGet } from './twin-get.js';

type Handler<R> = (ctx: HandlerContext, session: Session, request: R) => void | Promise<unknown>;

/** One handler per client operation; a protocol head decodes a request and calls `dispatch`. */
const HANDLERS: { [Op in ClientRequest['op']]: Handler<Extract<ClientRequest, { op: Op }>> } = {
  'twin-get': handleTwinGet,
  'reported-patch': handleReportedPatch,
  'method-response': handleMethodResponse,
  telemetry: handleTelemetry,
};

/** Runs the handler of `request`; a promise means the client's acknowledgement waits for it. */
export function dispatch(ctx: HandlerContext, session: Session, request: ClientRequest): void | Promise<unknown> {
  const handler = HANDLERS[request.op] as Handler<ClientRequest>;
  return handler(ctx, session, request);
}
