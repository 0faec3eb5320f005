import type { IdentityRef } from '../hub/index.js';
import type { Identity } from '../hub/index.js';
import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors } from './service-api-error.js';
import { deviceJson, etagMatches, identityEtag, moduleJson, parseIdentityRequest } from './identity-json.js';

const ifMatchOf = (ctx: RequestContext): string | undefined => {
  const v = ctx.headers['if-match'];
  return Array.isArray(v) ? v[0] : v;
};

const state = (backend: ServiceBackend, ref: IdentityRef) => (backend.isConnected(ref) ? 'Connected' : 'Disconnected');

function mustGet(backend: ServiceBackend, ref: IdentityRef): Identity {
  const identity = backend.store.identities.get(ref);
  if (identity) return identity;
  if (ref.moduleId && backend.store.identities.get({ deviceId: ref.deviceId })) throw apiErrors.moduleNotFound(ref.deviceId, ref.moduleId);
  throw apiErrors.deviceNotFound(ref.deviceId);
}

/**
 * The identity registry over REST (`/devices`, `/devices/{id}`, `/devices/{id}/modules[/{mid}]`),
 * IoT Hub's semantics: PUT without `If-Match` creates (409 when it exists), PUT with `If-Match`
 * updates the existing identity (412 on a stale ETag), DELETE honours `If-Match` too.
 */
export function identityHandlers(backend: ServiceBackend) {
  const show = (identity: Identity) =>
    identity.moduleId === undefined ? deviceJson(identity, state(backend, identity)) : moduleJson(identity, state(backend, identity));

  const put = async (ctx: RequestContext, ref: IdentityRef): Promise<ApiResult> => {
    const request = parseIdentityRequest(await ctx.readJson(), ref);
    const ifMatch = ifMatchOf(ctx);
    const existing = backend.store.identities.get(ref);
    if (existing) {
      if (ifMatch === undefined) {
        throw ref.moduleId
          ? apiErrors.conflict('ModuleAlreadyExistsOnDevice', `Module ${ref.moduleId} already exists on device ${ref.deviceId}.`)
          : apiErrors.conflict('DeviceAlreadyExists', `Device ${ref.deviceId} already exists.`);
      }
      if (!etagMatches(ifMatch, identityEtag(existing))) throw apiErrors.preconditionFailed(`ETag ${ifMatch} does not match the current "${identityEtag(existing)}".`);
      // edgemu's registry keeps keys and the edge capability for an identity's lifetime: an update
      // may restate them, but changing them is refused rather than silently ignored.
      if (
        (request.primaryKey !== undefined && request.primaryKey !== existing.primaryKey) ||
        (request.secondaryKey !== undefined && request.secondaryKey !== existing.secondaryKey) ||
        (request.edge !== undefined && request.edge !== existing.isEdge)
      ) {
        throw apiErrors.badRequest('edgemu cannot change the keys or the IoT Edge capability of an existing identity; delete and create it again.');
      }
      return { status: 200, json: show(existing) };
    }
    if (ifMatch !== undefined && ifMatch.trim() !== '*' && ifMatch.trim() !== '"*"') {
      throw ref.moduleId ? apiErrors.moduleNotFound(ref.deviceId, ref.moduleId) : apiErrors.deviceNotFound(ref.deviceId);
    }
    const keys = {
      ...(request.primaryKey !== undefined ? { primaryKey: request.primaryKey } : {}),
      ...(request.secondaryKey !== undefined ? { secondaryKey: request.secondaryKey } : {}),
    };
    const created = ref.moduleId
      ? backend.store.identities.createModule(ref.deviceId, ref.moduleId, { ...keys, ...(request.managedBy ? { managedBy: request.managedBy } : {}) })
      : backend.store.identities.createDevice(ref.deviceId, { ...keys, edge: request.edge ?? false });
    return { status: 200, json: show(created) };
  };

  const remove = (ctx: RequestContext, ref: IdentityRef): ApiResult => {
    const existing = mustGet(backend, ref);
    const ifMatch = ifMatchOf(ctx);
    if (!etagMatches(ifMatch, identityEtag(existing))) throw apiErrors.preconditionFailed(`ETag ${ifMatch} does not match the current "${identityEtag(existing)}".`);
    backend.store.identities.delete(ref);
    return { status: 204 };
  };

  const device = (ctx: RequestContext): IdentityRef => ({ deviceId: ctx.params.deviceId! });
  const module = (ctx: RequestContext): IdentityRef => ({ deviceId: ctx.params.deviceId!, moduleId: ctx.params.moduleId! });

  return {
    listDevices: async (): Promise<ApiResult> => ({
      status: 200,
      json: backend.store.identities
        .list()
        .filter((i) => i.moduleId === undefined)
        .map(show),
    }),
    getDevice: async (ctx: RequestContext): Promise<ApiResult> => ({ status: 200, json: show(mustGet(backend, device(ctx))) }),
    putDevice: (ctx: RequestContext) => put(ctx, device(ctx)),
    deleteDevice: async (ctx: RequestContext) => remove(ctx, device(ctx)),
    listModules: async (ctx: RequestContext): Promise<ApiResult> => {
      mustGet(backend, device(ctx));
      return {
        status: 200,
        json: backend.store.identities
          .listDevice(ctx.params.deviceId!)
          .filter((i) => i.moduleId !== undefined)
          .map(show),
      };
    },
    getModule: async (ctx: RequestContext): Promise<ApiResult> => ({ status: 200, json: show(mustGet(backend, module(ctx))) }),
    putModule: (ctx: RequestContext) => put(ctx, module(ctx)),
    deleteModule: async (ctx: RequestContext) => remove(ctx, module(ctx)),
  };
}
