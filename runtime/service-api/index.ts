/**
 * The hub's HTTPS service API (docs/service-api.md): IoT Hub's REST shape for the azure-iothub SDK and
 * edgemu's CLI, plus the client the CLI uses.
 */
export { startServiceApi, DEFAULT_LIMITS, ROUTE_PERMISSIONS, type ServiceApi, type ServiceApiOptions, type ServiceApiLimits } from './start-service-api.js';
export { startHubServiceApi, hubServiceBackend, type StartHubServiceApiOptions } from './start-hub-service-api.js';
export { createHandlers } from './create-handlers.js';
export type { ServiceBackend, MethodCall, MethodAnswer } from './service-backend.js';
export { applyConfigurationContent, describeIssues, type ApplyOutcome } from './apply-configuration.js';
export { startAutomaticDeployments, type AutomaticDeployments } from './automatic-deployments.js';
export { deploymentRequest, deploymentUpdateRequest, formatDeploymentTable, formatDeploymentDetails, type DeploymentCreateInput, type DeploymentUpdateInput } from './deployment-request.js';
export {
  ServiceClient,
  ServiceClientError,
  DeploymentRefusedError,
  connectToRunningHub,
  type ServiceClientOptions,
  type TwinTarget,
  type MethodResult,
  type SendC2dOptions,
  type EventFilter,
} from './service-client.js';
export { ServiceApiError, apiErrors, formatErrorBody, parseErrorBody, type IotHubErrorCode } from './service-api-error.js';
export { SUPPORTED_API_VERSIONS, DEFAULT_API_VERSION } from './api-version.js';
export { authorizeServiceRequest, POLICY_PERMISSIONS, type Permission } from './service-auth.js';
export type { TelemetryJson } from './telemetry-json.js';
export { parseJsonArgument, toTwinPatch, parseProperties, parseTimeoutSeconds } from './cli-input.js';
export { formatTelemetryLine } from './format-telemetry.js';
export { openHubAdmin, type HubAdmin } from './hub-admin.js';
export { WEB_REQUEST_HEADER, type WebFront, type AuthorizeToken } from './web-front.js';
export { SseStream, formatSseEvent, type SseEvent } from './sse.js';
export { readBody, parseJsonBody } from './read-body.js';
