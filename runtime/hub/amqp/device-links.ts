import type { Delivery } from 'rhea';
import { dispatch } from '../handlers/dispatch.js';
import type { HandlerContext } from '../handlers/handler-context.js';
import { bodyBytes, idToString, toHubProperties, type AmqpWireMessage } from './amqp-message.js';
import type { AmqpSession } from './amqp-session.js';

/** IoT Hub's device-to-cloud message size limit (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling). */
export const MAX_AMQP_MESSAGE_BYTES = 256 * 1024;

const settle = (delivery: Delivery, how: 'accept' | { condition: string; description: string }) => {
  if (delivery.remote_settled) return;
  if (how === 'accept') delivery.accept();
  else delivery.reject(how);
};

/**
 * Telemetry or a module output on `/devices/{d}[/modules/{m}]/messages/events`: into the same
 * telemetry handler (and routing) as MQTT; accepted once stored for every route target,
 * released when it could not be stored (the SDK sends again), rejected when over 256 KB.
 */
export function onTelemetry(ctx: HandlerContext, session: AmqpSession, delivery: Delivery, message: AmqpWireMessage): void {
  const mapped = toHubProperties(message);
  if (mapped.body.length > MAX_AMQP_MESSAGE_BYTES) {
    ctx.logger.info({ clientId: session.clientId, bytes: mapped.body.length }, 'AMQP message larger than 256 KB rejected');
    settle(delivery, { condition: 'amqp:link:message-size-exceeded', description: `message of ${mapped.body.length} bytes exceeds IoT Hub's 256 KB limit` });
    return;
  }
  if (!session.identity.moduleId) delete mapped.systemProperties.on;
  const outcome = dispatch(ctx, session, { op: 'telemetry', ...mapped });
  Promise.resolve(outcome).then(
    () => settle(delivery, 'accept'),
    (error: unknown) => {
      ctx.logger.error({ clientId: session.clientId, err: error }, 'message could not be stored; released');
      if (!delivery.remote_settled) delivery.release({ delivery_failed: true });
    },
  );
}

/**
 * A twin request on `/devices/{d}[/modules/{m}]/twin` (the Node SDK's AmqpTwinClient shape):
 * `operation` annotation GET (the twin), PATCH with `resource` `/properties/reported`, PUT /
 * DELETE of `/notifications/twin/properties/desired` (desired-property notifications on/off).
 * Answered on the twin receive link with the request's correlation id and a `status` annotation.
 */
export function onTwinRequest(ctx: HandlerContext, session: AmqpSession, delivery: Delivery, message: AmqpWireMessage): void {
  settle(delivery, 'accept');
  const rid = idToString(message.correlation_id) ?? '';
  session.twinCorrelation.set(rid, message.correlation_id ?? rid);
  const annotations = message.message_annotations ?? {};
  const operation = typeof annotations.operation === 'string' ? annotations.operation.toUpperCase() : '';
  const resource = typeof annotations.resource === 'string' ? annotations.resource : undefined;
  const notifications = resource === '/notifications/twin/properties/desired';
  if (operation === 'GET' && !resource) {
    void dispatch(ctx, session, { op: 'twin-get', rid });
  } else if (operation === 'PATCH' && resource === '/properties/reported') {
    void dispatch(ctx, session, { op: 'reported-patch', rid, body: bodyBytes(message.body) });
  } else if ((operation === 'PUT' || operation === 'DELETE') && notifications) {
    session.desiredEnabled = operation === 'PUT';
    session.twinResponse(rid, 200, '');
  } else {
    session.twinResponse(rid, 400, JSON.stringify({ errorCode: 400004, message: `unsupported twin request: operation ${JSON.stringify(operation)}, resource ${JSON.stringify(resource)}` }));
  }
}

/**
 * A direct method response on `/devices/{d}[/modules/{m}]/methods/devicebound`: the request's
 * correlation id and the `IoThub-status` application property, matched to the call in flight.
 */
export function onMethodResponse(ctx: HandlerContext, session: AmqpSession, delivery: Delivery, message: AmqpWireMessage): void {
  settle(delivery, 'accept');
  const rid = idToString(message.correlation_id);
  const status = Number(message.application_properties?.['IoThub-status']);
  if (rid === undefined || !Number.isInteger(status)) {
    ctx.logger.info({ clientId: session.clientId }, 'method response without correlation id or IoThub-status ignored');
    return;
  }
  void dispatch(ctx, session, { op: 'method-response', rid, status, body: bodyBytes(message.body) });
}
