import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { UNKNOWN_TIME, type ModuleRuntimeInfo, type RuntimeStatus } from './runtime-info.js';

/**
 * Pod status → IoT Edge runtime status, following the Edge-on-K8s agent
 * (`edgedeployment/PodExtensions.cs ConvertToRuntime`, iotedge-protocol.md §6.11):
 *
 * | phase     | container state          | runtimeStatus        |
 * | Running   | waiting                  | backoff              |
 * | Running   | terminated exit ≠ 0 / 0  | failed / stopped     |
 * | Running   | running                  | running              |
 * | Running   | no container status      | failed               |
 * | Pending   | waiting or running       | backoff              |
 * | Pending   | terminated               | failed / stopped     |
 * | Pending   | no container status      | failed               |
 * | Succeeded | —                        | stopped              |
 * | Failed    | —                        | failed               |
 * | Unknown / no status | —              | unknown              |
 *
 * Exit code and times come from `state.running`, else `state.terminated`, else
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
    exitCode: exited?.exitCode ?? 0,
    lastStartTimeUtc: toUtc(running?.startedAt ?? terminated?.startedAt ?? lastTerminated?.startedAt),
    lastExitTimeUtc: toUtc(exited?.finishedAt),
    restartCount,
    lastRestartTimeUtc: restartCount > 0 ? toUtc(running?.startedAt ?? lastTerminated?.finishedAt) : UNKNOWN_TIME,
    image: container?.image ?? 'unknown:unknown',
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
      if (state?.waiting) return { runtimeStatus: 'backoff', statusDescription: `Module in Back-off reason: ${state.waiting.reason ?? 'Waiting'}` };
      if (state?.terminated) {
        const code = state.terminated.exitCode;
        return code === 0
          ? { runtimeStatus: 'stopped', statusDescription: `Module Stopped reason: ${state.terminated.reason ?? 'Completed'}` }
          : { runtimeStatus: 'failed', statusDescription: `Module Failed reason: ${state.terminated.reason ?? 'Error'}` };
      }
      if (state?.running) return { runtimeStatus: 'running', statusDescription: `Started at ${toUtc(state.running.startedAt)}` };
      return { runtimeStatus: 'unknown', statusDescription: 'Module container state unknown' };
    case 'Pending':
      if (!container) {
        const cond = [...(status.conditions ?? [])].reverse()[0];
        return { runtimeStatus: 'failed', statusDescription: cond?.message ?? cond?.reason ?? 'Pod pending with no container status' };
      }
      if (state?.terminated) return { runtimeStatus: byExit(state.terminated.exitCode), statusDescription: `Module terminated reason: ${state.terminated.reason ?? ''}`.trim() };
      if (state?.waiting) return { runtimeStatus: 'backoff', statusDescription: `Module in Back-off reason: ${state.waiting.reason ?? 'Waiting'}` };
      return { runtimeStatus: 'backoff', statusDescription: 'Module starting' };
    case 'Succeeded':
      return { runtimeStatus: 'stopped', statusDescription: status.message ?? status.reason ?? 'Module Stopped' };
    case 'Failed':
      return { runtimeStatus: 'failed', statusDescription: status.message ?? status.reason ?? state?.terminated?.reason ?? 'Module Failed' };
    default:
      return { runtimeStatus: 'unknown', statusDescription: status ? `Pod phase ${status.phase ?? 'unknown'}` : 'Unable to get pod status' };
  }
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
 * Succeeded) that the ReplicaSet already replaced count as restarts.
 */
export function moduleRuntimeInfo(pods: readonly V1Pod[], containerName: string): ModuleRuntimeInfo | undefined {
  if (pods.length === 0) return undefined;
  const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const candidates = (live.length > 0 ? live : [...pods]).sort((a, b) => created(b) - created(a) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const newest = candidates[0]!;
  const info = podRuntimeInfo(newest, containerName);
  const replacedTerminal = live.filter((p) => p !== newest && (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded')).length;
  if (replacedTerminal > 0) {
    const restartCount = info.restartCount + replacedTerminal;
    const lastExit = live
      .filter((p) => p !== newest)
      .map((p) => podRuntimeInfo(p, containerName))
      .filter((i) => i.lastExitTimeUtc !== UNKNOWN_TIME)
      .sort((a, b) => b.lastExitTimeUtc.localeCompare(a.lastExitTimeUtc))[0];
    return {
      ...info,
      restartCount,
      hasExited: true,
      lastRestartTimeUtc: info.lastRestartTimeUtc !== UNKNOWN_TIME ? info.lastRestartTimeUtc : toUtc(newest.metadata?.creationTimestamp),
      ...(info.lastExitTimeUtc === UNKNOWN_TIME && lastExit ? { lastExitTimeUtc: lastExit.lastExitTimeUtc, exitCode: lastExit.exitCode } : {}),
    };
  }
  return info;
}
