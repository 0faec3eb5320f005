import type { AgentMethodTable } from './agent-method.js';
import type { BlobUploadPort } from './blob-upload.js';
import { getTaskStatusHandler } from './get-task-status.js';
import type { SupportBundleSources } from './support-bundle.js';
import type { TaskRegistry } from './task-registry.js';
import { uploadModuleLogsHandler } from './upload-module-logs.js';
import { uploadSupportBundleHandler } from './upload-support-bundle.js';

/** What the upload methods need beyond AgentMethodContext; the composition root binds each once for all devices. */
export interface UploadMethodDeps {
  /** The first part of blob names, `<hubName>/<device>/…` (edgeAgent uses the IoT hub's name): the hub host name. */
  hubName: string;
  /** Where blobs go: `HttpBlobUploader` (blob-upload.ts). */
  blobs: BlobUploadPort;
  /** Correlation ids and task outcomes, shared by the three methods (one registry per process). */
  tasks: TaskRegistry;
  /** Twins, status table and cluster events for the support bundle (support-bundle-sources.ts builds them). */
  bundle: SupportBundleSources;
}

/**
 * edgeAgent's upload methods (learn.microsoft.com/azure/iot-edge/how-to-retrieve-iot-edge-logs):
 * `UploadModuleLogs`, `UploadSupportBundle` and `GetTaskStatus`, by lower-case name for the
 * agent's method dispatch.
 */
export function createUploadMethods(deps: UploadMethodDeps): AgentMethodTable {
  return {
    uploadmodulelogs: uploadModuleLogsHandler(deps),
    uploadsupportbundle: uploadSupportBundleHandler(deps),
    gettaskstatus: getTaskStatusHandler(deps),
  };
}
