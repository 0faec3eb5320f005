import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { UNKNOWN_TIME, type ModuleRuntimeInfo, type RuntimeStatus } from './runtime-info.js';

/**
 * Pod status → IoT Edge runtime status, following the Edge-on-K8s agent
 * (Azure/iotedge edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Kubernetes/edgedeployment/PodExtensions.cs `ConvertToRuntime`):
 *
 * | phase     | container state          | runtimeStatus        |
 * | Running   | waiting (a retry reason) | backoff              |
 * | Running   | terminated exit ≠ 0 / 0  | failed / stopped     |
 * | Running   | running                  | running              |
 * | Running   | no container status      | failed               |
 * | Pending   | waiting (a retry reason) | backoff              |
 * | Pending   | waiting (starting), running | unknown           |
 * | Pending   | terminated               | failed / stopped     |
 * | Pending   | no status, Unschedulable | failed               |
 * | Pending   | no container status yet  | unknown              |
 * | Succeeded | —                        | stopped              |
 * | Failed    | —                        | failed               |
 * | Unknown / no status | —              | unknown              |
 *
 * Deliberate deviation from the preview agent, for IoT Edge's meaning of the values
 * (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub, `runtimeStatus`): `backoff` means "not running, a restart is scheduled after a
 * cool-off", so a pod that is merely being created (no container status yet, or waiting with
 * `ContainerCreating`/`PodInitializing`) is not in back-off and not `failed` either — it is
 * `unknown` ("initial/undeterminable"), as a module IoT Edge has not started yet is. Waiting for
 * any other reason (CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError …)
 * is a kubelet retry with back-off, so `backoff`. A pod the scheduler cannot place stays `failed`
 * as in the preview.
 *
 * Exit code and times come from `state.running` (exit code 0), else `state.terminated`, else
 * `lastState.terminated`. Unlike the preview agent (which left its own counter at 0), the
 * restart count is the container's Kubernetes restart count: on Kubernetes the kubelet does
 * the restarting, so its count is the honest one.
 */
export function podRuntimeInfo(pod: V1Pod, containerName: string): ModuleRuntimeInfo {
  const status = pod.status;
  const container = pickContainer(status?.containerStatuses, containerName);
  const running = container?.state?.running;
  const terminated = container?.state?.terminated;
  const lastTerminated = container?.lastState?.terminated;
  const exited = terminated ?? lastTerminated;
  const restartCount = container?.restartCount ?? 0;
  const ready = (status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const base = {
    // A running container has no exit code: 0, as Docker resets State.ExitCode on start (IoT Edge
    // reports that); the previous run's finish time stays as lastExitTimeUtc (Docker keeps FinishedAt).
    exitCode: running ? 0 : (exited?.exitCode ?? 0),
    lastExitCode: exited?.exitCode ?? 0,
    lastStartTimeUtc: toUtc(running?.startedAt ?? terminated?.startedAt ?? lastTerminated?.startedAt),
    lastExitTimeUtc: toUtc(exited?.finishedAt),
    restartCount,
    lastRestartTimeUtc: restartCount > 0 ? toUtc(running?.startedAt ?? lastTerminated?.finishedAt) : UNKNOWN_TIME,
    image: container?.image ?? 'unknown:unknown',
    ...(container?.imageID ? { imageId: container.imageID } : {}),
    hasExited: exited !== undefined || status?.phase === 'Failed' || status?.phase === 'Succeeded',
    ready,
  };
  const { runtimeStatus, statusDescription } = classify(pod, container);
  return { ...base, runtimeStatus, statusDescription };
}

function classify(pod: V1Pod, container: V1ContainerStatus | undefined): { runtimeStatus: RuntimeStatus; statusDescription: string } {
  const status = pod.status;
  const state = container?.state;
  const byExit = (code: number | undefined): RuntimeStatus => (code === 0 ? 'stopped' : 'failed');
  switch (status?.phase) {
    case 'Running':
      if (!container) return { runtimeStatus: 'failed', statusDescription: 'Module Failed reason: unknown container status' };
      if (state?.waiting) return waiting(state.waiting.reason);
      if (state?.terminated) {
        const code = state.terminated.exitCode;
        return code === 0
          ? { runtimeStatus: 'stopped', statusDescription: `Module Stopped reason: ${state.terminated.reason ?? 'Completed'}` }
          : { runtimeStatus: 'failed', statusDescription: `Module Failed reason: ${state.terminated.reason ?? 'Error'}` };
      }
      if (state?.running) return { runtimeStatus: 'running', statusDescription: `Started at ${toUtc(state.running.startedAt)}` };
      return { runtimeStatus: 'unknown', statusDescription: 'Module container state unknown' };
    case 'Pending': {
      if (!container) {
        const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
        if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
          return { runtimeStatus: 'failed', statusDescription: `Module Failed reason: ${scheduled.message ?? scheduled.reason}` };
        }
        return { runtimeStatus: 'unknown', statusDescription: scheduled?.status === 'True' ? 'Module is being created' : 'Module is waiting to be scheduled' };
      }
      if (state?.terminated) return { runtimeStatus: byExit(state.terminated.exitCode), statusDescription: `Module terminated reason: ${state.terminated.reason ?? ''}`.trim() };
      if (state?.waiting) return waiting(state.waiting.reason);
      return { runtimeStatus: 'unknown', statusDescription: 'Module is starting' };
    }
    case 'Succeeded':
      return { runtimeStatus: 'stopped', statusDescription: status.message ?? status.reason ?? 'Module Stopped' };
    case 'Failed':
      return { runtimeStatus: 'failed', statusDescription: status.message ?? status.reason ?? state?.terminated?.reason ?? 'Module Failed' };
    default:
      return { runtimeStatus: 'unknown', statusDescription: status ? `Pod phase ${status.phase ?? 'unknown'}` : 'Unable to get pod status' };
  }
}

/** Kubelet waiting reasons of a container that is being set up for the first time, not retried. */
const STARTING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

/** A waiting container: `unknown` while it is first being created, `backoff` while the kubelet retries. */
function waiting(reason: string | undefined): { runtimeStatus: RuntimeStatus; statusDescription: string } {
  if (reason !== undefined && STARTING_REASONS.has(reason)) return { runtimeStatus: 'unknown', statusDescription: `Module is being created reason: ${reason}` };
  return { runtimeStatus: 'backoff', statusDescription: `Module in Back-off reason: ${reason ?? 'Waiting'}` };
}

function pickContainer(statuses: V1ContainerStatus[] | undefined, name: string): V1ContainerStatus | undefined {
  if (!statuses || statuses.length === 0) return undefined;
  return statuses.find((s) => s.name === name) ?? statuses[0];
}

/** Kubernetes times arrive as Date (client-node deserialises them) or strings; report ISO-8601 UTC. */
export function toUtc(t: Date | string | undefined | null): string {
  if (t === undefined || t === null) return UNKNOWN_TIME;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? UNKNOWN_TIME : d.toISOString();
}

/**
 * Runtime info of a module from all its pods: the newest pod that is not being deleted wins
 * (during a rollout the old pod may still be listed), and terminal pods (phase Failed or
 * Succeeded) that the ReplicaSet already replaced count as restarts (a replacement still being
 * created is then `backoff`: a restart is under way).
 */
export function moduleRuntimeInfo(pods: readonly V1Pod[], containerName: string): ModuleRuntimeInfo | undefined {
  if (pods.length === 0) return undefined;
  const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const candidates = (live.length > 0 ? live : [...pods]).sort((a, b) => created(b) - created(a) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const newest = candidates[0]!;
  const podInfo = podRuntimeInfo(newest, containerName);
  // Every pod is being deleted (scaled to 0, or deleted by hand before its replacement exists): the
  // container is on its way down, as a Docker container being stopped — not running any more.
  const info: ModuleRuntimeInfo =
    live.length === 0 && podInfo.runtimeStatus !== 'stopped' && podInfo.runtimeStatus !== 'failed'
      ? { ...podInfo, runtimeStatus: 'stopped', statusDescription: `Module stopping: pod ${newest.metadata?.name ?? ''} is terminating`, ready: false }
      : podInfo;
  const replacedTerminal = live.filter((p) => p !== newest && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded')).length;
  if (replacedTerminal > 0) {
    const restartCount = info.restartCount + replacedTerminal;
    const lastExit = live
      .filter((p) => p !== newest)
      .map((p) => podRuntimeInfo(p, containerName))
      .filter((i) => i.lastExitTimeUtc !== UNKNOWN_TIME)
      .sort((a, b) => b.lastExitTimeUtc.localeCompare(a.lastExitTimeUtc))[0];
    // The ReplicaSet's replacement of an exited pod is a scheduled restart: `backoff`, not "being created".
    const restarting = info.runtimeStatus === 'unknown' ? { runtimeStatus: 'backoff' as const, statusDescription: `Module in Back-off reason: replacing an exited pod (${info.statusDescription})` } : {};
    return {
      ...info,
      ...restarting,
      restartCount,
      hasExited: true,
      lastRestartTimeUtc: info.lastRestartTimeUtc !== UNKNOWN_TIME ? info.lastRestartTimeUtc : toUtc(newest.metadata?.creationTimestamp),
      ...(info.lastExitTimeUtc === UNKNOWN_TIME && lastExit
        ? { lastExitTimeUtc: lastExit.lastExitTimeUtc, lastExitCode: lastExit.lastExitCode ?? lastExit.exitCode, ...(info.runtimeStatus === 'running' ? {} : { exitCode: lastExit.exitCode }) }
        : {}),
    };
  }
  return info;
}
