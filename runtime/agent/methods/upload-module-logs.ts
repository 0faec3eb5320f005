import type { AgentMethodHandler } from './agent-method.js';
import type { BlobUploadPort } from './blob-upload.js';
import type { TaskRegistry } from './task-registry.js';
import { filterLogEntries, logBlobFormat, parseLogLines, renderLogContent, uploadBlobName } from './upload-log-content.js';
import { answerRequest, parseModuleLogsUploadRequest, RequestPayloadError, type LogFilter, type LogRequestItem } from './upload-request.js';

/**
 * `UploadModuleLogs {"schemaVersion", "items": [{"id", "filter"}], "encoding", "contentType", "sasUrl"}`
 * (Azure/iotedge `requests/ModuleLogsUploadRequestHandler.cs`): checks the payload (400 naming the
 * field), resolves the item ids against the deployment's module names, then uploads one blob per
 * module in the background and answers at once 200 `{status: "Running", message: "", correlationId}`.
 * The task is Completed when every blob is written, Failed with the first reason otherwise.
 */
export function uploadModuleLogsHandler(deps: { hubName: string; blobs: BlobUploadPort; tasks: TaskRegistry }): AgentMethodHandler {
  return (payload, ctx) =>
    answerRequest(async () => {
      const request = parseModuleLogsUploadRequest(payload, ctx.clock.now());
      const names = await ctx.moduleNames();
      const selected = selectModules(request.items, names);
      // edgeAgent would complete an empty upload; edgemu says so instead of a silent empty success.
      if (selected.length === 0) {
        throw new RequestPayloadError(`no module of the deployment matches "items[].id" (${request.items.map((i) => i.id.source).join(', ')}); the modules are: ${names.join(', ') || 'none'}`);
      }
      const format = logBlobFormat(request.contentType, request.encoding);
      const started = deps.tasks.start(ctx.deviceId, 'upload logs', async (signal) => {
        await Promise.all(
          selected.map(async ({ moduleId, filter }) => {
            const query = { ...(filter.tail !== undefined ? { tail: filter.tail } : {}), ...(filter.since !== undefined ? { since: filter.since } : {}), ...(filter.until !== undefined ? { until: filter.until } : {}) };
            const log = await ctx.readModuleLog(moduleId, query);
            const body = renderLogContent(filterLogEntries(parseLogLines(moduleId, log.text), filter), request.contentType, request.encoding);
            const name = uploadBlobName(deps.hubName, ctx.deviceId, moduleId, format.extension, ctx.clock.now());
            const { url } = await deps.blobs.upload(request.sasUrl, name, body, format, signal);
            ctx.logger.info({ moduleId, url, bytes: body.length }, 'uploaded module logs');
          }),
        );
      });
      ctx.logger.info({ correlationId: started.correlationId, modules: selected.map((s) => s.moduleId) }, 'UploadModuleLogs started');
      return { status: 200, payload: started };
    });
}

/**
 * Each module whose name an item's id matches, with that item's filter; the first matching item
 * wins (edgeAgent's `LogsRequestToOptionsMapper.GetIdsToProcess`).
 */
export function selectModules(items: readonly LogRequestItem[], moduleNames: readonly string[]): Array<{ moduleId: string; filter: LogFilter }> {
  const chosen = new Map<string, LogFilter>();
  for (const item of items) {
    for (const name of moduleNames) {
      if (!chosen.has(name.toLowerCase()) && item.id.test(name)) chosen.set(name.toLowerCase(), item.filter);
    }
  }
  return moduleNames.filter((n) => chosen.has(n.toLowerCase())).map((moduleId) => ({ moduleId, filter: chosen.get(moduleId.toLowerCase())! }));
}
