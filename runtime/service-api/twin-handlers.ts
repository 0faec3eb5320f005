import type { IdentityRef } from '../hub/index.js';
import type { Twin } from '../hub/index.js';
import { diffToMergePatch, type JsonObject } from '../hub/index.js';
import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors } from './service-api-error.js';
import { isJsonObject } from './read-body.js';
import { carriesConfigurations, configurationsMember } from './twin-query-source.js';

/** What a service twin write may change: tags and desired properties (reported belong to the device). */
export interface TwinWrite {
  tags?: JsonObject;
  desired?: JsonObject;
}

/**
 * Reads a twin PATCH/PUT body (`{ tags, properties: { desired } }`, learn.microsoft.com/rest/api/iothub/service/devices/update-twin).
 * Read-only members a client echoes back from a GET (`deviceId`, `etag`, `version`,
 * `properties.reported`, `$metadata`, `$version`, …) are ignored; ids must match the path;
 * anything of the wrong type is 400. Twin key and size rules are the hub store's.
 */
export function parseTwinWrite(body: unknown, ref: IdentityRef): TwinWrite {
  if (!isJsonObject(body)) throw apiErrors.badRequest('The twin must be a JSON object.');
  if (body.deviceId !== undefined && body.deviceId !== ref.deviceId) {
    throw apiErrors.badRequest(`deviceId '${String(body.deviceId).slice(0, 128)}' in the body does not match '${ref.deviceId}' in the path.`);
  }
  if (body.moduleId !== undefined && body.moduleId !== (ref.moduleId ?? null)) {
    throw apiErrors.badRequest(`moduleId '${String(body.moduleId).slice(0, 128)}' in the body does not match the path.`);
  }
  const out: TwinWrite = {};
  if (body.tags !== undefined && body.tags !== null) {
    if (!isJsonObject(body.tags)) throw apiErrors.badRequest('tags must be an object.');
    out.tags = body.tags as JsonObject;
  }
  const props = body.properties;
  if (props !== undefined && props !== null) {
    if (!isJsonObject(props)) throw apiErrors.badRequest('properties must be an object.');
    const desired = props.desired;
    if (desired !== undefined && desired !== null) {
      if (!isJsonObject(desired)) throw apiErrors.badRequest('properties.desired must be an object.');
      const { $metadata: _m, $version: _v, ...rest } = desired;
      out.desired = rest as JsonObject;
    }
  }
  return out;
}

/** The desired section without IoT Hub's bookkeeping members. */
export function desiredContent(twin: Twin): JsonObject {
  const { $metadata: _m, $version: _v, ...rest } = twin.properties.desired;
  return rest as JsonObject;
}

/**
 * A twin as `GET /twins/{id}` answers it: the stored twin plus, on a device twin and its
 * `$edgeAgent` twin, IoT Hub's `configurations` member (`{<id>: {status: 'targeted' | 'applied'}}`,
 * docs/deployments.md) for the deployments that target the device.
 */
function twinResult(backend: ServiceBackend, twin: Twin): ApiResult {
  const configurations = carriesConfigurations(twin) ? configurationsMember(backend.store.configurations.deviceState(twin.deviceId), 'twin') : undefined;
  return { status: 200, json: configurations ? { ...twin, configurations } : twin, headers: { etag: `"${twin.etag}"` } };
}

/**
 * Device and module twins over REST: GET; PATCH merges tags and desired (null removes);
 * PUT replaces both (keys not given are removed). `If-Match` is checked by the store against
 * the twin's ETag (`*` or absent = any), 412 `PreconditionFailed` when stale. Desired changes
 * reach a connected device/module through the store's change listeners (one code path).
 */
export function twinHandlers(backend: ServiceBackend) {
  const refOf = (ctx: RequestContext): IdentityRef =>
    ctx.params.moduleId === undefined ? { deviceId: ctx.params.deviceId! } : { deviceId: ctx.params.deviceId!, moduleId: ctx.params.moduleId };
  const ifMatch = (ctx: RequestContext) => {
    const v = ctx.headers['if-match'];
    return Array.isArray(v) ? v[0] : v;
  };

  const get = async (ctx: RequestContext): Promise<ApiResult> => {
    const ref = refOf(ctx);
    const twin = backend.store.twins.get(ref);
    if (!twin) throw ref.moduleId ? apiErrors.moduleNotFound(ref.deviceId, ref.moduleId) : apiErrors.deviceNotFound(ref.deviceId);
    return twinResult(backend, twin);
  };

  const patch = async (ctx: RequestContext): Promise<ApiResult> => {
    const ref = refOf(ctx);
    const write = parseTwinWrite(await ctx.readJson(), ref);
    const twin = backend.store.twins.update(ref, { ...(write.tags ? { tags: write.tags } : {}), ...(write.desired ? { properties: { desired: write.desired } } : {}) }, { ifMatch: ifMatch(ctx) });
    return twinResult(backend, twin);
  };

  const replace = async (ctx: RequestContext): Promise<ApiResult> => {
    const ref = refOf(ctx);
    const write = parseTwinWrite(await ctx.readJson(), ref);
    const twin = backend.store.transaction(() => {
      const current = backend.store.twins.get(ref);
      if (!current) throw ref.moduleId ? apiErrors.moduleNotFound(ref.deviceId, ref.moduleId) : apiErrors.deviceNotFound(ref.deviceId);
      const tags = diffToMergePatch(current.tags, write.tags ?? {});
      const desired = diffToMergePatch(desiredContent(current), write.desired ?? {});
      return backend.store.twins.update(ref, { tags, properties: { desired } }, { ifMatch: ifMatch(ctx) });
    });
    return twinResult(backend, twin);
  };

  return {
    getTwin: get,
    getModuleTwin: get,
    patchTwin: patch,
    patchModuleTwin: patch,
    replaceTwin: replace,
    replaceModuleTwin: replace,
  };
}
