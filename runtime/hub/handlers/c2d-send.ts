import { HubError } from '../errors.js';
import type { C2dMessage, C2dSend } from '../store/c2d-queue.js';
import type { HandlerContext } from './handler-context.js';

/**
 * A service sends a cloud-to-device message (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d):
 * queued for an existing device — delivered at once when it listens, else on connect. Throws
 * HUB_DEVICE_NOT_FOUND, or HUB_QUEUE_FULL past IoT Hub's queue depth. Used by the hub API
 * (the HTTPS service API, the CLI) and the AMQP service link alike.
 */
export function sendC2d(ctx: HandlerContext, deviceId: string, send: C2dSend): C2dMessage {
  if (!ctx.store.identities.get({ deviceId })) throw new HubError('HUB_DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
  return ctx.store.c2d.enqueue(deviceId, send);
}
