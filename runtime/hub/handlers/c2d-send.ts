import { HubError } from '../errors.js';
import type { C2dMessage, C2dSend } from '../store/c2d-queue.js';
import type { HandlerContext } from './handler-context.js';

/** IoT Hub's longest C2D time to live: 2 days (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling, "Other limits"). */
export const MAX_C2D_TTL_MS = 2 * 24 * 3600 * 1000;

/**
 * A service sends a cloud-to-device message (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d):
 * queued for an existing device — delivered at once when it listens, else on connect. Throws
 * HUB_DEVICE_NOT_FOUND, HUB_INVALID_ID for a time to live outside 1 ms … 2 days, HUB_THROTTLED
 * past the per-device send rate (docs/hub.md "Limits"), or HUB_QUEUE_FULL past IoT Hub's queue
 * depth. Used by the hub API (the HTTPS service API, the CLI) and the AMQP service link alike.
 */
export function sendC2d(ctx: HandlerContext, deviceId: string, send: C2dSend): C2dMessage {
  if (!ctx.store.identities.get({ deviceId })) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
  if (send.ttlMs !== undefined && !(send.ttlMs > 0 && send.ttlMs <= MAX_C2D_TTL_MS)) {
    throw new HubError('HUB_INVALID_ID', `a C2D message's time to live must be from 1 ms to ${MAX_C2D_TTL_MS} ms (2 days, IoT Hub's maximum)`);
  }
  if (!ctx.throttles.c2dSends.allow(deviceId)) throw new HubError('HUB_THROTTLED', `C2D sends to ${deviceId} are throttled; back off and retry`);
  return ctx.store.c2d.enqueue(deviceId, send);
}
