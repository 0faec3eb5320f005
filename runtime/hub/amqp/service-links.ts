import rhea, { type Delivery } from 'rhea';
import type { C2dFeedback } from '../c2d-feedback.js';
import { HubError } from '../errors.js';
import { sendC2d } from '../handlers/c2d-send.js';
import type { HandlerContext } from '../handlers/handler-context.js';
import { bodyBytes, idToString, toHubProperties, type AmqpWireMessage } from './amqp-message.js';
import { parseLinkAddress } from './link-address.js';
import type { OutgoingLink } from './outgoing-link.js';

/** IoT Hub's C2D time-to-live bounds: default 1 hour, at most 2 days (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d). */
import { MAX_C2D_TTL_MS } from '../handlers/c2d-send.js';
/** IoT Hub's C2D message size limit (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling). */
const MAX_C2D_BYTES = 64 * 1024;

/**
 * A service's C2D message on `/messages/devicebound` (what `azure-iothub` `Client.send` sends):
 * `to` names `/devices/{id}/messages/devicebound`; message id, correlation id, content type and
 * encoding, application properties (with `iothub-ack` for feedback) and the expiry go into the
 * device's queue.
 * Accepted once queued; rejected with `amqp:not-found` for an unknown device and
 * `amqp:resource-limit-exceeded` for a full queue (the SDK's DeviceMaximumQueueDepthExceededError).
 */
export function onServiceC2d(ctx: HandlerContext, delivery: Delivery, message: AmqpWireMessage & { ttl?: number }): void {
  const reject = (condition: string, description: string) => {
    if (!delivery.remote_settled) delivery.reject({ condition, description });
  };
  const target = parseLinkAddress(message.to);
  if (target.kind !== 'devicebound') return reject('amqp:invalid-field', `the message's "to" must be /devices/{deviceId}/messages/devicebound, not ${JSON.stringify(message.to)}`);
  const body = bodyBytes(message.body);
  if (body.length > MAX_C2D_BYTES) return reject('amqp:link:message-size-exceeded', `cloud-to-device messages are limited to 64 KB; this one has ${body.length} bytes`);
  const now = ctx.clock.now();
  const expiry = message.absolute_expiry_time === undefined ? undefined : new Date(message.absolute_expiry_time).getTime() - now;
  const ttl = message.ttl ?? expiry;
  const { properties, systemProperties } = toHubProperties(message);
  try {
    const messageId = idToString(message.message_id);
    const correlationId = idToString(message.correlation_id);
    sendC2d(ctx, target.identity.deviceId, {
      body,
      ...(messageId !== undefined ? { messageId } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(systemProperties.ct !== undefined ? { contentType: systemProperties.ct } : {}),
      ...(systemProperties.ce !== undefined ? { contentEncoding: systemProperties.ce } : {}),
      properties,
      ...(ttl !== undefined && ttl > 0 ? { ttlMs: Math.min(ttl, MAX_C2D_TTL_MS) } : {}),
    });
    if (!delivery.remote_settled) delivery.accept();
  } catch (error) {
    if (error instanceof HubError && error.code === 'HUB_DEVICE_NOT_FOUND') return reject('amqp:not-found', error.message);
    if (error instanceof HubError && error.code === 'HUB_QUEUE_FULL') return reject('amqp:resource-limit-exceeded', error.message);
    ctx.logger.error({ err: error }, 'C2D message from a service could not be queued');
    return reject('amqp:internal-error', (error as Error).message);
  }
}

/**
 * Feedback to a service's receiver on `/messages/serviceBound/feedback`: one message per batch,
 * its body the JSON array of records, content type `application/vnd.microsoft.iothub.feedback.json`
 * (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-c2d "Message feedback"). A batch
 * is removed once the receiver accepts it; otherwise it is offered again.
 */
export function pumpFeedback(feedback: C2dFeedback, link: OutgoingLink, hubName: string): () => void {
  let busy = false;
  const pump = () => {
    if (busy || !link.isOpen) return;
    const batch = feedback.peek();
    if (!batch) return;
    busy = true;
    link
      .deliver({
        message_id: batch.batchId,
        user_id: Buffer.from(hubName),
        content_type: 'application/vnd.microsoft.iothub.feedback.json',
        body: rhea.message.data_section(Buffer.from(JSON.stringify(batch.records))),
      })
      .then(
        (outcome) => {
          busy = false;
          if (outcome === 'accepted' || outcome === 'rejected') feedback.remove(batch.records);
          if (outcome === 'accepted' || outcome === 'rejected') pump();
        },
        () => {
          busy = false;
        },
      );
  };
  const unsubscribe = feedback.added.add(pump);
  pump();
  return unsubscribe;
}
