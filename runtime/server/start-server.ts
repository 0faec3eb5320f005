import path from 'node:path';
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
import { startAutomaticDeployments, startHubServiceApi, type ServiceApiLimits } from '../service-api/index.js';
import type { HubLimits } from '../hub/index.js';
import { applyConfigurationContent, type ApplyOutcome } from '../service-api/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentHost, AgentHostOptions } from '../agent/index.js';
import { deviceNamespace, EDGEHUB_SERVICE } from '../translate/index.js';
import { ensureManifestImages, ImageStore, nodeImageCache, type ContainerdImageCache, type ContainerdTarget } from '../image/index.js';

/**
 * The names pods use for the hub on a real node: the `edgehub` Service of each device namespace
 * (short, namespaced and fully qualified, as Kubernetes DNS resolves them:
 * kubernetes.io/docs/concepts/services-networking/dns-pod-service/) and the bridge address.
 */
export function realNodeSubjectAltNames(hostIP: string, clusterDomain: string, deviceIds: readonly string[]): string[] {
  const names = [EDGEHUB_SERVICE, hostIP];
  for (const d of [...new Set(deviceIds)].sort()) {
    const ns = deviceNamespace(d);
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
  /**
   * Creates `deviceId` as an IoT Edge device unless it exists (false then); throws
   * AGENT_NOT_EDGE_DEVICE for an existing device that is not an edge device.
   */
  ensureEdgeDevice(deviceId: string): boolean;
  /** `applyConfigurationContent` (as `POST /devices/{id}/applyConfigurationContent`); the agents pick it up. */
  deploy(deviceId: string, content: unknown): ApplyOutcome;
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
    // automatic and layered deployments (docs/deployments.md): evaluated now and on every
    // configuration, tag or device change, writing module twins as applyConfigurationContent does;
    // before the hub listens, so an agent connecting first reads its deployment's content.
    const automatic = startAutomaticDeployments({ store, logger: logger.child({ component: 'deployments' }) });
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
      router,
    });
    closers.push(() => hub.close());

    // service API: IoT Hub-shaped HTTPS REST with the hub's certificate and iothubowner policy.
    const serviceApi = await startHubServiceApi({
      hub,
      stateDir: options.stateDir,
      httpsPort: options.httpsPort ?? DEFAULT_HTTPS_PORT,
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
      ...(options.limits?.serviceApi ? { limits: options.limits.serviceApi } : {}),
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
      const uploads = wireUploadMethods({ hubHostName: hub.hostName, store, kube, clock });
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
        ...(options.realNode ? { realNode: realNodeAgentOptions(options.realNode, images!, hub.mqttsPort, httpsPort) } : {}),
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
      ensureEdgeDevice(deviceId) {
        const existing = store.identities.get({ deviceId });
        if (existing && !existing.isEdge) throw new EdgemuError('AGENT_NOT_EDGE_DEVICE', `device ${deviceId} exists but is not an IoT Edge device`);
        if (existing) return false;
        store.identities.createDevice(deviceId, { edge: true });
        return true;
      },
      deploy: (deviceId, content) => applyConfigurationContent(store, deviceId, content),
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function subjectAltNames(options: StartServerOptions, store: HubStore): string[] {
  const extra = [...(options.extraSubjectAltNames ?? [])];
  if (options.realNode) {
    const edgeDevices = store.identities.list().filter((i) => i.moduleId === undefined && i.isEdge).map((i) => i.deviceId);
    extra.push(...realNodeSubjectAltNames(options.realNode.hostIP, options.realNode.clusterDomain, [...edgeDevices, ...(options.realNode.devices ?? [])]));
  }
  return extra;
}

function realNodeAgentOptions(
  realNode: NonNullable<StartServerOptions['realNode']>,
  images: ContainerdImageCache,
  mqtts: number,
  https: number | undefined,
): NonNullable<AgentHostOptions['realNode']> {
  const store = new ImageStore();
  return {
    hubEndpoint: { ip: realNode.hostIP, ports: { mqtts, ...(https !== undefined ? { https } : {}) } },
    imageCatalog: images,
    ensureImages: async (config) => {
      const ensured = await ensureManifestImages(config, realNode.containerd, { store, images, ...(realNode.onImageProgress ? { onProgress: realNode.onImageProgress } : {}) });
      return { standInImages: ensured.filter((e) => e.standIn).map((e) => e.image.name) };
    },
  };
}

export { DEFAULT_HTTPS_PORT };
