import path from 'node:path';
import v8 from 'node:v8';
import type { Logger } from '../log/create-logger.js';
import { systemClock, type Clock } from '../clock.js';
import { openHubStore, type HubStore } from '../hub/index.js';
import { startHub, type Hub } from '../hub/index.js';
import { ConnectionTable } from '../hub/index.js';
import { EdgeRouter } from '../routing/index.js';
import { writeDiscovery, removeDiscovery, readDiscovery } from '../hub/index.js';
import { DEFAULT_HTTPS_PORT, DEFAULT_MQTTS_PORT } from '../hub/index.js';
import { SETTING_AMQPS_PORT, SETTING_HOST_NAME, SETTING_HTTPS_PORT, SETTING_MQTTS_PORT } from '../hub/index.js';
import { EdgemuError } from '../errors.js';
import { startAutomaticDeployments, startHubServiceApi, DEFAULT_API_VERSION, type AutomaticDeployments, type ServiceApiLimits } from '../service-api/index.js';
import { createWebView, webViewUrl, type DeviceStreamSource } from '../web/index.js';
import { createSasToken } from '../hub/index.js';
import type { HubLimits, MessageRouter } from '../hub/index.js';
import { applyConfigurationContent, type ApplyOutcome } from '../service-api/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentHost, AgentHostOptions } from '../agent/index.js';
import { DEFAULT_LAYOUT, EDGEHUB_SERVICE, type Layout } from '../translate/index.js';
import { startYoungGenerationPolicy } from './young-generation.js';
import { ensureManifestImages, ImageStore, nodeImageCache, type ContainerdImageCache, type ContainerdTarget } from '../image/index.js';

/**
 * The names pods use for the hub on a real node: the `edgehub` Service of each device namespace
 * of the layout (short, namespaced and fully qualified, as Kubernetes DNS resolves them:
 * kubernetes.io/docs/concepts/services-networking/dns-pod-service/) and the bridge address —
 * `edgehub.iotedge[.svc[.<domain>]]` once in the azure-stack-edge layout.
 */
export function realNodeSubjectAltNames(hostIP: string, clusterDomain: string, deviceIds: readonly string[], layout: Layout = DEFAULT_LAYOUT): string[] {
  const names = [EDGEHUB_SERVICE, hostIP];
  for (const ns of [...new Set([...new Set(deviceIds)].sort().map((d) => layout.namespace(d)))]) {
    names.push(`${EDGEHUB_SERVICE}.${ns}`, `${EDGEHUB_SERVICE}.${ns}.svc`, `${EDGEHUB_SERVICE}.${ns}.svc.${clusterDomain}`);
  }
  return names;
}

export interface StartServerOptions {
  stateDir: string;
  /** Names the hub is reached by; the first is the hub host name (default `localhost`). */
  hostNames?: readonly string[];
  /** MQTT over TLS port (default 8883; 0 = any free port). */
  mqttsPort?: number;
  /** Service API HTTPS port (default 8443; 0 = any free port). */
  httpsPort?: number;
  /** AMQP over TLS port (IoT Hub: 5671; 0 = any free port); undefined = no AMQP listener. The CLI defaults it to 5671. */
  amqpsPort?: number | undefined;
  /** Listen address (default 0.0.0.0). */
  bindAddress?: string;
  /** Several MQTT listen addresses on the same port (overrides `bindAddress` for MQTT), e.g. a cluster bridge address next to 127.0.0.1. */
  mqttBindAddresses?: readonly string[];
  /** Extra server-certificate SANs (names or IPs) beyond `hostNames`. */
  extraSubjectAltNames?: readonly string[];
  logger: Logger;
  clock?: Clock;
  /** Limits of the hub and of the service API against slow and greedy clients (docs/hub.md, docs/service-api.md "Limits"). */
  limits?: { hub?: Partial<HubLimits>; serviceApi?: Partial<ServiceApiLimits> };
  /** The cluster edge agents apply deployments to; without it no agents run. */
  kubeConfig?: KubeConfig;
  /** Agent timing (tests shorten it). */
  agentOptions?: AgentHostOptions['agentOptions'];
  /**
   * Where the agents place modules (runtime/translate/layout.ts; `edgemu up --layout`): default
   * edgemu's own; azure-stack-edge runs one device in namespace `iotedge` (docs/azure-stack-edge.md).
   */
  layout?: Layout;
  /** The device a one-device layout runs first (`edgemu up --device`). */
  preferredDevice?: string;
  /**
   * The local cluster's real node (`edgemu up` reads it from the cluster's node info): pods reach
   * the hub at `hostIP` through each device namespace's `edgehub` Service, so the hub certificate
   * also names `edgehub`, `hostIP` and `edgehub.<ns>.svc[.<clusterDomain>]` of every edge device
   * (and of `devices`, which may not exist yet); the agents build/import the sample images into
   * `containerd` before each plan and read its images for placement (docs/images.md).
   */
  realNode?: {
    hostIP: string;
    clusterDomain: string;
    containerd: ContainerdTarget;
    devices?: readonly string[];
    onImageProgress?: (message: string) => void;
  };
}

/** The whole edgemu server process: the hub and everything wired around it. */
export interface Server {
  readonly store: HubStore;
  readonly hub: Hub;
  /** edgeHub routing (`$edgeHub` routes, store-and-forward queues). */
  readonly router: EdgeRouter;
  readonly mqttsPort: number;
  /** The AMQP over TLS port, when AMQP is served. */
  readonly amqpsPort: number | undefined;
  /** The service API's port. */
  readonly httpsPort: number | undefined;
  readonly caFile: string;
  /** The edge agents (one per edge device), when a kubeConfig was given. */
  readonly agents: AgentHost | undefined;
  /** Automatic and layered deployments (`settled()` resolves once the fleet has its content). */
  readonly deployments: AutomaticDeployments;
  /**
   * Creates `deviceId` as an IoT Edge device unless it exists (false then); throws
   * AGENT_NOT_EDGE_DEVICE for an existing device that is not an edge device.
   */
  ensureEdgeDevice(deviceId: string): boolean;
  /** `applyConfigurationContent` (as `POST /devices/{id}/applyConfigurationContent`); the agents pick it up. */
  deploy(deviceId: string, content: unknown): ApplyOutcome;
  /** A fresh link to the web view (docs/web.md) carrying a service-policy token valid for `ttlSeconds` (default 8 h). */
  webUrl(ttlSeconds?: number): string | undefined;
  /** Stops every component in reverse start order and removes DIR/hub.json. */
  close(): Promise<void>;
}

/**
 * The composition root (`edgemu hub`, `edgemu up`, tests): opens the store, wires routing,
 * starts the hub, the service API and the agents, each registering its own shutdown
 * (docs/architecture.md).
 */
export async function startServer(options: StartServerOptions): Promise<Server> {
  const logger = options.logger;
  const clock = options.clock ?? systemClock;
  const running = readDiscovery(options.stateDir);
  if (running && running.pid !== process.pid) {
    throw new EdgemuError('SERVER_ALREADY_RUNNING', `a hub (pid ${running.pid}) already runs on state dir ${options.stateDir} (MQTT port ${running.mqttsPort})`);
  }
  // config → logger → stores → routing → automatic deployments → hub (listening only once routing is wired) → service API → agents
  const connections = new ConnectionTable({ clock, logger: logger.child({ component: 'hub' }) });
  const store = openHubStore({ stateDir: options.stateDir, clock, logger, connectionState: (ref) => connections.isConnected(ref) });
  const closers: Array<() => Promise<void> | void> = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'a component failed to stop cleanly');
      }
    }
  };
  try {
    // routing: `$edgeHub` routes and store-and-forward, wired to the connection table before
    // any client can connect (a module reconnecting right after a restart is routed).
    const router = new EdgeRouter({ store, connections, stateDir: options.stateDir, logger, clock });
    closers.push(() => router.close());
    // V8's young generation stays at its initial size until messages flow (young-generation.ts):
    // idle connections do not pay for it. The counter sees every message the hub accepts.
    let accepted = 0;
    const counted: MessageRouter = {
      route(message) {
        accepted += 1;
        return router.route(message);
      },
      ownMethods: (ref) => router.ownMethods(ref),
    };
    const youngGeneration = startYoungGenerationPolicy({
      accepted: () => accepted,
      setGrowthFactor: (factor) => v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`),
      logger: logger.child({ component: 'hub' }),
      now: () => performance.now(),
      every: (ms, fn) => {
        const timer = setInterval(fn, ms);
        timer.unref();
        return () => clearInterval(timer);
      },
    });
    closers.push(() => youngGeneration.close());
    // automatic and layered deployments (docs/deployments.md): evaluated now (before the hub
    // listens, so an agent connecting first reads its deployment's content) and, debounced, after
    // every configuration, tag or device change, writing module twins as applyConfigurationContent does.
    const automatic = startAutomaticDeployments({ store, clock, logger: logger.child({ component: 'deployments' }) });
    closers.push(() => automatic.close());
    const hub = await startHub({
      stateDir: options.stateDir,
      ...(options.hostNames ? { hostNames: options.hostNames } : {}),
      mqttsPort: options.mqttsPort ?? DEFAULT_MQTTS_PORT,
      ...(options.limits?.hub ? { limits: options.limits.hub } : {}),
      ...(options.amqpsPort !== undefined ? { amqpsPort: options.amqpsPort } : {}),
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
      ...(options.mqttBindAddresses ? { bindAddresses: options.mqttBindAddresses } : {}),
      ...(options.extraSubjectAltNames || options.realNode ? { extraSubjectAltNames: subjectAltNames(options, store) } : {}),
      logger,
      clock,
      store,
      connections,
      router: counted,
    });
    closers.push(() => hub.close());

    // service API: IoT Hub-shaped HTTPS REST with the hub's certificate and iothubowner policy.
    const serviceApi = await startHubServiceApi({
      hub,
      stateDir: options.stateDir,
      httpsPort: options.httpsPort ?? DEFAULT_HTTPS_PORT,
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
      ...(options.limits?.serviceApi ? { limits: options.limits.serviceApi } : {}),
      // The web view on the same port (docs/web.md); the agent's status table is loaded with the first stream.
      web: (auth) => createWebView({ ...auth, apiVersion: DEFAULT_API_VERSION, source: deviceStreamSource(hub, router), logger, clock }),
      logger,
      clock,
    });
    closers.push(() => serviceApi.close());
    const httpsPort: number | undefined = serviceApi.port;
    // agents: one per edge device, connecting to hub.mqttsPort.
    let agents: AgentHost | undefined;
    if (options.kubeConfig) {
      const { AgentHost: Host } = await import('../agent/index.js');
      const { ClientNodeKubeApi, wireUploadMethods } = await import('../agent/index.js');
      const kube = new ClientNodeKubeApi(options.kubeConfig);
      // One cache of the node's images for placement and the image step (closed after the agents stop).
      const images = options.realNode ? nodeImageCache(options.realNode.containerd) : undefined;
      if (images) closers.push(() => images.close());
      // edgeAgent's upload methods (docs/agent.md, "Upload and support bundle"): one table and one
      // task registry for every device; closed after the agents stop, failing uploads still running.
      const uploads = wireUploadMethods({ hubHostName: hub.hostName, store, kube, clock, ...(options.layout ? { layout: options.layout } : {}) });
      closers.push(() => uploads.close());
      const host = new Host({
        store,
        hub: { hostName: hub.hostName, mqttsPort: hub.mqttsPort, caCert: hub.caCert },
        kube,
        methodTables: [uploads.methods],
        identityChanges: (listener) => hub.onIdentitiesChanged(listener),
        clock,
        logger,
        ...(options.agentOptions ? { agentOptions: options.agentOptions } : {}),
        ...(options.layout ? { layout: options.layout } : {}),
        ...(options.preferredDevice !== undefined ? { preferredDevice: options.preferredDevice } : {}),
        ...(options.realNode ? { realNode: realNodeAgentOptions(options.realNode, images!, hub.mqttsPort, httpsPort, hub.amqpsPort) } : {}),
      });
      host.start();
      closers.push(() => host.stop());
      agents = host;
    }

    store.identities.setSetting(SETTING_HOST_NAME, hub.hostName);
    if (options.mqttsPort) store.identities.setSetting(SETTING_MQTTS_PORT, String(hub.mqttsPort));
    if (options.httpsPort) store.identities.setSetting(SETTING_HTTPS_PORT, String(options.httpsPort));
    if (options.amqpsPort) store.identities.setSetting(SETTING_AMQPS_PORT, String(options.amqpsPort));
    writeDiscovery(options.stateDir, {
      pid: process.pid,
      hostName: hub.hostName,
      hostNames: [...hub.hostNames],
      mqttsPort: hub.mqttsPort,
      ...(hub.amqpsPort !== undefined ? { amqpsPort: hub.amqpsPort } : {}),
      httpsPort,
      caFile: path.resolve(hub.caFile),
      startedAt: new Date(clock.now()).toISOString(),
    });
    closers.push(() => removeDiscovery(options.stateDir));
    let closing: Promise<void> | undefined;
    return {
      store,
      hub,
      router,
      mqttsPort: hub.mqttsPort,
      amqpsPort: hub.amqpsPort,
      httpsPort,
      caFile: hub.caFile,
      agents,
      deployments: automatic,
      ensureEdgeDevice(deviceId) {
        const existing = store.identities.get({ deviceId });
        if (existing && !existing.isEdge) throw new EdgemuError('AGENT_NOT_EDGE_DEVICE', `device ${deviceId} exists but is not an IoT Edge device`);
        if (existing) return false;
        store.identities.createDevice(deviceId, { edge: true });
        return true;
      },
      deploy: (deviceId, content) => applyConfigurationContent(store, deviceId, content),
      webUrl(ttlSeconds = 8 * 3600) {
        const policy = store.identities.servicePolicy();
        const token = createSasToken(hub.hostName, policy.primaryKey, Math.ceil(clock.now() / 1000) + ttlSeconds, policy.name);
        return webViewUrl(hub.hostName, httpsPort, token);
      },
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** What the web view's device stream reads from the running hub and router. */
function deviceStreamSource(hub: Hub, router: EdgeRouter): DeviceStreamSource {
  let table: DeviceStreamSource['statusTable'] | undefined;
  let loading: Promise<void> | undefined;
  return {
    // The agent area (client-node) loads lazily, as in startServer: the first stream waits for it.
    ready: () =>
      (loading ??= import('../agent/index.js').then((m) => {
        table = m.statusTable;
      })),
    twin(ref) {
      const twin = hub.store.twins.get(ref);
      return twin ? { reported: twin.properties.reported as Record<string, unknown>, desired: twin.properties.desired as Record<string, unknown>, connectionState: twin.connectionState } : undefined;
    },
    onTwinChanged(listener) {
      const offReported = hub.store.twins.onReportedChanged((c) => listener(c.ref.deviceId, c.ref.moduleId ?? ''));
      const offDesired = hub.store.twins.onDesiredChanged((c) => listener(c.ref.deviceId, c.ref.moduleId ?? ''));
      return () => {
        offReported();
        offDesired();
      };
    },
    onConnectionChanged: (listener) => hub.onConnectionChanged((e) => listener(e.deviceId, e.moduleId, e.status)),
    routing(deviceId) {
      const routes = router.routesOf(deviceId);
      // The device's module identities and the modules its deployment names (a route may queue for a module not yet connected).
      const names = new Set(hub.store.identities.list().flatMap((i) => (i.deviceId === deviceId && i.moduleId !== undefined ? [i.moduleId] : [])));
      const deployed = hub.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.desired.modules;
      if (deployed && typeof deployed === 'object') for (const name of Object.keys(deployed)) names.add(name);
      return {
        routes: routes ? routes.map((r) => ({ name: r.name, priority: r.priority, ttlSecs: r.ttlSecs ?? null })) : null,
        queues: [...names].sort().map((moduleId) => ({ moduleId, waiting: router.queueDepth({ deviceId, moduleId }) })),
      };
    },
    statusTable: (deviceId, reported, desiredVersion) => {
      if (!table) throw new EdgemuError('WEB_NOT_READY', 'the status table is read before the agent area loaded');
      return table(deviceId, reported, desiredVersion);
    },
  };
}

function subjectAltNames(options: StartServerOptions, store: HubStore): string[] {
  const extra = [...(options.extraSubjectAltNames ?? [])];
  if (options.realNode) {
    const edgeDevices = store.identities.list().filter((i) => i.moduleId === undefined && i.isEdge).map((i) => i.deviceId);
    extra.push(...realNodeSubjectAltNames(options.realNode.hostIP, options.realNode.clusterDomain, [...edgeDevices, ...(options.realNode.devices ?? [])], options.layout));
  }
  return extra;
}

function realNodeAgentOptions(
  realNode: NonNullable<StartServerOptions['realNode']>,
  images: ContainerdImageCache,
  mqtts: number,
  https: number | undefined,
  amqps: number | undefined,
): NonNullable<AgentHostOptions['realNode']> {
  const store = new ImageStore();
  return {
    hubEndpoint: { ip: realNode.hostIP, ports: { mqtts, ...(https !== undefined ? { https } : {}), ...(amqps !== undefined ? { amqps } : {}) } },
    imageCatalog: images,
    ensureImages: async (config) => {
      const ensured = await ensureManifestImages(config, realNode.containerd, { store, images, ...(realNode.onImageProgress ? { onProgress: realNode.onImageProgress } : {}) });
      return { standInImages: ensured.filter((e) => e.standIn).map((e) => e.image.name) };
    },
  };
}

export { DEFAULT_HTTPS_PORT };
