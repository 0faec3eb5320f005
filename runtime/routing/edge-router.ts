import { systemClock, type Clock } from '../clock.js';
import { EdgemuError } from '../errors.js';
import { silentLogger, type Logger } from '../log/create-logger.js';
import type { HubConnections, HubMessage, HubStore, IdentityRef, MethodInvocation, MethodResult, ModuleRef } from '../hub/index.js';
import type { CompiledRoute } from './edge-hub-config.js';
import { EDGE_HUB, EdgeHubConfigs } from './edge-hub-configs.js';
import { EdgeHubReporter } from './edge-hub-reporter.js';
import { answerEdgeHubMethod } from './edge-hub-methods.js';
import { inputDeliveryProperties, toRoutingMessage, type InputDelivery } from './hub-message-mapping.js';
import { matchRoutes, type RouteTarget } from './match-routes.js';
import { StoreAndForward, type StoreAndForwardOptions } from './store-and-forward.js';

/** Where `$upstream` messages are stored (the hub's message store: what `edgemu monitor` reads). */
const RESOLVED: Promise<void> = Promise.resolve();

export interface UpstreamStore {
  /** Stores durably; the promise may be shared by a whole batch (group commit). */
  persist(message: HubMessage, endpoint: string): Promise<unknown>;
}

export interface EdgeRouterOptions extends Partial<Pick<StoreAndForwardOptions, 'batchSize' | 'deliveryTimeoutMs' | 'purgeIntervalMs' | 'retryDelayMs' | 'maxRetryDelayMs'>> {
  /** The hub's store: twins (`$edgeHub` desired/reported) and identities. */
  store: HubStore;
  /** The hub's live connections: module input delivery and connect/subscribe events. */
  connections: HubConnections;
  /** Where `$upstream` goes; default the store's message store. */
  upstream?: UpstreamStore;
  /** Where `routing.db` (the store-and-forward queues) lives; usually the hub's state dir. */
  stateDir: string;
  clock?: Clock;
  logger?: Logger;
}

const TWIN_CHANGES = '/twinChangeNotifications';
const TWIN_CHANGE_SYSTEM: Readonly<Record<string, string>> = Object.freeze({ messageType: 'twinChangeNotification' });

/**
 * The refusal while an edge device's queues are over `storeLimits.maxSizeBytes` (edgeHub's
 * `StorageFullException`, Azure/iotedge doc/DbStoreSizeLimits.md): the sender gets no
 * acknowledgement and sends again later, once deliveries or TTL expiry made room.
 */
const storeFull = (edgeDeviceId: string, limit: number) =>
  new EdgemuError('STORE_FULL', `the store-and-forward queues of edge device ${edgeDeviceId} are full (storeLimits.maxSizeBytes ${limit}); message not accepted, send it again later`);

/**
 * edgeHub's routing inside the edgemu hub (docs/routing.md,
 * learn.microsoft.com/azure/iot-edge/module-composition#declare-routes), wiring three parts:
 * - `EdgeHubConfigs`: every edge device's `$edgeHub` desired twin compiled into routes;
 * - `StoreAndForward`: module input queues in routing.db and a pump per module;
 * - `EdgeHubReporter`: `$edgeHub` reported properties and `clients`.
 * `route(message)` resolves only after every target stored the message durably (module inputs
 * in routing.db, `$upstream` in the hub's message store) — the hub sends the sender's PUBACK
 * after that. Devices without `$edgeHub` (plain IoT Hub devices) and edge devices that have
 * not been given a configuration yet keep IoT Hub's default: telemetry goes to `$upstream`.
 */
export class EdgeRouter {
  private readonly upstream: UpstreamStore;
  private readonly store: HubStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly reporter: EdgeHubReporter;
  private readonly configs: EdgeHubConfigs;
  private readonly queues: StoreAndForward;
  private readonly unsubscribe: Array<() => void> = [];
  private closed = false;

  constructor(options: EdgeRouterOptions) {
    this.upstream = options.upstream ?? options.store.messages;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'router' });
    const { store, connections, stateDir, upstream: _u, clock: _c, logger: _l, ...tuning } = options;
    this.queues = new StoreAndForward({ ...tuning, stateDir, connections, clock: this.clock, logger: this.logger });
    this.reporter = new EdgeHubReporter(store, this.clock, this.logger);
    this.configs = new EdgeHubConfigs(store, this.reporter, this.logger);
    this.unsubscribe.push(
      store.twins.onDesiredChanged((change) => {
        if (change.ref.moduleId === EDGE_HUB) this.configs.apply(change.ref.deviceId);
      }),
      store.twins.onReportedChanged((change) => {
        if (change.ref.moduleId !== EDGE_HUB) this.routeTwinChange(change.ref, change.patch, change.version);
      }),
    );
    this.configs.loadAll();
    // A module is tried only once the hub signals its inputs subscription (edgeHub delivers
    // only then; the SDK would drop messages sent before).
    this.unsubscribe.push(
      connections.onInputsSubscribed((e) => this.inputsReady({ deviceId: e.deviceId, moduleId: e.moduleId })),
      connections.onConnectionChanged((e) => {
        const ref = { deviceId: e.deviceId, moduleId: e.moduleId };
        if (e.status === 'Connected') this.clientConnected(ref);
        else this.clientDisconnected(ref);
      }),
    );
    for (const c of connections.connections()) {
      this.clientConnected(c);
      if (c.moduleId && c.listensForInputs) this.inputsReady({ deviceId: c.deviceId, moduleId: c.moduleId });
    }
  }

  /**
   * Routes one message from a module or device. Resolves once it is durably stored for every
   * target (or dropped because no route matches, as edgeHub does); rejects when storing failed,
   * in which case the sender must not get its PUBACK.
   */
  route(message: HubMessage): Promise<unknown> {
    // After close the sender gets no PUBACK, so the SDK sends again to the next hub.
    if (this.closed) return Promise.reject(new EdgemuError('ROUTER_CLOSED', 'the router is shut down; message not accepted'));
    const inForce = this.configs.routesFor(message.deviceId, message.moduleId, '/messages');
    // Not async on purpose (the hot path): the batch's own promise is handed back, no promise per message.
    if (inForce?.routes === undefined) return this.upstream.persist(message, '$upstream');
    const targets = matchRoutes(inForce.routes, toRoutingMessage(message));
    if (targets.length === 0) {
      this.logger.debug({ deviceId: message.deviceId, moduleId: message.moduleId, output: message.outputName }, 'no route matches; message dropped');
      return RESOLVED;
    }
    const limit = inForce.storeMaxSizeBytes;
    if (limit !== undefined && targets.some((t) => t.sink.kind !== 'upstream') && this.queues.isFull(inForce.edgeDeviceId, limit)) return Promise.reject(storeFull(inForce.edgeDeviceId, limit));
    const writes = this.storeForTargets(message, targets, inForce.edgeDeviceId);
    return writes.length === 1 ? writes[0]! : Promise.all(writes);
  }

  /** A module (or device) connected: reported in `clients`. */
  clientConnected(ref: IdentityRef): void {
    this.updateClient(ref, 'Connected');
  }

  /** A module (or device) disconnected: deliveries to it stop; reported in `clients`. */
  clientDisconnected(ref: IdentityRef): void {
    if (ref.moduleId) this.queues.moduleGone(ref as ModuleRef);
    this.updateClient(ref, 'Disconnected');
  }

  /**
   * A module subscribed to its inputs (edgeHub delivers only then, otherwise the SDK would
   * drop the messages): its queue starts draining now, cancelling any back-off wait.
   */
  inputsReady(ref: ModuleRef): void {
    this.queues.moduleReady(ref);
  }

  /** Messages waiting in store-and-forward, for one module or in total. */
  queueDepth(ref?: ModuleRef): number {
    return this.queues.depth(ref);
  }

  /**
   * edgeHub answers the direct methods of `<edge device>/$edgeHub` itself (edge-hub-methods.ts);
   * every other identity's methods go to its connection.
   */
  ownMethods(ref: IdentityRef): ((call: MethodInvocation) => Promise<MethodResult>) | undefined {
    if (ref.moduleId !== EDGE_HUB || this.closed || !this.store.identities.get({ deviceId: ref.deviceId })?.isEdge) return undefined;
    return (call) => Promise.resolve(answerEdgeHubMethod(call.methodName, call.payload ?? null));
  }

  /** The routes in force for an edge device (undefined before its first valid configuration). */
  routesOf(deviceId: string): readonly CompiledRoute[] | undefined {
    return this.configs.routesOf(deviceId);
  }

  /** Stops timers and listeners, writes what is batched, closes `routing.db`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    this.queues.close();
    this.reporter.close();
  }

  /**
   * Stores a routed message for its targets: once in `$upstream` however many routes send it
   * there, and once per (module input, priority, TTL) in routing.db (group commit). Returns
   * the pending writes.
   */
  private storeForTargets(message: HubMessage, targets: readonly RouteTarget[], edgeDeviceId: string, extraSystem?: Readonly<Record<string, string>>): Promise<unknown>[] {
    const now = this.clock.now();
    const writes: Promise<unknown>[] = [];
    let upstream = false;
    let delivery: InputDelivery | undefined;
    for (const t of targets) {
      if (t.sink.kind === 'upstream') {
        if (!upstream) writes.push(this.upstream.persist(message, '$upstream'));
        upstream = true;
        continue;
      }
      delivery ??= inputDeliveryProperties(message, extraSystem);
      writes.push(
        this.queues.submit({
          deviceId: edgeDeviceId,
          moduleId: t.sink.moduleId,
          inputName: t.sink.inputName,
          priority: t.priority,
          expiresAt: t.ttlSecs === undefined ? undefined : now + t.ttlSecs * 1000,
          body: message.body,
          systemProperties: delivery.systemProperties,
          properties: delivery.properties,
          propertyBag: delivery.propertyBag,
        }),
      );
    }
    return writes;
  }

  /**
   * A client's reported-property patch, routed as `/twinChangeNotifications`
   * (learn.microsoft.com/azure/iot-edge/module-composition#source).
   */
  private routeTwinChange(ref: IdentityRef, patch: Record<string, unknown>, version: number): void {
    const inForce = this.configs.routesFor(ref.deviceId, ref.moduleId, TWIN_CHANGES);
    if (inForce?.routes === undefined || this.closed) return;
    const message: HubMessage = {
      deviceId: ref.deviceId,
      moduleId: ref.moduleId,
      body: Buffer.from(JSON.stringify({ version, properties: { reported: patch } })),
      systemProperties: { ct: 'application/json', ce: 'utf-8' },
      properties: {},
      enqueuedTimeUtc: new Date(this.clock.now()).toISOString(),
    };
    const routing = toRoutingMessage(message);
    (routing.systemProperties as Record<string, string>).messageType = 'twinChangeNotification';
    const targets = matchRoutes(inForce.routes, routing);
    const limit = inForce.storeMaxSizeBytes;
    if (limit !== undefined && targets.some((t) => t.sink.kind !== 'upstream') && this.queues.isFull(inForce.edgeDeviceId, limit)) {
      this.logger.warn({ deviceId: ref.deviceId, moduleId: ref.moduleId, version, err: storeFull(inForce.edgeDeviceId, limit) }, 'twin change notification not routed: store-and-forward queues full');
      return;
    }
    for (const write of this.storeForTargets(message, targets, inForce.edgeDeviceId, TWIN_CHANGE_SYSTEM)) {
      write.catch((error: unknown) => this.logger.error({ err: error }, 'routing a twin change notification failed'));
    }
  }

  private updateClient(ref: IdentityRef, status: 'Connected' | 'Disconnected'): void {
    if (ref.moduleId === EDGE_HUB) return; // the hub never lists itself
    const edge = this.configs.edgeDeviceFor(ref.deviceId, ref.moduleId, '/messages') ?? this.configs.loadOnDemand(ref.deviceId);
    if (edge !== undefined) this.reporter.clientStatus(edge, ref, status);
  }
}
