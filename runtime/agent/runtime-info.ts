import type { ModuleSpec } from '../manifest/index.js';
import type { ModuleSet } from './module-set.js';
import type { RunsOn } from './module-placement.js';

/**
 * `runtimeStatus` spellings as IoT Edge reports them (`Agent.Core/IModule.cs ModuleStatus`,
 * learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub). `unhealthy` is defined but, as in IoT Edge, nothing produces it.
 */
export type RuntimeStatus = 'running' | 'backoff' | 'unhealthy' | 'stopped' | 'failed' | 'unknown';

/** The agent's own marker for a time it does not know (`DateTime.MinValue`); reported as `REPORTED_UNKNOWN_TIME`. */
export const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

/** `DateTime.MinValue` as edgeAgent writes it into the twin (see `reportedTime`). */
export const REPORTED_UNKNOWN_TIME = '0001-01-01T00:00:00';

/**
 * A time as edgeAgent writes it into `$edgeAgent` reported (lastStartTimeUtc, lastExitTimeUtc,
 * lastRestartTimeUtc): edgeAgent takes module times from the runtime's `DateTimeOffset.DateTime`
 * (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Edgelet/version_2020_07_07/ModuleManagementHttpClient.cs),
 * a UTC wall-clock `DateTime` without a kind, which Json.NET's ISO writer prints as
 * `yyyy-MM-ddTHH:mm:ss.FFFFFFF` — fractional digits with trailing zeros dropped (none when whole
 * seconds), and no zone designator: `2021-06-12T00:27:46.3838704` in Azure/iotedge
 * doc/reported_states_during_deployment.md. Kubernetes times have whole seconds, so they print as
 * `2026-12-01T23:27:28`. Unknown (or unparsable) times print as `0001-01-01T00:00:00`.
 */
export function reportedTime(iso: string): string {
  if (iso === UNKNOWN_TIME) return REPORTED_UNKNOWN_TIME;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return REPORTED_UNKNOWN_TIME;
  const [whole, fraction = ''] = new Date(ms).toISOString().replace('Z', '').split('.');
  const digits = fraction.replace(/0+$/, '');
  return digits ? `${whole}.${digits}` : whole!;
}

/**
 * `settings.imageHash` as edgeAgent reports it: the image ID (`sha256:<hex>`) of the container
 * (Docker's `Image` field, Azure/iotedge edgelet/edgelet-docker/src/runtime.rs `with_image_hash`;
 * edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Docker/DockerReportedConfig.cs writes "" when
 * unknown). Kubernetes gives the pod's `containerStatuses[].imageID`: `sha256:<id>` for an image
 * without a registry digest (an imported one), `<repo>@sha256:<digest>` (or
 * `docker-pullable://…@sha256:…`) for a pulled one — then the digest is the manifest's, not
 * Docker's config-based image ID. The `sha256:<hex>` part is reported either way.
 */
export function imageHashOf(imageId: string | undefined): string {
  const match = /sha256:[0-9a-f]{64}/.exec(imageId ?? '');
  return match ? match[0] : '';
}

/**
 * Observed runtime facts about one module, read from its pod (or remembered by the agent when
 * it stopped the module on purpose). Feeds both the restart decisions and the reported state.
 */
export interface ModuleRuntimeInfo {
  runtimeStatus: RuntimeStatus;
  statusDescription: string;
  exitCode: number;
  /** Exit code of the last termination, also while the container runs again (exitCode is then 0). */
  lastExitCode?: number;
  lastStartTimeUtc: string;
  lastExitTimeUtc: string;
  restartCount: number;
  lastRestartTimeUtc: string;
  /** The image the pod runs (`containerStatus.image`), `unknown:unknown` if not known (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/edgedeployment/PodExtensions.cs). */
  image: string;
  /** The pod's `containerStatus.imageID` (`sha256:…` or `<repo>@sha256:…`), when known. */
  imageId?: string;
  /** True when the container has terminated at least once (state or lastState terminated). */
  hasExited: boolean;
  /** Pod Ready condition is True. */
  ready: boolean;
}

/**
 * Why the agent itself scaled a module to 0 although its desired status is `running`
 * (restart policy `never`, or the restart budget was exhausted). Stored on the module's
 * Deployment so it survives an agent restart, and reported instead of a missing pod.
 */
export interface AgentStopRecord {
  runtimeStatus: 'stopped' | 'failed';
  statusDescription: string;
  exitCode: number;
  lastExitTimeUtc: string;
  restartCount: number;
}

/** One module as it currently exists in the environment. */
export interface CurrentModule {
  /** The module spec it was last applied with (its `status` is the desired status it was applied for). */
  spec: ModuleSpec;
  /** Replicas the workload currently asks for (0 = scaled down). */
  replicas: number;
  /** Present when the agent stopped the module because of its restart policy. */
  agentStop?: AgentStopRecord;
  /** The live workload no longer matches what the agent applied (a manual edit): re-apply. */
  drifted?: string;
  /** Where its pods go (node pool of the Deployment), for `edgemu status`. */
  runsOn?: RunsOn;
  /** Runtime facts from the newest pod; undefined when no pod exists. */
  runtime?: ModuleRuntimeInfo;
}

/** The current state an Environment reads: every module it manages for one device. */
export interface CurrentState {
  modules: ReadonlyMap<string, CurrentModule>;
}

/** The ModuleSet (specs only) of a current state, for diffing against desired. */
export function currentModuleSet(state: CurrentState): ModuleSet {
  const out = new Map<string, ModuleSpec>();
  for (const [name, m] of state.modules) out.set(name, m.spec);
  return out;
}

/**
 * Whether a module of a lower startupOrder group is far enough along for the next group to
 * start: its pod is Ready, or it already ran and exited (a crashing module will not get Ready by
 * waiting, and IoT Edge itself only orders the start commands, it never waits on a module's
 * health, Azure/iotedge doc/reported_states_during_deployment.md), or the agent stopped it under its restart policy.
 */
export function startupOrderSatisfied(module: CurrentModule | undefined): boolean {
  if (!module) return false;
  if (module.agentStop) return true;
  const runtime = module.runtime;
  return runtime !== undefined && (runtime.ready || runtime.hasExited);
}
