import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Layout, TranslateContext } from '../translate/index.js';
import type { EdgeAgentConfig } from '../manifest/index.js';
import { Agent } from './agent.js';
import type { KubeApi } from './kubernetes/kube-api.js';
import type { ImageCatalog, NodeCatalog } from './kubernetes/node-catalog.js';
import type { SharedCollections } from './kubernetes/shared-collections.js';
import { KubernetesEnvironment, type EnsureImages } from './kubernetes/kubernetes-environment.js';
import { KubernetesModuleMethods } from './kubernetes/module-methods.js';
import type { ConfigSource, Reporter, ValidateAgentDesired } from './ports.js';
import { ReconcileLoop } from './reconcile-loop.js';
import type { RestartPolicyOptions } from './restart-policy.js';

export interface EdgeAgentOptions {
  deviceId: string;
  configSource: ConfigSource;
  reporter: Reporter;
  validate: ValidateAgentDesired;
  kube: KubeApi;
  /** Where the device's modules go and under which labels (runtime/translate/layout.ts); default the default layout. */
  layout?: Layout;
  translateContext: (config: EdgeAgentConfig) => Promise<TranslateContext> | TranslateContext;
  clock: Clock;
  logger: Logger;
  /** Resync interval without triggers (default 5 s, IoT Edge's reconcile period). */
  resyncMs?: number;
  /** Wait at most this long for a startupOrder group to be Ready (default 60 s). */
  readyTimeoutMs?: number;
  restartPolicy?: RestartPolicyOptions;
  commandCoolOff?: RestartPolicyOptions;
  errorBackoffBaseMs?: number;
  errorBackoffMaxMs?: number;
  /** The real node's images besides the kubelet's node status (e.g. `ContainerdImageCache` of runtime/image, which lists containerd only after a change), for placement. */
  imageCatalog?: ImageCatalog;
  /** Builds/imports the images edgemu can make before a plan (e.g. runtime/image `ensureManifestImages`). */
  ensureImages?: EnsureImages;
  /** Watches shared with the other agents of the process (`AgentHost`); default: the agent's own. */
  collections?: SharedCollections;
  /** Node pools shared with the other agents of the process; default: the agent's own. */
  nodes?: NodeCatalog;
}

/**
 * One edge device's agent, assembled: the reconcile pass on a level-triggered loop, woken by
 * desired-property changes (config source) and pod events (watch), on the Kubernetes
 * environment of the device's namespace. Several run side by side in one process.
 */
export class EdgeAgent {
  readonly agent: Agent;
  readonly loop: ReconcileLoop;
  readonly environment: KubernetesEnvironment;
  /** What the direct methods (RestartModule, GetModuleLogs) do in the cluster. */
  readonly methods: KubernetesModuleMethods;
  private watch: { stop(): void } | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(readonly options: EdgeAgentOptions) {
    const logger = agentLogger(options.logger, options.deviceId);
    this.environment = new KubernetesEnvironment({
      kube: options.kube,
      deviceId: options.deviceId,
      ...(options.layout !== undefined ? { layout: options.layout } : {}),
      translateContext: options.translateContext,
      clock: options.clock,
      logger,
      ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      ...(options.imageCatalog !== undefined ? { imageCatalog: options.imageCatalog } : {}),
      ...(options.ensureImages !== undefined ? { ensureImages: options.ensureImages } : {}),
      ...(options.collections !== undefined ? { collections: options.collections } : {}),
      ...(options.nodes !== undefined ? { nodes: options.nodes } : {}),
    });
    this.methods = new KubernetesModuleMethods({
      kube: options.kube,
      deviceId: options.deviceId,
      ...(options.layout !== undefined ? { layout: options.layout } : {}),
      readCurrent: (signal) => this.environment.readCurrent(signal),
      clock: options.clock,
      logger,
    });
    this.agent = new Agent({
      configSource: options.configSource,
      environment: this.environment,
      reporter: options.reporter,
      validate: options.validate,
      clock: options.clock,
      logger,
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
      ...(options.commandCoolOff ? { commandCoolOff: options.commandCoolOff } : {}),
    });
    this.loop = new ReconcileLoop({
      pass: (signal) => this.agent.reconcileOnce(signal),
      clock: options.clock,
      logger,
      resyncMs: options.resyncMs ?? 5_000,
      ...(options.errorBackoffBaseMs !== undefined ? { errorBackoffBaseMs: options.errorBackoffBaseMs } : {}),
      ...(options.errorBackoffMaxMs !== undefined ? { errorBackoffMaxMs: options.errorBackoffMaxMs } : {}),
    });
  }

  start(): void {
    this.unsubscribe = this.options.configSource.onChange?.((reason) => this.loop.markDirty(reason, { urgent: true }));
    this.watch = this.environment.watch((reason) => this.loop.markDirty(reason));
    this.loop.start();
  }

  /** Stops the loop and the watches, then reports "Agent is not running" (406) within 2 s if it can. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.watch?.stop();
    await this.loop.stop();
    await this.agent.reportStopped(AbortSignal.timeout(2_000));
  }
}

/**
 * The agent's logger: `component: agent` and the device id, bound once. Pino repeats a key bound
 * by two child loggers in every line, and callers (the agent host) often bound `deviceId` already.
 */
export function agentLogger(logger: Logger, deviceId: string): Logger {
  return logger.child(logger.bindings().deviceId === deviceId ? { component: 'agent' } : { component: 'agent', deviceId });
}
