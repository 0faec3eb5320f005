import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/**
 * Sends a device the C2D messages queued for it, once it listens for them
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d): each is marked delivered,
 * and completed (removed) only on the device's acknowledgement; an unacknowledged one stays
 * queued for the next connection.
 */
export function deliverC2d(ctx: HandlerContext, session: Session): void {
  if (session.identity.moduleId || !session.listens('c2d')) return;
  for (const m of ctx.store.c2d.pending(session.identity.deviceId)) {
    if (session.c2dInflight.has(m.seq)) continue;
    session.c2dInflight.add(m.seq);
    ctx.store.c2d.markDelivered(m.seq);
    session
      .c2d(m)
      .then(() => ctx.store.c2d.complete(m.seq))
      .catch((error: unknown) => ctx.logger.debug({ clientId: session.clientId, seq: m.seq, err: (error as Error).message }, 'C2D not acknowledged; stays queued'))
      .finally(() => session.c2dInflight.delete(m.seq));
  }
}
