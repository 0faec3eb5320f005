import { THROTTLED_ERROR_CODE } from '../limits/hub-limits.js';
import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/**
 * GET of the client's own twin (desired + reported sections, as IoT Hub answers it:
 * learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub "Retrieving a device twin's
 * properties"): 200 with the document, 404 when the twin is gone, 429 past the identity's
 * twin-read rate (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling). The
 * promise settles once the connection took the answer, so a client that does not read its
 * answers gets no more requests read until it does (or is cut off at the write limit).
 */
export function handleTwinGet(ctx: HandlerContext, session: Session, request: { rid: string }): Promise<void> {
  if (!ctx.throttles.twinGets.allow(session.clientId)) {
    return session.twinResponse(request.rid, 429, JSON.stringify({ errorCode: THROTTLED_ERROR_CODE, message: 'twin reads throttled; back off and retry' }));
  }
  const view = ctx.store.twins.getDeviceViewJson(session.identity);
  if (view !== undefined) return session.twinResponse(request.rid, 200, view);
  return session.twinResponse(request.rid, 404, JSON.stringify({ errorCode: 404001, message: 'twin not found' }));
}
