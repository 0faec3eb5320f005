import { gzipSync } from 'node:zlib';
import type { AgentMethodHandler } from './agent-method.js';
import type { BlobUploadPort } from './blob-upload.js';
import { logQueryFor } from './get-module-logs.js';
import { selectLogModules } from './logs-request.js';
import { renderModuleLog } from './logs-response.js';
import { MethodRequestError } from './method-request.js';
import { filterModuleLog, parseModuleLog } from './module-log-lines.js';
import type { TaskRegistry } from './task-registry.js';
import { logBlobFormat, uploadBlobName } from './upload-blob-name.js';
import { parseModuleLogsUploadRequest } from './upload-request.js';

/**
 * `UploadModuleLogs {"schemaVersion", "items": [{"id", "filter"}], "encoding", "contentType", "sasUrl"}`
 * (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/ModuleLogsUploadRequestHandler.cs`):
 * the payload is checked as GetModuleLogs' (400 naming the field), the item ids are resolved
 * against the deployment's module names, then one blob per module is uploaded in the background
 * and the answer is at once 200 `{status: "Running", message: "", correlationId}`. Each blob holds
 * what GetModuleLogs would answer for the module (same filter, same text/JSON rendering), gzipped
 * on request. The task is Completed when every blob is written, Failed with the first reason otherwise.
 */
export function uploadModuleLogsHandler(deps: { hubName: string; blobs: BlobUploadPort; tasks: TaskRegistry }): AgentMethodHandler {
  return async (payload, ctx) => {
    const request = parseModuleLogsUploadRequest(payload, ctx.clock.now());
    const names = await ctx.moduleNames();
    const selected = selectLogModules(request.items, names);
    // edgeAgent would complete an empty upload; edgemu says so instead of a silent empty success.
    if (selected.length === 0) {
      throw new MethodRequestError(`items[].id: no module of the deployment matches (${request.items.map((i) => i.id).join(', ')}); the modules are: ${names.join(', ') || 'none'}`, 'items');
    }
    const format = logBlobFormat(request.contentType, request.encoding);
    const where = { iothub: ctx.iotHubName ?? deps.hubName, device: ctx.deviceId };
    const started = deps.tasks.start(ctx.deviceId, 'upload logs', async (signal) => {
      await Promise.all(
        selected.map(async ({ moduleId, item }) => {
          const log = await ctx.readModuleLog(moduleId, logQueryFor(item));
          const text = renderModuleLog(filterModuleLog(parseModuleLog(log.text), item.filter), moduleId, where, request.contentType);
          const body = request.encoding === 'gzip' ? gzipSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
          const name = uploadBlobName(deps.hubName, ctx.deviceId, moduleId, format.extension, ctx.clock.now());
          const { url } = await deps.blobs.upload(request.sasUrl, name, body, format, signal);
          ctx.logger.info({ moduleId, url, bytes: body.length }, 'uploaded module logs');
        }),
      );
    });
    ctx.logger.info({ correlationId: started.correlationId, modules: selected.map((s) => s.moduleId) }, 'UploadModuleLogs started');
    return { status: 200, payload: started };
  };
}
