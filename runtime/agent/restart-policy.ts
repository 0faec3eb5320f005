import type { RestartPolicy } from '../manifest/index.js';
import { UNKNOWN_TIME, type AgentStopRecord, type CurrentModule, type CurrentState, type ModuleRuntimeInfo, type RuntimeStatus } from './runtime-info.js';

/**
 * IoT Edge's restart figures (`Agent.Service/appsettings_agent.json`, `RestartPolicyManager.cs`,
 * Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/RestartPolicyManager.cs): 20 restarts before `failed`, cool-off 10 s × 2ⁿ capped at 300 s.
 */
export interface RestartPolicyOptions {
  maxRestartCount: number;
  coolOffTimeUnitMs: number;
  maxCoolOffMs: number;
  /** A module that stays up this long has its restart count cleared (`IntensiveCareTimeInMinutes`, default 10 min). */
  intensiveCareTimeMs?: number;
}

export const DEFAULT_RESTART_POLICY_OPTIONS: RestartPolicyOptions = Object.freeze({
  maxRestartCount: 20,
  coolOffTimeUnitMs: 10_000,
  maxCoolOffMs: 300_000,
  intensiveCareTimeMs: 600_000,
});

/**
 * Cool-off before restart number n+1 when n restarts happened: `min(unit × 2ⁿ, max)`
 * (10, 20, 40, 80, 160, 300, 300 … s). Used for agent-side retries (plan commands).
 */
export function coolOffMs(restartCount: number, options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS): number {
  const n = Math.max(0, Math.min(restartCount, 30));
  return Math.min(options.coolOffTimeUnitMs * 2 ** n, options.maxCoolOffMs);
}

/**
 * True when the cool-off since `lastExitMs` is over. A clock that went backwards (elapsed ≤ 0
 * although time passed the other way) restarts at once, as `RestartPolicyManager.ShouldRestart`
 * guards against a negative elapsed time.
 */
export function isCoolOffOver(restartCount: number, lastExitMs: number, nowMs: number, options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS): boolean {
  const elapsed = nowMs - lastExitMs;
  if (elapsed < 0) return true;
  return elapsed >= coolOffMs(restartCount, options);
}

/**
 * Whether the policy restarts a module whose container ended with this raw status
 * (`RestartPolicyManager.ShouldRestart`): `always` restarts clean and failed exits,
 * `on-failure` and `on-unhealthy` only failed ones (and unhealthy ones for `on-unhealthy`),
 * `never` nothing.
 */
export function policyRestarts(policy: RestartPolicy, raw: RuntimeStatus): boolean {
  switch (policy) {
    case 'always':
      return raw === 'stopped' || raw === 'failed' || raw === 'backoff' || raw === 'unhealthy';
    case 'on-failure':
      return raw === 'failed' || raw === 'backoff';
    case 'on-unhealthy':
      return raw === 'failed' || raw === 'backoff' || raw === 'unhealthy';
    case 'never':
      return false;
  }
}

/**
 * The reported status after applying the restart policy to a module whose desired status is
 * `running` (`ComputeModuleStatusFromRestartPolicy`): a module that will be restarted is
 * `backoff`, one past the restart budget is `failed`, anything else keeps its raw status.
 */
export function computeStatusFromRestartPolicy(
  raw: RuntimeStatus,
  policy: RestartPolicy,
  restartCount: number,
  options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS,
): RuntimeStatus {
  if (raw === 'running' || raw === 'unknown') return raw;
  if (!policyRestarts(policy, raw)) return raw;
  return restartCount >= options.maxRestartCount ? 'failed' : 'backoff';
}

/**
 * What the agent must do about a module Kubernetes keeps restarting on its own (Deployment
 * pods always restart): a module under `never` that has exited is scaled to 0 and its exit
 * reported; a module past `maxRestartCount` restarts is scaled to 0 and reported `failed`.
 * Returns the record to store with the stop, or undefined when Kubernetes may carry on.
 */
export function agentStopDecision(
  module: CurrentModule,
  options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS,
): AgentStopRecord | undefined {
  const { spec, runtime } = module;
  if (spec.status !== 'running' || module.replicas === 0 || module.agentStop || !runtime || !runtime.hasExited) return undefined;
  if (spec.restartPolicy === 'never') {
    // The kubelet may already have started it again (exitCode 0 while running): judge the exit itself.
    const exitCode = runtime.lastExitCode ?? runtime.exitCode;
    return {
      runtimeStatus: exitCode === 0 ? 'stopped' : 'failed',
      statusDescription: `Module exited with code ${exitCode}; restartPolicy never leaves it stopped`,
      exitCode,
      lastExitTimeUtc: runtime.lastExitTimeUtc,
      restartCount: runtime.restartCount,
    };
  }
  if (runtime.restartCount >= options.maxRestartCount && runtime.runtimeStatus !== 'running') {
    return {
      runtimeStatus: 'failed',
      statusDescription: `Module failed after ${runtime.restartCount} restarts (maxRestartCount ${options.maxRestartCount})`,
      exitCode: runtime.exitCode,
      lastExitTimeUtc: runtime.lastExitTimeUtc,
      restartCount: runtime.restartCount,
    };
  }
  return undefined;
}

/**
 * The runtime info to report for a module: the agent's stop record when it stopped the module
 * on purpose, a plain `stopped` for a module stopped by its desired status, otherwise the
 * pod's facts with the restart policy applied (only when the desired status is `running`,
 * as IoT Edge reports raw status for modules desired `stopped`).
 */
export function effectiveRuntimeInfo(module: CurrentModule, options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS): ModuleRuntimeInfo {
  const { spec, runtime, agentStop } = module;
  if (agentStop) {
    return {
      runtimeStatus: agentStop.runtimeStatus,
      statusDescription: agentStop.statusDescription,
      exitCode: agentStop.exitCode,
      lastStartTimeUtc: runtime?.lastStartTimeUtc ?? UNKNOWN_TIME,
      lastExitTimeUtc: agentStop.lastExitTimeUtc,
      restartCount: agentStop.restartCount,
      lastRestartTimeUtc: runtime?.lastRestartTimeUtc ?? UNKNOWN_TIME,
      image: runtime?.image ?? spec.image,
      hasExited: true,
      ready: false,
    };
  }
  if (!runtime) {
    const stoppedOnPurpose = spec.status === 'stopped' || module.replicas === 0;
    return {
      runtimeStatus: stoppedOnPurpose ? 'stopped' : 'unknown',
      statusDescription: stoppedOnPurpose ? 'Module stopped (desired status stopped)' : 'Unable to get pod status',
      exitCode: 0,
      lastStartTimeUtc: UNKNOWN_TIME,
      lastExitTimeUtc: UNKNOWN_TIME,
      restartCount: 0,
      lastRestartTimeUtc: UNKNOWN_TIME,
      image: spec.image,
      hasExited: false,
      ready: false,
    };
  }
  if (spec.status !== 'running') return runtime;
  // Waiting to restart after an exit. IoT Edge reports `stopped` after a clean exit under
  // on-failure/on-unhealthy (a clean exit is not a failure; it is simply started again) and under
  // never; `failed` after a non-zero exit under never (it is never restarted, so not in back-off,
  // although the kubelet may restart it once before the agent scales it to 0); `backoff` under always.
  const waitingAfterExit = runtime.runtimeStatus === 'backoff' && runtime.hasExited;
  const raw =
    waitingAfterExit && spec.restartPolicy === 'never'
      ? runtime.exitCode === 0
        ? 'stopped'
        : 'failed'
      : waitingAfterExit && runtime.exitCode === 0 && spec.restartPolicy !== 'always'
        ? 'stopped'
        : runtime.runtimeStatus;
  const runtimeStatus = computeStatusFromRestartPolicy(raw, spec.restartPolicy, runtime.restartCount, options);
  // An exited container the policy restarts is in back-off whether the kubelet still shows it
  // `terminated` (until its next sync of the pod) or already `waiting: CrashLoopBackOff`; the
  // description says so in both cases, with the exit that caused it.
  const statusDescription =
    runtimeStatus === 'backoff' && raw !== 'backoff' ? `Module in Back-off reason: container exited with code ${runtime.exitCode}, restart ${runtime.restartCount + 1} after the cool-off` : runtime.statusDescription;
  return { ...runtime, runtimeStatus, statusDescription };
}

/**
 * IoT Edge's intensive care (`IntensiveCareTimeInMinutes`, Azure/iotedge doc/EnvironmentVariables.md): a module that
 * has been running for that long gets its restart statistics cleared, so occasional crashes days
 * apart never add up to `MaxRestartCount`. Kubernetes' container restartCount never goes down, so
 * the agent keeps, per module, the count at the last clearing (`baselines`) and reports and
 * budgets only the restarts since. A count below the baseline (a new pod after an update)
 * clears it. Pure: returns the adjusted state and the new baselines (kept in memory; after an
 * agent restart the baselines start at 0, i.e. the full Kubernetes count, until the next clearing).
 */
export function applyIntensiveCare(
  state: CurrentState,
  baselines: ReadonlyMap<string, number>,
  nowMs: number,
  options: RestartPolicyOptions = DEFAULT_RESTART_POLICY_OPTIONS,
): { state: CurrentState; baselines: Map<string, number> } {
  const careMs = options.intensiveCareTimeMs ?? DEFAULT_RESTART_POLICY_OPTIONS.intensiveCareTimeMs!;
  const next = new Map<string, number>();
  const modules = new Map<string, CurrentModule>();
  for (const [name, module] of state.modules) {
    const runtime = module.runtime;
    if (!runtime) {
      modules.set(name, module);
      continue;
    }
    let baseline = baselines.get(name) ?? 0;
    if (runtime.restartCount < baseline) baseline = 0;
    const startedMs = Date.parse(runtime.lastStartTimeUtc);
    const healthyLongEnough = runtime.runtimeStatus === 'running' && runtime.lastStartTimeUtc !== UNKNOWN_TIME && Number.isFinite(startedMs) && nowMs - startedMs >= careMs;
    if (healthyLongEnough) baseline = runtime.restartCount;
    if (baseline > 0) next.set(name, baseline);
    const restartCount = runtime.restartCount - baseline;
    modules.set(
      name,
      baseline === 0 ? module : { ...module, runtime: { ...runtime, restartCount, ...(restartCount === 0 ? { lastRestartTimeUtc: UNKNOWN_TIME } : {}) } },
    );
  }
  return { state: { modules }, baselines: next };
}
