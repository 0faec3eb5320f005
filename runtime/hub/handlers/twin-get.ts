import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/**
 * GET of the client's own twin (desired + reported sections, as IoT Hub answers it:
 * learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub "Retrieving a device twin's
 * properties"): 200 with the document, 404 when the twin is gone.
 */
export function handleTwinGet(ctx: HandlerContext, session: Session, request: { rid: string }): void {
  const view = ctx.store.twins.getDeviceView(session.identity);
  if (view) session.twinResponse(request.rid, 200, JSON.stringify(view));
  else session.twinResponse(request.rid, 404, JSON.stringify({ errorCode: 404001, message: 'twin not found' }));
}
