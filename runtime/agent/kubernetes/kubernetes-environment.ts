import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EdgeAgentConfig, ModuleSpec } from '../../manifest/index.js';
import { toK8sName } from '../../manifest/index.js';
import {
  ANNOTATION_MODULE_NAME,
  ANNOTATION_MODULE_VERSION,
  ANNOTATION_RESTART_POLICY,
  ANNOTATION_SPEC_HASH,
  ANNOTATION_STARTUP_ORDER,
  DEFAULT_LAYOUT,
  layoutDeviceSelector,
  layoutModuleSelector,
  type Layout,
} from '../../translate/index.js';
import { translateDeployment, withDefaultTag, type DeviceTranslation, type ModuleTranslation, type TranslateContext } from '../../translate/index.js';
import { commandId, type Command, type CommandFactory, type CommandKind } from '../command.js';
import type { Environment } from '../ports.js';
import { moduleRuntimeInfo } from '../pod-status.js';
import { startupOrderSatisfied, type AgentStopRecord, type CurrentModule, type CurrentState } from '../runtime-info.js';
import type { KubeApi, KubeObject } from './kube-api.js';
import { SharedCollections, type CollectionView } from './shared-collections.js';
import { methodRestartsOf, withMethodRestarts } from './module-methods.js';
import { NodeCatalog, type ImageCatalog, type NodeSnapshot } from './node-catalog.js';
import { appliedPlacement, decidePlacement, runsOnOf } from '../module-placement.js';
import { effectivePlacement, type ModulePlacement } from '../../translate/index.js';

/** The full module spec the agent applied, on the Deployment: current state is read back from it. */
export const ANNOTATION_AGENT_SPEC = 'edgemu.io/agent-module-spec';
/** Set when the agent scaled the module to 0 under its restart policy (JSON AgentStopRecord). */
export const ANNOTATION_AGENT_STOP = 'edgemu.io/agent-stop';

/** Kinds a module owns (translate: ServiceAccount, identity Secret, Service, Deployment), deleted on prune. */
const MODULE_KINDS: ReadonlyArray<[apiVersion: string, kind: string]> = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'Secret'],
  ['v1', 'ServiceAccount'],
  ['v1', 'ConfigMap'],
];

export interface KubernetesEnvironmentOptions {
  kube: KubeApi;
  deviceId: string;
  /** Where the device's objects go and which labels select them (runtime/translate/layout.ts); default the default layout. */
  layout?: Layout;
  /** What the translation needs besides the config (hub address, CA, module identities). */
  translateContext: (config: EdgeAgentConfig) => Promise<TranslateContext> | TranslateContext;
  clock: Clock;
  logger: Logger;
  /** How long a startupOrder group may take to become Ready before the next starts anyway. */
  readyTimeoutMs?: number;
  readyPollMs?: number;
  /** Where the real node's images are read besides the kubelet's node status (e.g. its containerd). */
  imageCatalog?: ImageCatalog;
  /**
   * The watches this device's Deployments and pods are seen through, shared by every agent of the
   * process (`AgentHost` makes one, watching every namespace); default: the device's own, in its
   * namespace with its selector.
   */
  collections?: SharedCollections;
  /** The node pools and real-node images, shared by the agents of a process; default: the device's own. */
  nodes?: NodeCatalog;
  /**
   * Makes the images edgemu can build available on the real node before a plan is translated
   * (runtime/image `ensureManifestImages`), and says which of them are stand-ins.
   */
  ensureImages?: EnsureImages;
}

/** The image step before a plan: build/import what edgemu can make; the stand-ins among them. */
export type EnsureImages = (config: EdgeAgentConfig, signal: AbortSignal) => Promise<{ standInImages: readonly string[] }>;

/**
 * The agent's Kubernetes back-end for one edge device (IoT Edge `IEnvironment` +
 * `ICommandFactory`, Kubernetes flavour): its layout's namespace (`edgemu-<device>`, or `iotedge`
 * on Azure Stack Edge's), objects selected by the layout's labels, objects produced by
 * runtime/translate with the same layout and written with server-side apply.
 * Every write is idempotent (apply by name), so a plan interrupted by an agent restart is
 * simply finished by the next pass without duplicates.
 */
export class KubernetesEnvironment implements Environment {
  readonly namespace: string;
  readonly layout: Layout;
  private readonly selector: string;
  private deployments: CollectionView | undefined;
  private pods: CollectionView | undefined;
  private ownCollections: SharedCollections | undefined;
  private readonly nodes: NodeCatalog;
  private readonly toldReasons = new Set<string>();

  constructor(private readonly options: KubernetesEnvironmentOptions) {
    this.layout = options.layout ?? DEFAULT_LAYOUT;
    this.namespace = this.layout.namespace(options.deviceId);
    this.selector = layoutDeviceSelector(this.layout, options.deviceId);
    this.nodes = options.nodes ?? new NodeCatalog(options.kube, options.clock, options.imageCatalog);
  }

  /** The pool of every user module of a deployment (docs/agent.md, "Where modules run"); reasons are logged once. */
  async placements(config: EdgeAgentConfig, signal: AbortSignal): Promise<Record<string, ModulePlacement>> {
    const snapshot = await this.nodes.read(signal);
    const out: Record<string, ModulePlacement> = {};
    for (const m of config.modules) {
      const decision = decidePlacement(snapshot.pools, m.image, snapshot.realImages);
      out[m.name] = decision.placement;
      const told = `${m.name}\0${decision.reason ?? ''}`;
      if (decision.reason !== undefined && !this.toldReasons.has(told)) {
        this.toldReasons.add(told);
        this.options.logger.warn({ module: m.name, image: m.image }, `module ${m.name}: ${decision.reason}`);
      }
    }
    return out;
  }

  /**
   * Current modules: from the watched copies when they mirror the server (a pass then costs no
   * API call), else by listing. Listing failures surface as EnvironmentUnavailableError.
   */
  async readCurrent(signal: AbortSignal): Promise<CurrentState> {
    const cached = this.deployments?.ready && this.pods?.ready;
    const [deployments, pods] = cached
      ? [this.deployments!.snapshot(), this.pods!.snapshot()]
      : await Promise.all([
          this.options.kube.list('apps/v1', 'Deployment', this.namespace, this.selector, signal),
          this.options.kube.list('v1', 'Pod', this.namespace, this.selector, signal),
        ]);
    const podsByModule = new Map<string, V1Pod[]>();
    for (const pod of pods as V1Pod[]) {
      const module = pod.metadata?.labels?.[this.layout.moduleLabelKey];
      if (!module) continue;
      const list = podsByModule.get(module) ?? [];
      list.push(pod);
      podsByModule.set(module, list);
    }
    const modules = new Map<string, CurrentModule>();
    // Node pools are read for drift only; a failure to read them must not stop the pass.
    let nodes: NodeSnapshot | undefined;
    try {
      nodes = await this.nodes.read(signal);
    } catch {
      nodes = undefined;
    }
    for (const d of deployments as V1Deployment[]) {
      if (d.metadata?.deletionTimestamp) continue;
      const spec = readSpec(d);
      if (!spec) continue;
      const k8sName = d.metadata?.labels?.[this.layout.moduleLabelKey] ?? toK8sName(spec.name);
      const hash = d.metadata?.annotations?.[ANNOTATION_SPEC_HASH];
      // Pods of older rollouts (other spec hash) do not describe the module as it is now.
      const modulePods = (podsByModule.get(k8sName) ?? []).filter((p) => !hash || p.metadata?.annotations?.[ANNOTATION_SPEC_HASH] === hash);
      const podRuntime = moduleRuntimeInfo(modulePods, k8sName);
      const runtime = podRuntime && withMethodRestarts(podRuntime, methodRestartsOf(d));
      const agentStop = readAgentStop(d);
      const liveImage = d.spec?.template.spec?.containers.find((c) => c.name === k8sName)?.image;
      const drifted =
        liveImage !== undefined && liveImage !== withDefaultTag(spec.image) ? `image changed to ${liveImage}` : nodes === undefined ? undefined : placementDrift(d, spec, nodes);
      modules.set(spec.name, {
        spec,
        replicas: d.spec?.replicas ?? 1,
        runsOn: runsOnOf(d),
        ...(agentStop ? { agentStop } : {}),
        ...(drifted ? { drifted } : {}),
        ...(runtime ? { runtime } : {}),
      });
    }
    return { modules };
  }

  commandFactory(config: EdgeAgentConfig): CommandFactory {
    return new KubernetesCommandFactory(this, config);
  }

  /** Translation for one plan, made once and shared by its commands. */
  async translate(config: EdgeAgentConfig): Promise<DeviceTranslation> {
    const context = await this.options.translateContext(config);
    let standInImages = context.standInImages ?? [];
    if (this.options.ensureImages !== undefined) {
      standInImages = [...standInImages, ...(await this.options.ensureImages(config, AbortSignal.timeout(600_000))).standInImages];
      // What was just imported must count for this plan's placement.
      this.nodes.invalidate();
    }
    const placement = await this.placements(config, AbortSignal.timeout(30_000));
    const translation = translateDeployment(config, { ...context, layout: this.layout, standInImages, placement: { ...placement, ...context.placement } });
    for (const w of translation.warnings) this.options.logger.warn(w);
    return translation;
  }

  /** Applies objects in order. */
  async applyAll(objects: readonly KubeObject[], signal: AbortSignal): Promise<void> {
    for (const o of objects) {
      const applied = await this.options.kube.apply(o, signal);
      if (o.kind === 'Deployment') this.deployments?.upsert(applied);
    }
  }

  /** Deletes every object a module owns (selected by its module label). */
  async deleteModule(moduleName: string, signal: AbortSignal): Promise<void> {
    const selector = layoutModuleSelector(this.layout, this.options.deviceId, moduleName);
    for (const [apiVersion, kind] of MODULE_KINDS) {
      const objects = await this.options.kube.list(apiVersion, kind, this.namespace, selector, signal);
      for (const o of objects) {
        await this.options.kube.delete(apiVersion, kind, this.namespace, o.metadata!.name!, signal);
        if (kind === 'Deployment') this.deployments?.remove(o.metadata!.name!);
      }
    }
  }

  /**
   * Waits until each module has a Ready pod of its current spec (or has already run and exited,
   * see `startupOrderSatisfied`), or the timeout passes (then
   * the next group starts anyway and the module's status tells the story, as IoT Edge never
   * blocks a deployment on one module).
   */
  async waitReady(modules: readonly ModuleSpec[], signal: AbortSignal): Promise<void> {
    const deadline = this.options.clock.now() + (this.options.readyTimeoutMs ?? 60_000);
    const names = new Set(modules.map((m) => m.name));
    while (true) {
      const current = await this.readCurrent(signal);
      const waiting = [...names].filter((n) => !startupOrderSatisfied(current.modules.get(n)));
      if (waiting.length === 0) return;
      if (this.options.clock.now() >= deadline) {
        this.options.logger.warn({ waiting }, 'startupOrder group not Ready in time; starting the next group anyway');
        return;
      }
      await this.options.clock.sleep(this.options.readyPollMs ?? 200, signal);
    }
  }

  /**
   * Watches the device's Deployments and pods (views of list-then-watch copies, shared with the
   * other agents of the process when `collections` is given) and calls `onChange` on every event
   * in the device's namespace (level-triggered: the event only marks the agent dirty). The copies
   * also serve `readCurrent`, so a pass with nothing to do makes no API call.
   */
  watch(onChange: (reason: string) => void): { stop(): void } {
    const { kube, clock, logger } = this.options;
    const collections = this.options.collections ?? (this.ownCollections ??= new SharedCollections({ kube, clock, logger, namespace: this.namespace, selector: this.selector }));
    const labels = this.layout.deviceSelectorLabels(this.options.deviceId);
    const deployments = collections.view('apps/v1', 'Deployment', this.namespace, labels, onChange);
    const pods = collections.view('v1', 'Pod', this.namespace, labels, onChange);
    this.deployments = deployments;
    this.pods = pods;
    return {
      stop: () => {
        deployments.stop();
        pods.stop();
        if (this.deployments === deployments) this.deployments = undefined;
        if (this.pods === pods) this.pods = undefined;
      },
    };
  }
}

/**
 * A module whose pool no longer matches the decision (its image arrived on the real node, or a
 * real node appeared) is re-applied, which moves it; a module that asks for KWOK's failure
 * simulation stays on the simulated pool (translate's rule).
 */
function placementDrift(d: V1Deployment, spec: ModuleSpec, nodes: NodeSnapshot): string | undefined {
  if (spec.createOptions['edgemu.io/unmanaged'] === true) return undefined;
  const want = effectivePlacement(decidePlacement(nodes.pools, spec.image, nodes.realImages).placement, d.spec?.template.metadata?.labels ?? {});
  const have = appliedPlacement(d);
  return want === have ? undefined : `placement changed from ${have} to ${want}`;
}

function readSpec(d: V1Deployment): ModuleSpec | undefined {
  const annotations = d.metadata?.annotations ?? {};
  const raw = annotations[ANNOTATION_AGENT_SPEC];
  if (raw) {
    try {
      return JSON.parse(raw) as ModuleSpec;
    } catch {
      // fall through: rebuild what we can, the diff will then re-apply the module
    }
  }
  const name = annotations[ANNOTATION_MODULE_NAME];
  if (!name) return undefined;
  // A Deployment edgemu labelled but the agent did not write (e.g. `edgemu translate | kubectl apply`):
  // rebuild a spec that can never equal a desired one, so the agent takes it over with an update.
  return {
    name,
    type: 'docker',
    version: annotations[ANNOTATION_MODULE_VERSION] ?? '',
    status: (d.spec?.replicas ?? 1) > 0 ? 'running' : 'stopped',
    restartPolicy: (annotations[ANNOTATION_RESTART_POLICY] as ModuleSpec['restartPolicy']) ?? 'on-unhealthy',
    imagePullPolicy: 'on-create',
    startupOrder: Number(annotations[ANNOTATION_STARTUP_ORDER] ?? 4294967295),
    image: d.spec?.template.spec?.containers[0]?.image ?? 'unknown:unknown',
    createOptions: { 'edgemu.io/unmanaged': true },
    createOptionsRaw: '',
    env: {},
  };
}

function readAgentStop(d: V1Deployment): AgentStopRecord | undefined {
  const raw = d.metadata?.annotations?.[ANNOTATION_AGENT_STOP];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as AgentStopRecord;
  } catch {
    return undefined;
  }
}

/** Commands for one plan; they share one translation of the deployment. */
class KubernetesCommandFactory implements CommandFactory {
  private translation: Promise<DeviceTranslation> | undefined;
  private deviceObjectsApplied: Promise<void> | undefined;

  constructor(
    private readonly env: KubernetesEnvironment,
    private readonly config: EdgeAgentConfig,
  ) {}

  private translated(): Promise<DeviceTranslation> {
    return (this.translation ??= this.env.translate(this.config));
  }

  private async moduleObjects(module: ModuleSpec, signal: AbortSignal, override?: { replicas: number; stop?: AgentStopRecord }): Promise<KubeObject[]> {
    const translation = await this.translated();
    // Namespace, CA ConfigMap, registry Secrets and PVCs first, once per plan.
    this.deviceObjectsApplied ??= this.env.applyAll(translation.deviceObjects as KubeObject[], signal);
    try {
      await this.deviceObjectsApplied;
    } catch (error) {
      this.deviceObjectsApplied = undefined;
      throw error;
    }
    const m = translation.modules.find((t) => t.name === module.name);
    if (!m) throw new Error(`module ${module.name} has no translation`);
    return withAgentAnnotations(m, module, override);
  }

  private make(kind: CommandKind, modules: readonly ModuleSpec[], run: (signal: AbortSignal) => Promise<void>, fingerprint = ''): Command {
    const names = modules.map((m) => m.name);
    return { id: commandId(kind, names, fingerprint), kind, modules: names, describe: () => `${kind} ${names.join(',')}`, execute: run };
  }

  private applyModule(kind: CommandKind, module: ModuleSpec, override?: { replicas: number; stop?: AgentStopRecord }): Command {
    return this.make(
      kind,
      [module],
      async (signal) => this.env.applyAll(await this.moduleObjects(module, signal, override), signal),
      `${module.status}:${module.image}:${module.version}`,
    );
  }

  create = (module: ModuleSpec): Command => this.applyModule('create', module);
  update = (module: ModuleSpec): Command => this.applyModule('update', module);
  start = (module: ModuleSpec): Command => this.applyModule('start', module);
  stop = (module: ModuleSpec): Command => this.applyModule('stop', module);
  stopByPolicy = (module: ModuleSpec, record: AgentStopRecord): Command => this.applyModule('stop-by-policy', module, { replicas: 0, stop: record });
  remove = (module: ModuleSpec): Command => this.make('remove', [module], (signal) => this.env.deleteModule(module.name, signal));
  waitReady = (modules: readonly ModuleSpec[]): Command => this.make('wait-ready', modules, (signal) => this.env.waitReady(modules, signal));
}

/** The module's objects with the agent's bookkeeping on its Deployment. */
function withAgentAnnotations(m: ModuleTranslation, module: ModuleSpec, override?: { replicas: number; stop?: AgentStopRecord }): KubeObject[] {
  return m.objects.map((o) => {
    if (o.kind !== 'Deployment') return o as KubeObject;
    const d = structuredClone(o) as V1Deployment;
    d.metadata!.annotations = {
      ...d.metadata!.annotations,
      [ANNOTATION_AGENT_SPEC]: JSON.stringify(module),
      ...(override?.stop ? { [ANNOTATION_AGENT_STOP]: JSON.stringify(override.stop) } : {}),
    };
    if (override) d.spec!.replicas = override.replicas;
    return d as KubeObject;
  });
}
