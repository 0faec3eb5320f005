import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import type { StoredConfiguration } from '../hub/index.js';
import type { QuerySource } from '../query/index.js';
import { ServiceApiError, apiErrors } from './service-api-error.js';
import { applyConfigurationContent, describeIssues } from './apply-configuration.js';
import { configurationDoc, configurationEtag, configurationJson, metricQueryError, parseConfigurationInput, targetConditionError, MAX_CONFIGURATIONS } from './configuration-json.js';
import { countMetrics, systemMetricQueries } from './configuration-metrics.js';
import { snapshotQuerySource } from './twin-query-source.js';
import { etagMatches } from './identity-json.js';
import { isJsonObject } from './read-body.js';

const ifMatchOf = (ctx: RequestContext): string | undefined => {
  const v = ctx.headers['if-match'];
  return Array.isArray(v) ? v[0] : v;
};

/** A configuration with its system and custom metrics computed now over the store's twins. */
function withMetrics(stored: StoredConfiguration, source: QuerySource) {
  const doc = stored.doc as { targetCondition?: string; metrics?: { queries?: Record<string, string> } };
  const systemQueries = systemMetricQueries(stored.id, doc.targetCondition ?? '');
  return configurationJson(stored, { systemQueries, system: countMetrics(systemQueries, source), custom: countMetrics(doc.metrics?.queries ?? {}, source) });
}

/**
 * IoT Hub's configurations over REST (learn.microsoft.com/rest/api/iothub/service/configuration),
 * what azure-iothub's `Registry.addConfiguration`/`getConfiguration`/`getConfigurations`/
 * `updateConfiguration`/`removeConfiguration` and `az iot edge deployment` call: PUT without
 * `If-Match` creates (409 when it exists), PUT with `If-Match` updates (412 on a stale ETag;
 * the content cannot change, as on IoT Hub), DELETE honours `If-Match`; metrics are computed
 * on every read. Plus `POST /devices/{id}/applyConfigurationContent`: 204 when applied; 400 with
 * every problem when the manifest is invalid (the body also carries `errors`, `warnings` and the
 * `deploymentStatus` IoT Edge would report — 400, 412 or 417 — for edgemu's CLI).
 */
export function configurationHandlers(backend: ServiceBackend) {
  const { store } = backend;
  const mustGet = (id: string): StoredConfiguration => {
    const stored = store.configurations.get(id);
    if (!stored) throw apiErrors.configurationNotFound(id);
    return stored;
  };
  const result = (stored: StoredConfiguration): ApiResult => ({ status: 200, json: withMetrics(stored, snapshotQuerySource(store)), headers: { etag: `"${configurationEtag(stored)}"` } });

  return {
    applyConfigurationContent: async (ctx: RequestContext): Promise<ApiResult> => {
      const body = await ctx.readJson();
      const outcome = applyConfigurationContent(store, ctx.params.deviceId!, body);
      if (outcome.applied) return { status: 204 };
      const count = outcome.errors.length;
      // The SDK shows the text up to the first ';' only, so the summary must not contain one.
      const summary = `The deployment manifest is invalid (${count} problem${count === 1 ? '' : 's'}): ${describeIssues(outcome.errors).replace(/;/g, ',')}`;
      throw new ServiceApiError(400, 'ArgumentInvalid', summary, {
        details: { deploymentStatus: outcome.status, errors: outcome.errors, warnings: outcome.warnings },
      });
    },

    /** `GET /configurations[?top=N]`: every configuration (IoT Hub does not page this list), ordered by id. */
    listConfigurations: async (ctx: RequestContext): Promise<ApiResult> => {
      const topText = ctx.query.get('top');
      const top = topText === null ? MAX_CONFIGURATIONS : Number(topText);
      if (!Number.isInteger(top) || top < 0) throw apiErrors.badRequest(`top must be a non-negative integer, not '${topText}'.`);
      const source = snapshotQuerySource(store);
      return { status: 200, json: store.configurations.list().slice(0, top).map((c) => withMetrics(c, source)) };
    },

    getConfiguration: async (ctx: RequestContext): Promise<ApiResult> => result(mustGet(ctx.params.configurationId!)),

    putConfiguration: async (ctx: RequestContext): Promise<ApiResult> => {
      const id = ctx.params.configurationId!;
      const input = parseConfigurationInput(await ctx.readJson(), id);
      const ifMatch = ifMatchOf(ctx);
      const existing = store.configurations.get(id);
      if (existing) {
        if (ifMatch === undefined) throw apiErrors.conflictConfiguration(id);
        if (!etagMatches(ifMatch, configurationEtag(existing))) throw apiErrors.preconditionFailed(`ETag ${ifMatch} does not match the current "${configurationEtag(existing)}".`);
        if (JSON.stringify(existing.doc.content) !== JSON.stringify(input.content)) {
          throw apiErrors.badRequest(`The content of configuration ${id} cannot be changed; create a new configuration (a new id) and delete this one.`);
        }
      } else {
        if (ifMatch !== undefined && ifMatch.trim() !== '*' && ifMatch.trim() !== '"*"') throw apiErrors.configurationNotFound(id);
        if (store.configurations.count() >= MAX_CONFIGURATIONS) throw apiErrors.quotaExceeded(`The hub already has ${MAX_CONFIGURATIONS} configurations, IoT Hub's limit; delete one first.`);
      }
      return result(store.configurations.put(id, configurationDoc(input)));
    },

    deleteConfiguration: async (ctx: RequestContext): Promise<ApiResult> => {
      const id = ctx.params.configurationId!;
      const existing = mustGet(id);
      const ifMatch = ifMatchOf(ctx);
      if (!etagMatches(ifMatch, configurationEtag(existing))) throw apiErrors.preconditionFailed(`ETag ${ifMatch} does not match the current "${configurationEtag(existing)}".`);
      store.configurations.delete(id);
      return { status: 204 };
    },

    /**
     * `POST /configurations/testQueries` (learn.microsoft.com/rest/api/iothub/service/configuration/test-queries):
     * `{targetCondition, customMetricQueries}` in, `{targetConditionError, customMetricQueryErrors}` out (empty strings when fine).
     */
    testConfigurationQueries: async (ctx: RequestContext): Promise<ApiResult> => {
      const body = await ctx.readJson();
      if (!isJsonObject(body)) throw apiErrors.badRequest('The body must be {"targetCondition": "...", "customMetricQueries": {...}}.');
      const condition = body.targetCondition ?? '';
      if (typeof condition !== 'string') throw apiErrors.badRequest('targetCondition must be a string.');
      const queries = body.customMetricQueries ?? {};
      if (!isJsonObject(queries)) throw apiErrors.badRequest('customMetricQueries must be an object of query strings.');
      const customMetricQueryErrors: Record<string, string> = {};
      for (const [name, query] of Object.entries(queries)) {
        customMetricQueryErrors[name] = typeof query === 'string' ? (metricQueryError(query) ?? '') : 'the query must be a string';
      }
      return { status: 200, json: { targetConditionError: targetConditionError(condition) ?? '', customMetricQueryErrors } };
    },
  };
}
