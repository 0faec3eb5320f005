import { HubError } from '../errors.js';
import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/** IoT Hub's default maximum delivery count of a C2D message (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d). */
export const MAX_C2D_DELIVERY_COUNT = 10;

/**
 * Sends a device the C2D messages queued for it, once it listens for them
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d): each is marked delivered,
 * and completed (removed) on the device's acknowledgement, or dead-lettered when it rejects
 * it; an abandoned one is delivered again, an unacknowledged one stays queued for the next
 * connection, and one delivered `MAX_C2D_DELIVERY_COUNT` times is dead-lettered. Feedback is
 * recorded for senders that asked for it (`iothub-ack`).
 */
export function deliverC2d(ctx: HandlerContext, session: Session): void {
  if (session.identity.moduleId || !session.listens('c2d')) return;
  for (const m of ctx.store.c2d.pending(session.identity.deviceId)) {
    if (session.c2dInflight.has(m.seq)) continue;
    if (m.deliveryCount >= MAX_C2D_DELIVERY_COUNT) {
      ctx.store.c2d.complete(m.seq);
      ctx.feedback?.record(m, 'DeliveryCountExceeded');
      continue;
    }
    session.c2dInflight.add(m.seq);
    ctx.store.c2d.markDelivered(m.seq);
    let again = false;
    session
      .c2d(m)
      .then((outcome) => {
        ctx.store.c2d.complete(m.seq);
        ctx.feedback?.record(m, outcome === 'rejected' ? 'Rejected' : 'Success');
      })
      .catch((error: unknown) => {
        again = error instanceof HubError && error.details?.abandoned === true;
        ctx.logger.debug({ clientId: session.clientId, seq: m.seq, err: (error as Error).message }, again ? 'C2D abandoned; delivered again' : 'C2D not acknowledged; stays queued');
      })
      .finally(() => {
        session.c2dInflight.delete(m.seq);
        if (again) deliverC2d(ctx, session);
      });
  }
}
