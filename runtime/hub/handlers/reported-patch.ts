import { HubError } from '../errors.js';
import type { Session } from '../session.js';
import type { HandlerContext } from './handler-context.js';

/**
 * A reported-properties patch (learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub
 * "Update device twin's reported properties"): 204 with the new version, 400 for a patch the
 * twin rules refuse or that is not JSON, 404 for a twin that is gone. Settles once the connection
 * took the answer (see `handleTwinGet`).
 */
export function handleReportedPatch(ctx: HandlerContext, session: Session, request: { rid: string; body: Buffer }): Promise<void> {
  const { rid } = request;
  let patch: unknown;
  try {
    patch = JSON.parse(request.body.toString('utf8'));
  } catch {
    return session.twinResponse(rid, 400, JSON.stringify({ errorCode: 400004, message: 'reported properties patch is not valid JSON' }));
  }
  try {
    const { version } = ctx.store.twins.patchReported(session.identity, patch);
    return session.twinResponse(rid, 204, '', version);
  } catch (error) {
    const status = error instanceof HubError ? error.status : 500;
    const errorCode = status === 400 ? 400004 : status === 404 ? 404001 : 500001;
    if (status >= 500) ctx.logger.error({ clientId: session.clientId, err: error }, 'reported patch failed');
    return session.twinResponse(rid, status, JSON.stringify({ errorCode, message: (error as Error).message }));
  }
}
