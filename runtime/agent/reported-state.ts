import type { DeploymentStatusCode, EdgeAgentConfig, ModuleSpec } from '../manifest/index.js';
import { effectiveRuntimeInfo, DEFAULT_RESTART_POLICY_OPTIONS, type RestartPolicyOptions } from './restart-policy.js';
import { imageHashOf, reportedTime, UNKNOWN_TIME, type CurrentState, type ModuleRuntimeInfo } from './runtime-info.js';

/** `lastDesiredStatus` as IoT Edge reports it (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub, EdgeAgent reported properties). */
export interface DeploymentStatus {
  code: DeploymentStatusCode;
  description: string;
}

/** A JSON object as twins carry it. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonObject | JsonValue[];

export interface ReportInput {
  /** The configuration being run (the last valid one); undefined before any valid deployment. */
  config: EdgeAgentConfig | undefined;
  /** Desired `$version` of the configuration the pass acted on. */
  lastDesiredVersion: number | undefined;
  status: DeploymentStatus;
  /** Current modules; undefined when the environment could not be read (modules are then left as last reported). */
  current: CurrentState | undefined;
  /** When this agent started (reported for edgeAgent, and edgeHub which runs in the same process). */
  agentStartTimeUtc: string;
  version: { version: string; build: string; commit: string };
  platform: { os: string; architecture: string; version: string };
  restartPolicy?: RestartPolicyOptions;
}

/** IoT Edge splits serialized createOptions into 512-character twin values (`Constants.TwinValueMaxSize` in Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker; learn.microsoft.com/azure/iot-edge/how-to-use-create-options). */
const CHUNK = 512;

/**
 * The full `$edgeAgent` reported object in IoT Edge's shape (`AgentState.cs`,
 * `IoTHubReporter.cs`; Azure/iotedge doc/reported_states_during_deployment.md). `schemaVersion` is always "1.0" as IoT Edge
 * reports it whatever the desired one. `modules` is omitted when the current state is unknown,
 * so a diff keeps the last reported modules instead of erasing them. It may exceed IoT Hub's 32 KB
 * reported limit for big deployments: `fitReportedState` (fit-reported-state.ts) shortens it.
 */
export function buildReportedState(input: ReportInput): JsonObject {
  const options = input.restartPolicy ?? DEFAULT_RESTART_POLICY_OPTIONS;
  const runtimeSettings = input.config?.runtime;
  const state: JsonObject = {
    schemaVersion: '1.0',
    version: { ...input.version },
    lastDesiredStatus: { code: input.status.code, description: input.status.description },
    runtime: {
      type: 'docker',
      settings: {
        minDockerVersion: runtimeSettings?.minDockerVersion ?? '',
        loggingOptions: runtimeSettings?.loggingOptions ?? '',
        // Credentials are echoed without their password: a reported twin is readable by every service client.
        registryCredentials: Object.fromEntries(
          (runtimeSettings?.registryCredentials ?? []).map((c) => [c.name, { address: c.address, username: c.username }]),
        ),
      },
      platform: { ...input.platform },
    },
    systemModules: systemModules(input),
  };
  if (input.lastDesiredVersion !== undefined) state.lastDesiredVersion = input.lastDesiredVersion;
  if (input.current) {
    const modules: JsonObject = {};
    for (const name of [...input.current.modules.keys()].sort()) {
      const m = input.current.modules.get(name)!;
      const entry = moduleEntry(m.spec, effectiveRuntimeInfo(m, options));
      // edgemu's own field (IoT Edge tools ignore unknown ones): whether the module really runs.
      if (m.runsOn !== undefined) entry.runsOn = m.runsOn;
      modules[name] = entry;
    }
    state.modules = modules;
  }
  return state;
}

function systemModules(input: ReportInput): JsonObject {
  const agent = input.config?.systemModules.edgeAgent;
  const hub = input.config?.systemModules.edgeHub;
  const running = {
    runtimeStatus: 'running',
    statusDescription: 'running inside the edgemu process',
    exitCode: 0,
    lastStartTimeUtc: reportedTime(input.agentStartTimeUtc),
    lastExitTimeUtc: reportedTime(UNKNOWN_TIME),
  };
  const edgeAgent: JsonObject = {
    type: 'docker',
    ...(agent ? { settings: settingsOf(agent, agent.image, ''), imagePullPolicy: agent.imagePullPolicy, env: envOf(agent) } : {}),
    ...running,
  };
  const edgeHub: JsonObject = {
    type: 'docker',
    ...(hub
      ? {
          status: hub.status,
          restartPolicy: hub.restartPolicy,
          imagePullPolicy: hub.imagePullPolicy,
          startupOrder: hub.startupOrder,
          settings: settingsOf(hub, hub.image, ''),
          env: envOf(hub),
        }
      : {}),
    ...running,
    restartCount: 0,
    lastRestartTimeUtc: reportedTime(UNKNOWN_TIME),
  };
  return { edgeAgent, edgeHub };
}

function moduleEntry(spec: ModuleSpec, info: ModuleRuntimeInfo): JsonObject {
  return {
    version: spec.version,
    type: spec.type,
    status: spec.status,
    restartPolicy: spec.restartPolicy,
    imagePullPolicy: spec.imagePullPolicy,
    startupOrder: spec.startupOrder,
    settings: settingsOf(spec, info.image === 'unknown:unknown' ? spec.image : info.image, imageHashOf(info.imageId)),
    env: envOf(spec),
    runtimeStatus: info.runtimeStatus,
    statusDescription: info.statusDescription,
    exitCode: info.exitCode,
    lastStartTimeUtc: reportedTime(info.lastStartTimeUtc),
    lastExitTimeUtc: reportedTime(info.lastExitTimeUtc),
    restartCount: info.restartCount,
    // Never restarted: edgeAgent's module state starts at (0, last exit time)
    // (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker/DockerEnvironment.cs).
    lastRestartTimeUtc: reportedTime(info.restartCount === 0 && info.lastRestartTimeUtc === UNKNOWN_TIME ? info.lastExitTimeUtc : info.lastRestartTimeUtc),
  };
}

/** `settings` in `DockerReportedConfig`'s order: image, imageHash, createOptions chunks (DockerReportedConfig.cs in Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker). */
function settingsOf(spec: ModuleSpec, image: string, imageHash: string): JsonObject {
  const settings: JsonObject = { image, imageHash };
  const serialized = JSON.stringify(spec.createOptions ?? {});
  for (let i = 0; i * CHUNK < serialized.length || i === 0; i += 1) {
    settings[i === 0 ? 'createOptions' : `createOptions${String(i).padStart(2, '0')}`] = serialized.slice(i * CHUNK, (i + 1) * CHUNK);
  }
  return settings;
}

const envOf = (spec: ModuleSpec): JsonObject => Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, { value: v }]));

/**
 * The reported-property patch that turns `previous` into `next` (IoT Edge
 * `IoTHubReporter.DiffAndReportAsync` / `JsonEx.Diff`): changed or new keys carry their new value,
 * nested objects are diffed key by key, keys gone from `next` become `null` (the twin rule for
 * deleting a property). Undefined when nothing changed, so nothing is sent.
 */
export function diffReported(previous: JsonObject | undefined, next: JsonObject): JsonObject | undefined {
  if (!previous) return Object.keys(next).length > 0 ? next : undefined;
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(next)) {
    const old = previous[key];
    if (isObject(value) && isObject(old)) {
      const sub = diffReported(old, value);
      if (sub) patch[key] = sub;
    } else if (!jsonEquals(old, value)) patch[key] = value;
  }
  for (const key of Object.keys(previous)) if (!(key in next)) patch[key] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Applies a patch made by `diffReported` (null deletes), as the hub merges reported properties. */
export function applyReportedPatch(base: JsonObject | undefined, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...(base ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = applyReportedPatch(out[key] as JsonObject, value);
    else out[key] = value;
  }
  return out;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const jsonEquals = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
