import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import { formatDeviceConnectionString } from '../hub/index.js';
import type { HubStore } from '../hub/index.js';
import { validateEdgeAgentDesired } from '../manifest/index.js';
import type { EdgeAgentConfig } from '../manifest/index.js';
import { DEFAULT_LAYOUT, devicesForLayout, LABEL_MANAGED_BY, MANAGED_BY, toSelector, type HubEndpoint as PodHubEndpoint, type Layout, type ModuleIdentity, type TranslateContext } from '../translate/index.js';
import { EdgeAgent, type EdgeAgentOptions } from './edge-agent.js';
import { HubTwinConnection } from './hub/hub-twin-connection.js';
import type { KubeApi } from './kubernetes/kube-api.js';
import { NodeCatalog } from './kubernetes/node-catalog.js';
import { SharedCollections } from './kubernetes/shared-collections.js';
import type { AgentMethodContext, AgentMethodTable } from './methods/agent-method.js';
import { builtinAgentMethods } from './methods/builtin-agent-methods.js';
import { createAgentMethodDispatch, type AgentMethodDispatch } from './methods/method-dispatch.js';

/** Where the running hub is, as the agents need it. */
export interface HubEndpoint {
  /** The hub host name (connection strings' `HostName`, a name in the hub certificate). */
  hostName: string;
  mqttsPort: number;
  /** PEM of the hub CA. */
  caCert: string;
}

export interface AgentHostOptions {
  store: HubStore;
  hub: HubEndpoint;
  /** The Kubernetes API the agents apply deployments to (the composition root builds it). */
  kube: KubeApi;
  clock: Clock;
  logger: Logger;
  /** How pods reach the hub (`host` or `host:port`); default `<hostName>:<mqttsPort>`. */
  gatewayHostName?: string;
  /**
   * Identities were created or deleted (the hub's `onIdentitiesChanged`, which also sees other
   * processes' writes); default: the store's own creations and deletions in this process.
   */
  identityChanges?: (listener: () => void) => () => void;
  /**
   * More `$edgeAgent` direct methods besides the built-in ping, RestartModule and GetModuleLogs
   * (docs/agent.md, "Direct methods"), e.g. the log and support-bundle uploads.
   */
  methodTables?: readonly AgentMethodTable[];
  /** Only run agents for these devices (default: every edge device). */
  deviceFilter?: (deviceId: string) => boolean;
  /**
   * Where the agents place modules (runtime/translate/layout.ts; default the default layout). A
   * layout with one device per cluster (azure-stack-edge) runs one agent: the device that has it,
   * else `preferredDevice`, else the first by id; every other edge device is refused with an error
   * in the log (docs/azure-stack-edge.md "Several devices").
   */
  layout?: Layout;
  /** The device a one-device layout gives its namespace to first (`edgemu up --device`). */
  preferredDevice?: string;
  /** Tuning passed to every agent (tests shorten timers). */
  agentOptions?: Partial<Pick<EdgeAgentOptions, 'resyncMs' | 'readyTimeoutMs' | 'restartPolicy' | 'commandCoolOff' | 'errorBackoffBaseMs' | 'errorBackoffMaxMs'>>;
  /**
   * The local cluster's real node (docs/cluster.md "Node info"): the hub as pods reach it on the
   * pod bridge (each device namespace gets an `edgehub` Service), the node's images for placement,
   * and the image step before each plan. Absent for kind and `--cluster current`.
   */
  realNode?: {
    hubEndpoint: PodHubEndpoint;
    imageCatalog?: EdgeAgentOptions['imageCatalog'];
    ensureImages?: EdgeAgentOptions['ensureImages'];
  };
}

interface Running {
  agent: EdgeAgent;
  connection: HubTwinConnection;
}

/**
 * Runs one edge agent per IoT Edge device of the hub's registry, side by side in this process
 * (each device in its own namespace), starting agents for devices created later and stopping
 * those of deleted devices. This is what the composition root (runtime/server) starts.
 */
export class AgentHost {
  private readonly agents = new Map<string, Running>();
  private readonly kube: KubeApi;
  private unsubscribe: Array<() => void> = [];
  private stopped = false;
  private scanning: Promise<void> = Promise.resolve();
  private readonly methods: AgentMethodDispatch;
  private readonly layout: Layout;
  /** Devices refused by a one-device layout, and why (logged once each). */
  private readonly refusedDevices = new Map<string, string>();
  /** One watch per kind for all agents, over every namespace, selected by edgemu's managed-by label (every layout has it). */
  private readonly collections: SharedCollections;
  /** One read of the node pools for all agents. */
  private readonly nodes: NodeCatalog;

  constructor(private readonly options: AgentHostOptions) {
    this.kube = options.kube;
    this.layout = options.layout ?? DEFAULT_LAYOUT;
    this.collections = new SharedCollections({
      kube: options.kube,
      clock: options.clock,
      logger: options.logger.child({ component: 'agent-watch' }),
      selector: toSelector({ [LABEL_MANAGED_BY]: MANAGED_BY }),
    });
    this.nodes = new NodeCatalog(options.kube, options.clock, options.realNode?.imageCatalog);
    this.methods = createAgentMethodDispatch([builtinAgentMethods, ...(options.methodTables ?? [])]);
  }

  /** The `$edgeAgent` direct method names the agents answer. */
  get methodNames(): readonly string[] {
    return this.methods.names;
  }

  /** Device ids with a running agent. */
  get devices(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** Edge devices the layout gives no agent, with the reason (a one-device layout). */
  get refused(): ReadonlyMap<string, string> {
    return this.refusedDevices;
  }

  /**
   * The watches of every agent together: how many are open now and how many were made (one per
   * kind, Deployments and pods, whatever the number of devices; docs/agent.md "Many devices").
   */
  get watchStats(): { activeWatches: number; watchesStarted: number } {
    return { activeWatches: this.collections.activeWatches, watchesStarted: this.collections.watchesStarted };
  }

  agentFor(deviceId: string): EdgeAgent | undefined {
    return this.agents.get(deviceId)?.agent;
  }

  /** Starts agents for the edge devices there are, and follows identity changes. */
  start(): void {
    const { store } = this.options;
    const changes = this.options.identityChanges ?? ((l: () => void) => {
      const offCreated = store.identities.creations.add(l);
      const offDeleted = store.identities.deletions.add(l);
      return () => {
        offCreated();
        offDeleted();
      };
    });
    this.unsubscribe.push(changes(() => void this.scan()));
    void this.scan();
  }

  /** Looks for edge devices now (identity changes call it; tests await it). */
  scan(): Promise<void> {
    this.scanning = this.scanning.then(() => this.sync()).catch((error) => this.options.logger.warn({ err: describeError(error) }, 'agent host scan failed'));
    return this.scanning;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.scanning;
    await Promise.all([...this.agents.keys()].map((d) => this.stopAgent(d)));
    this.collections.stop();
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const all = this.options.store.identities
      .list()
      .filter((i) => i.moduleId === undefined && i.isEdge && (this.options.deviceFilter?.(i.deviceId) ?? true))
      .map((i) => i.deviceId);
    const { run, refused } = devicesForLayout(this.layout, all, [...this.agents.keys()], this.options.preferredDevice);
    const edge = new Set(run);
    for (const { deviceId, reason } of refused) {
      if (this.refusedDevices.get(deviceId) !== reason) this.options.logger.error({ deviceId, layout: this.layout.name }, reason);
      this.refusedDevices.set(deviceId, reason);
    }
    for (const deviceId of [...this.refusedDevices.keys()]) if (!refused.some((r) => r.deviceId === deviceId)) this.refusedDevices.delete(deviceId);
    // Stopped first: in a one-device layout the next owner of the namespace starts after the last one left.
    for (const deviceId of [...this.agents.keys()]) if (!edge.has(deviceId)) await this.stopAgent(deviceId);
    for (const deviceId of edge) if (!this.agents.has(deviceId)) this.startAgent(deviceId);
  }

  private startAgent(deviceId: string): void {
    const { store, hub, clock } = this.options;
    const identity = store.identities.get({ deviceId, moduleId: '$edgeAgent' });
    if (!identity) {
      this.options.logger.warn({ deviceId }, 'edge device has no $edgeAgent identity; no agent started');
      return;
    }
    const logger = this.options.logger.child({ deviceId });
    // The methods reach the agent built below; the hub link only calls them once it is started.
    const methodContext: AgentMethodContext = {
      deviceId,
      iotHubName: hub.hostName,
      clock,
      logger: logger.child({ component: 'agent-methods' }),
      moduleNames: () => agent.methods.moduleNames(),
      readModuleLog: (moduleId, query) => agent.methods.readModuleLog(moduleId, query),
      restartModule: (moduleId) => agent.methods.restartModule(moduleId),
    };
    const connection = new HubTwinConnection({
      connectionString: formatDeviceConnectionString({ hostName: `${hub.hostName}:${hub.mqttsPort}`, deviceId, moduleId: '$edgeAgent', key: identity.primaryKey }),
      ca: hub.caCert,
      clock,
      logger: logger.child({ component: 'agent-hub' }),
      onMethod: (name, payload) => this.methods.invoke(name, payload, methodContext),
    });
    const agent = new EdgeAgent({
      deviceId,
      configSource: connection,
      reporter: connection,
      validate: validateEdgeAgentDesired,
      kube: this.kube,
      layout: this.layout,
      translateContext: (config) => this.translateContext(deviceId, config),
      clock,
      logger,
      ...this.options.agentOptions,
      ...(this.options.realNode?.imageCatalog !== undefined ? { imageCatalog: this.options.realNode.imageCatalog } : {}),
      ...(this.options.realNode?.ensureImages !== undefined ? { ensureImages: this.options.realNode.ensureImages } : {}),
      collections: this.collections,
      nodes: this.nodes,
    });
    this.agents.set(deviceId, { agent, connection });
    // The loop starts once the hub link is up: without it there is nothing to read or report, and
    // passes before it would only fail and log (the connection retries in the background).
    void connection.start().then(() => {
      if (this.agents.get(deviceId)?.agent === agent && !this.stopped) {
        agent.start();
        logger.info('edge agent started');
      }
    });
  }

  private async stopAgent(deviceId: string): Promise<void> {
    const running = this.agents.get(deviceId);
    if (!running) return;
    this.agents.delete(deviceId);
    await running.agent.stop();
    await running.connection.close();
  }

  /**
   * The translation context of a device: hub address and CA, and each module's identity —
   * created when missing, as IoT Edge's agent creates module identities before starting them.
   */
  private translateContext(deviceId: string, config: EdgeAgentConfig): TranslateContext {
    const { store, hub } = this.options;
    const identities: Record<string, ModuleIdentity> = {};
    for (const m of config.modules) {
      const identity = store.identities.ensureModule(deviceId, m.name);
      identities[m.name] = { sharedAccessKey: identity.primaryKey, generationId: identity.generationId };
    }
    return {
      deviceId,
      iotHubHostName: hub.hostName,
      gatewayHostName: this.options.gatewayHostName ?? `${hub.hostName}:${hub.mqttsPort}`,
      hubCaPem: hub.caCert,
      identities,
      ...(this.options.realNode !== undefined ? { hubEndpoint: this.options.realNode.hubEndpoint } : {}),
    };
  }
}
