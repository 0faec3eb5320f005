import type { AgentMethodHandler } from './agent-method.js';
import type { BlobUploadPort } from './blob-upload.js';
import { collectSupportBundle, type SupportBundleSources } from './support-bundle.js';
import type { TaskRegistry } from './task-registry.js';
import { uploadBlobName } from './upload-blob-name.js';
import { parseSupportBundleRequest } from './upload-request.js';

/**
 * `UploadSupportBundle {"schemaVersion", "sasUrl", "since", "until", "edgeRuntimeOnly"}`
 * (Azure/iotedge `requests/SupportBundleRequestHandler.cs`): answers at once 200
 * `{status: "Running", message: "", correlationId}`, then builds the bundle (support-bundle.ts)
 * and uploads it as `<hub>/<device>/support-bundle-<time>.zip` (`application/zip`, encoding `zip`).
 */
export function uploadSupportBundleHandler(deps: { hubName: string; blobs: BlobUploadPort; tasks: TaskRegistry; bundle: SupportBundleSources }): AgentMethodHandler {
  return async (payload, ctx) => {
    const request = parseSupportBundleRequest(payload, ctx.clock.now());
    const started = deps.tasks.start(ctx.deviceId, 'upload support bundle', async (signal) => {
      const zip = await collectSupportBundle(ctx, deps.bundle, request);
      const name = uploadBlobName(deps.hubName, ctx.deviceId, 'support-bundle', 'zip', ctx.clock.now());
      const { url } = await deps.blobs.upload(request.sasUrl, name, zip, { contentType: 'application/zip', contentEncoding: 'zip' }, signal);
      ctx.logger.info({ url, bytes: zip.length }, 'uploaded support bundle');
    });
    return { status: 200, payload: started };
  };
}
