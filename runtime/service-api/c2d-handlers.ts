import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors } from './service-api-error.js';
import { isJsonObject } from './read-body.js';
import type { C2dSend } from '../hub/index.js';

/** IoT Hub's C2D limits: 64 KB per message, TTL at most 2 days. */
export const C2D_LIMITS = { maxBodyBytes: 64 * 1024, maxTtlSeconds: 2 * 24 * 3600 } as const;

/**
 * Reads a C2D send request: `{ body: string, bodyEncoding?: 'utf8'|'base64', properties?:
 * {name: string}, messageId?, correlationId?, ttlSeconds? }`. (IoT Hub sends C2D over AMQP;
 * edgemu offers it as JSON over HTTPS so property names keep their case.)
 */
export function parseC2dRequest(value: unknown): C2dSend {
  if (!isJsonObject(value)) throw apiErrors.badRequest('The message must be a JSON object.');
  if (typeof value.body !== 'string') throw apiErrors.badRequest('body must be a string.');
  const encoding = value.bodyEncoding ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64') throw apiErrors.badRequest("bodyEncoding must be 'utf8' or 'base64'.");
  const body = Buffer.from(value.body, encoding);
  if (body.length > C2D_LIMITS.maxBodyBytes) throw apiErrors.tooLarge(C2D_LIMITS.maxBodyBytes);
  const send: C2dSend = { body };
  if (value.properties !== undefined) {
    if (!isJsonObject(value.properties)) throw apiErrors.badRequest('properties must be an object of strings.');
    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(value.properties)) {
      if (typeof v !== 'string') throw apiErrors.badRequest(`property '${k.slice(0, 64)}' must be a string.`);
      if (k === '' || k.startsWith('$.') || k.startsWith('iothub-')) throw apiErrors.badRequest(`'${k.slice(0, 64)}' is not a valid application property name.`);
      props[k] = v;
    }
    send.properties = props;
  }
  for (const name of ['messageId', 'correlationId'] as const) {
    const v = value[name];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '' || v.length > 128) throw apiErrors.badRequest(`${name} must be 1 to 128 characters.`);
    send[name] = v;
  }
  if (value.ttlSeconds !== undefined) {
    const ttl = value.ttlSeconds;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > C2D_LIMITS.maxTtlSeconds) {
      throw apiErrors.badRequest(`ttlSeconds must be a number from 1 to ${C2D_LIMITS.maxTtlSeconds}.`);
    }
    send.ttlMs = Math.round(ttl * 1000);
  }
  return send;
}

/**
 * `POST /devices/{id}/messages/deviceBound`: queues a cloud-to-device message in the hub's
 * durable per-device queue (delivered now when the device is connected, else on connect).
 * 404 for an unknown device, 403 `DeviceMaximumQueueDepthExceeded` when 50 are waiting.
 */
export function c2dHandlers(backend: ServiceBackend) {
  return {
    sendC2d: async (ctx: RequestContext): Promise<ApiResult> => {
      const send = parseC2dRequest(await ctx.readJson());
      const deviceId = ctx.params.deviceId!;
      if (!backend.store.identities.get({ deviceId })) throw apiErrors.deviceNotFound(deviceId);
      const queued = backend.store.c2d.enqueue(deviceId, send);
      return { status: 202, json: { messageId: queued.systemProperties.mid, enqueuedTime: queued.enqueuedTimeUtc } };
    },
  };
}
