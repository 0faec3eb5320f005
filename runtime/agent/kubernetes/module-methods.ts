import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { EdgemuError } from '../../errors.js';
import { ANNOTATION_SPEC_HASH, DEFAULT_LAYOUT, layoutModuleSelector, type Layout } from '../../translate/index.js';
import type { ModuleLogQuery, ModuleLogText } from '../module-log.js';
import type { CurrentModule, CurrentState, ModuleRuntimeInfo } from '../runtime-info.js';
import type { KubeApi } from './kube-api.js';

/** Restarts done by RestartModule, on the module's Deployment (JSON `MethodRestarts`). */
export const ANNOTATION_METHOD_RESTARTS = 'edgemu.io/method-restarts';
/** Field manager of that annotation: not `edgemu`, so the agent's server-side apply keeps it. */
export const METHOD_FIELD_MANAGER = 'edgemu-methods';
/** Most bytes of log read from the API server for one module (`limitBytes`). */
export const MAX_LOG_READ_BYTES = 8 * 1024 * 1024;

/** How many times RestartModule replaced the pods of one spec (a rollout starts again at 0). */
export interface MethodRestarts {
  specHash: string;
  count: number;
  /** ISO time of the last one. */
  at: string;
}

/** The module has no log to give (simulated pool, no pod yet); the message says why. */
export class ModuleLogUnavailableError extends EdgemuError {
  constructor(message: string, cause?: unknown) {
    super('AGENT_MODULE_LOG_UNAVAILABLE', message, { cause });
  }
}

/** RestartModule cannot be carried out (unknown or stopped module); the methods answer it 500. */
export class ModuleRestartError extends EdgemuError {
  constructor(message: string, cause?: unknown) {
    super('AGENT_MODULE_RESTART_FAILED', message, { cause });
  }
}

/** The RestartModule count of a Deployment's current spec; 0 for another spec or none. Pure. */
export function methodRestartsOf(d: V1Deployment): MethodRestarts | undefined {
  const raw = d.metadata?.annotations?.[ANNOTATION_METHOD_RESTARTS];
  const hash = d.metadata?.annotations?.[ANNOTATION_SPEC_HASH];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<MethodRestarts>;
    if (typeof parsed.count !== 'number' || typeof parsed.specHash !== 'string' || parsed.specHash !== (hash ?? '') || typeof parsed.at !== 'string') return undefined;
    return { specHash: parsed.specHash, count: parsed.count, at: parsed.at };
  } catch {
    return undefined;
  }
}

/**
 * Runtime info with RestartModule's restarts counted: a restart on Kubernetes is a new pod whose
 * container restartCount starts at 0, while IoT Edge (docker restart) counts it. Pure.
 */
export function withMethodRestarts(runtime: ModuleRuntimeInfo, restarts: MethodRestarts | undefined): ModuleRuntimeInfo {
  if (!restarts || restarts.count === 0) return runtime;
  const last = runtime.lastRestartTimeUtc > restarts.at ? runtime.lastRestartTimeUtc : restarts.at;
  return { ...runtime, restartCount: runtime.restartCount + restarts.count, lastRestartTimeUtc: last };
}

export interface KubernetesModuleMethodsOptions {
  kube: KubeApi;
  deviceId: string;
  /** The layout the device's objects were made in (default: the default layout). */
  layout?: Layout;
  /** The environment's current modules (Deployments and pods, from its watched copies). */
  readCurrent(signal: AbortSignal): Promise<CurrentState>;
  clock: Clock;
  logger: Logger;
  /** How long RestartModule waits for the new pod to run before answering anyway (default 20 s). */
  restartWaitMs?: number;
}

const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();

/**
 * What edgeAgent's direct methods need from Kubernetes for one device: a module's container log
 * through the API server (so any cluster works: real node, kind, a user's) and a restart, which
 * on Kubernetes means deleting the module's pod so its Deployment's ReplicaSet makes a new one
 * (kubernetes.io/docs/concepts/workloads/controllers/deployment; there is no API to restart a
 * container in place).
 */
export class KubernetesModuleMethods {
  private readonly namespace: string;
  private readonly layout: Layout;

  constructor(private readonly options: KubernetesModuleMethodsOptions) {
    this.layout = options.layout ?? DEFAULT_LAYOUT;
    this.namespace = this.layout.namespace(options.deviceId);
  }

  /** The manifest names of the modules deployed now. */
  async moduleNames(): Promise<string[]> {
    const current = await this.options.readCurrent(AbortSignal.timeout(15_000));
    return [...current.modules.keys()];
  }

  async readModuleLog(moduleId: string, query: ModuleLogQuery): Promise<ModuleLogText> {
    const module = await this.module(moduleId, (m) => new ModuleLogUnavailableError(m));
    if (module.runsOn === 'simulated') {
      throw new ModuleLogUnavailableError(`module ${moduleId} runs on the simulated pool (KWOK): a simulated pod has no container, so there are no logs. Give the real node its image (docs/agent.md, "Where modules run") to see its output`);
    }
    const pod = await this.currentPod(moduleId);
    if (!pod) throw new ModuleLogUnavailableError(`module ${moduleId} has no pod yet, so no logs (status: ${module.runtime?.runtimeStatus ?? 'unknown'})`);
    const container = pod.metadata?.labels?.[this.layout.moduleLabelKey] ?? pod.spec?.containers[0]?.name ?? moduleId;
    const nowS = this.options.clock.now() / 1000;
    try {
      const text = await this.options.kube.readPodLog(this.namespace, pod.metadata!.name!, container, {
        limitBytes: MAX_LOG_READ_BYTES,
        ...(query.tail !== undefined ? { tailLines: query.tail } : {}),
        ...(query.since !== undefined ? { sinceSeconds: Math.max(1, Math.ceil(nowS - query.since)) } : {}),
        ...(query.previous ? { previous: true } : {}),
      });
      return { moduleId, text };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (query.previous) {
        // Kubernetes keeps the previous container of the same pod only (a crash restart by the kubelet).
        throw new ModuleLogUnavailableError(`module ${moduleId} has no previous container in its pod ${pod.metadata?.name} (a RestartModule or a rollout makes a new pod; previous logs are those of a container the kubelet restarted): ${why}`, error);
      }
      throw new ModuleLogUnavailableError(`cannot read the log of module ${moduleId} (pod ${pod.metadata?.name}): ${why}`, error);
    }
  }

  /**
   * RestartModule on Kubernetes: counts the restart on the Deployment (so the reported
   * restartCount goes up as IoT Edge's does), deletes the module's pods, and waits until the
   * replacement pod runs (at most `restartWaitMs`; the twin's status tells the rest).
   */
  async restartModule(moduleId: string): Promise<void> {
    const module = await this.module(moduleId, (m) => new ModuleRestartError(m));
    if (module.runtime?.runtimeStatus !== 'running') throw new ModuleRestartError(`Module ${moduleId} cannot be restarted since it is not running`);
    const { kube, clock } = this.options;
    const deployments = (await kube.list('apps/v1', 'Deployment', this.namespace, layoutModuleSelector(this.layout, this.options.deviceId, moduleId))) as V1Deployment[];
    const deployment = deployments.find((d) => !d.metadata?.deletionTimestamp);
    if (!deployment?.metadata?.name) throw new ModuleRestartError(`Module ${moduleId} not found in the current environment`);
    const specHash = deployment.metadata.annotations?.[ANNOTATION_SPEC_HASH] ?? '';
    const previous = methodRestartsOf(deployment);
    const restarts: MethodRestarts = { specHash, count: (previous?.count ?? 0) + 1, at: new Date(clock.now()).toISOString() };
    await kube.mergePatch('apps/v1', 'Deployment', this.namespace, deployment.metadata.name, { metadata: { annotations: { [ANNOTATION_METHOD_RESTARTS]: JSON.stringify(restarts) } } }, METHOD_FIELD_MANAGER);
    const old = await this.livePods(moduleId);
    for (const pod of old) await kube.delete('v1', 'Pod', this.namespace, pod.metadata!.name!);
    const oldNames = new Set(old.map((p) => p.metadata?.name));
    const deadline = clock.now() + (this.options.restartWaitMs ?? 20_000);
    while (clock.now() < deadline) {
      const fresh = (await this.livePods(moduleId)).filter((p) => !oldNames.has(p.metadata?.name));
      if (fresh.some((p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running))) return;
      await clock.sleep(250);
    }
    this.options.logger.warn({ module: moduleId }, `module ${moduleId}: its new pod is not running after ${this.options.restartWaitMs ?? 20_000} ms; the reported status will follow`);
  }

  private async module(moduleId: string, notFound: (message: string) => Error): Promise<CurrentModule> {
    const current = await this.options.readCurrent(AbortSignal.timeout(15_000));
    const module = current.modules.get(moduleId);
    if (!module) throw notFound(`Module ${moduleId} not found in the current environment`);
    return module;
  }

  private async livePods(moduleId: string): Promise<V1Pod[]> {
    const pods = (await this.options.kube.list('v1', 'Pod', this.namespace, layoutModuleSelector(this.layout, this.options.deviceId, moduleId))) as V1Pod[];
    return pods.filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** The newest live pod that has started (its log is the module's log now). */
  private async currentPod(moduleId: string): Promise<V1Pod | undefined> {
    const pods = (await this.livePods(moduleId)).sort((a, b) => created(b) - created(a));
    return pods.find((p) => (p.status?.containerStatuses ?? []).some((c) => c.state?.running || c.state?.terminated || c.lastState?.terminated)) ?? pods[0];
  }
}
