import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { apiErrors } from './service-api-error.js';
import { isJsonObject } from './read-body.js';
import { runTwinQuery } from './run-twin-query.js';

const header = (ctx: RequestContext, name: string): string | undefined => {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * `POST /devices/query` (learn.microsoft.com/rest/api/iothub/service/query/get-twins): the body
 * `{"query": "SELECT …"}`, paged by `x-ms-max-item-count` and `x-ms-continuation`; the answer is
 * the page's JSON array with `x-ms-item-type` (`twin` or `raw`) and, while more items follow,
 * `x-ms-continuation` — what azure-iothub's `Query.next` and azure-iot-hub's `query_iot_hub` read.
 */
export function queryHandlers(backend: ServiceBackend) {
  return {
    queryDevices: async (ctx: RequestContext): Promise<ApiResult> => {
      const body = await ctx.readJson();
      if (!isJsonObject(body) || typeof body.query !== 'string') throw apiErrors.badRequest('The body must be {"query": "<query text>"}.');
      const page = runTwinQuery(backend.store, body.query, {
        maxItemCount: header(ctx, 'x-ms-max-item-count'),
        continuation: header(ctx, 'x-ms-continuation'),
      });
      const headers: Record<string, string> = { 'x-ms-item-type': page.itemType };
      if (page.continuation !== undefined) headers['x-ms-continuation'] = page.continuation;
      return { status: 200, json: page.items, headers };
    },
  };
}
