import type { ServiceBackend } from './service-backend.js';
import type { RequestContext, ApiResult } from './start-service-api.js';
import { ServiceApiError } from './service-api-error.js';
import { applyConfigurationContent, describeIssues } from './apply-configuration.js';

/**
 * `POST /devices/{id}/applyConfigurationContent`: 204 when applied; 400 with every problem
 * when the manifest is invalid (the body also carries `errors`, `warnings` and the
 * `deploymentStatus` IoT Edge would report — 400, 412 or 417 — for edgemu's CLI).
 */
export function configurationHandlers(backend: ServiceBackend) {
  return {
    applyConfigurationContent: async (ctx: RequestContext): Promise<ApiResult> => {
      const body = await ctx.readJson();
      const outcome = applyConfigurationContent(backend.store, ctx.params.deviceId!, body);
      if (outcome.applied) return { status: 204 };
      const count = outcome.errors.length;
      // The SDK shows the text up to the first ';' only, so the summary must not contain one.
      const summary = `The deployment manifest is invalid (${count} problem${count === 1 ? '' : 's'}): ${describeIssues(outcome.errors).replace(/;/g, ',')}`;
      throw new ServiceApiError(400, 'ArgumentInvalid', summary, {
        details: { deploymentStatus: outcome.status, errors: outcome.errors, warnings: outcome.warnings },
      });
    },
  };
}
