/**
 * The edge agent (docs/agent.md): from the `$edgeAgent` twin to running modules on Kubernetes, with
 * status reported back in IoT Edge's shape. `AgentHost` is what the server starts (one agent per
 * edge device); the pure core (diff, planner, restart policy, pod status, reported state) is
 * exported for tools and tests.
 */
export { AgentHost, type AgentHostOptions, type HubEndpoint } from './agent-host.js';
export { EdgeAgent, type EdgeAgentOptions } from './edge-agent.js';
export { Agent, type AgentOptions, type PassResult } from './agent.js';
export { ReconcileLoop, type ReconcileLoopOptions } from './reconcile-loop.js';
export { diffModuleSets, moduleSetOf, moduleConfigEquals, type ModuleSet, type ModuleSetDiff } from './module-set.js';
export { planReconcile, type Plan, type PlanInput } from './planner.js';
export { commandId, type Command, type CommandFactory, type CommandKind } from './command.js';
export { OrderedRetryPlanRunner, PlanExecutionError, EnvironmentUnavailableError, type CommandFailure } from './plan-runner.js';
export {
  DEFAULT_RESTART_POLICY_OPTIONS,
  coolOffMs,
  isCoolOffOver,
  computeStatusFromRestartPolicy,
  agentStopDecision,
  effectiveRuntimeInfo,
  type RestartPolicyOptions,
} from './restart-policy.js';
export { podRuntimeInfo, moduleRuntimeInfo } from './pod-status.js';
export { fitReportedState, reportAtLevel, REPORT_LEVELS, type ReportLevel, type FittedReport } from './fit-reported-state.js';
export { buildReportedState, diffReported, applyReportedPatch, type DeploymentStatus, type JsonObject, type ReportInput } from './reported-state.js';
export { UNKNOWN_TIME, type RuntimeStatus, type ModuleRuntimeInfo, type CurrentModule, type CurrentState, type AgentStopRecord } from './runtime-info.js';
export type { ConfigSource, Environment, Reporter, DesiredDocument, ValidateAgentDesired } from './ports.js';
export { ReportTooLargeError } from './ports.js';
export { HubTwinConnection, HubNotConnectedError, type HubTwinConnectionOptions } from './hub/hub-twin-connection.js';
export { ClientNodeKubeApi, classifyKubeError, type ClientNodeKubeApiOptions } from './kubernetes/client-node-kube-api.js';
export { KubeApiError, type KubeApi, type KubeObject } from './kubernetes/kube-api.js';
export { KubernetesEnvironment, ANNOTATION_AGENT_SPEC, ANNOTATION_AGENT_STOP } from './kubernetes/kubernetes-environment.js';
export { renderStatusTable, statusTable, type StatusTable } from './status-table.js';
export { describeReported } from './describe-reported.js';
export { NodeCatalog, type ImageCatalog, type NodeSnapshot } from './kubernetes/node-catalog.js';
export { decidePlacement, clusterPoolsOf, realNodeImages, runsOnOf, type ClusterPools, type PlacementDecision, type RunsOn } from './module-placement.js';
export { startUpCluster, type UpCluster, type UpClusterOptions, type UpClusterDeps } from './up-cluster.js';
export type { AgentMethodContext, AgentMethodHandler, AgentMethodResult, AgentMethodTable, ModuleLogQuery, ModuleLogText } from './methods/agent-method.js';
export { createAgentMethodDispatch, type AgentMethodDispatch } from './methods/method-dispatch.js';
export { builtinAgentMethods } from './methods/builtin-agent-methods.js';
export {
  MethodRequestError,
  MethodFailedError,
  requirePayloadObject,
  checkSchemaVersion,
  requireString,
  optionalString,
  optionalInteger,
  optionalEnum,
  optionalObject,
} from './methods/method-request.js';
export { parseLogsRequest, selectLogModules, MAX_LOG_ITEMS, MAX_TAIL, type LogsRequest, type LogsRequestItem } from './methods/logs-request.js';
export { encodeLogsResponse, renderModuleLog, MAX_LOGS_PAYLOAD, type LogsResponseItem, type ModuleLogMessageJson } from './methods/logs-response.js';
export { parseModuleLog, filterModuleLog, DEFAULT_LOG_LEVEL, type ModuleLogLine, type ModuleLogFilter } from './methods/module-log-lines.js';
export { parseLogTime, parseDuration } from './methods/log-time.js';
export { compileSafeRegex, type SafeRegex } from './methods/safe-regex.js';
export { wireUploadMethods, type UploadMethodPieces } from './methods/wire-upload-methods.js';
export { createUploadMethods, type UploadMethodDeps } from './methods/upload-methods.js';
export { ModuleLogUnavailableError } from './kubernetes/module-methods.js';
export { planFleet, describeDeviceList, describeFleetProgress, allModulesRunning, MAX_FLEET_DEVICES, DEFAULT_DEVICE_PREFIX, type FleetPlan, type FleetFlags } from './fleet-plan.js';
export { SharedCollections, hasLabels, type CollectionView, type SharedCollectionsOptions } from './kubernetes/shared-collections.js';
