/**
 * The manifest area's public API: validate IoT Edge deployment manifests and the
 * `$edgeAgent`/`$edgeHub` desired sections, and get back the normalized model (model.ts).
 */
export * from './model.js';
export { validateManifest, isLayeredContent } from './validate-manifest.js';
export { validateLayer, type LayerContent } from './validate-layer.js';
export { parseManifestText, parseJsonText } from './parse-manifest-text.js';
export { validateEdgeAgentDesired } from './validate-edge-agent-desired.js';
export { validateEdgeHubDesired, DEFAULT_STORE_AND_FORWARD_TTL_SECS } from './validate-edge-hub-desired.js';
export { joinCreateOptions, MAX_CREATE_OPTIONS_CHUNKS } from './create-options.js';
export { parseImageReference, type ImageReference } from './image-reference.js';
export { toK8sName, toLabelValue } from './k8s-name.js';
export {
  readManifestFile,
  listManifestFiles,
  readManifestStream,
  validateManifestFile,
  loadDeploymentFile,
  decodeManifestBytes,
  ManifestFileError,
  ManifestInvalidError,
  MAX_MANIFEST_BYTES,
  type FileValidationReport,
  type ManifestFileErrorCode,
} from './manifest-file.js';
export { parseExpectations, expectationFor, entryFailures, formatCheck, type CheckEntry, type DryRunRejection } from './check-report.js';
export { formatReport } from './format-report.js';
