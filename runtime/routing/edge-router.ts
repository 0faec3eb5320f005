import { systemClock, type Clock } from '../clock.js';
import { EdgemuError } from '../errors.js';
import { silentLogger, type Logger } from '../log/create-logger.js';
import { createGroupCommit, clientIdOf, type GroupCommit, type HubConnections, type HubMessage, type HubStore, type IdentityRef, type ModuleRef } from '../hub/index.js';
import { compileEdgeHubDesired, type CompiledRoute } from './edge-hub-config.js';
import {
  EDGE_HUB_REPORTED_SCHEMA_VERSION,
  EDGE_HUB_VERSION,
  desiredStatus,
  encodeClientKey,
  type ClientStatus,
} from './edge-hub-reported.js';
import { inputDeliveryProperties, toRoutingMessage } from './hub-message-mapping.js';
import { matchRoutes, type RouteTarget } from './match-routes.js';
import { sourceMatches } from './routing-message.js';
import { RouteQueueStore, type QueuedMessage } from './route-queue-store.js';

/** Where `$upstream` messages are stored (the hub's message store: what `edgemu monitor` reads). */
export interface UpstreamStore {
  enqueue(message: HubMessage, endpoint: string): Promise<unknown>;
}

export interface EdgeRouterOptions {
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
  /** Messages per delivery batch to one module (default 256). */
  batchSize?: number;
  /** A batch not acknowledged within this is retried later (default 10 s). */
  deliveryTimeoutMs?: number;
  /** How often expired messages are purged (default 5 s). */
  purgeIntervalMs?: number;
  /**
   * First delay before retrying a failed delivery to a connected module (default 50 ms),
   * doubling up to 2 s. A module that just connected has usually not subscribed to its inputs
   * yet; the hub refuses deliveries until it has (the SDK would drop them).
   */
  retryDelayMs?: number;
  /** Longest retry back-off (default 2 s). */
  maxRetryDelayMs?: number;
}

interface EdgeDeviceState {
  /** Undefined until a valid `$edgeHub` configuration was applied. */
  routes: CompiledRoute[] | undefined;
  clients: Map<string, ClientStatus & { isModule: boolean }>;
}

interface Pump {
  /** Ready with an empty backlog: new messages are sent straight after they are stored. */
  live: boolean;
  /** Live deliveries not yet acknowledged. */
  inflight: number;
  /** A backlog drain is running. */
  draining: boolean;
  retry: NodeJS.Timeout | undefined;
  /** Consecutive failed attempts (for back-off). */
  failures: number;
}

/** Most unacknowledged live deliveries per module before it falls back to draining routing.db. */
const LIVE_WINDOW = 1000;
/** Most unacknowledged deliveries per module while its backlog drains. */
const DRAIN_WINDOW = 1000;
const DEFAULT_MAX_RETRY_DELAY_MS = 2000;

const EDGE_HUB = '$edgeHub';
const TWIN_CHANGES = '/twinChangeNotifications';
const moduleKey = (r: ModuleRef): string => `${r.deviceId}/${r.moduleId}`;

/**
 * edgeHub's routing inside the edgemu hub (issue 6, iotedge-protocol.md §2, §3.5):
 * - watches every edge device's `$edgeHub` desired twin, compiles the route set (refused as a
 *   whole when any route is invalid: old routes stay, `lastDesiredStatus` 400), applies
 *   valid changes at once;
 * - `route(message)` resolves only after every target stored the message durably (module
 *   inputs in `routing.db`, `$upstream` in the hub's message store) — the hub sends the
 *   sender's PUBACK after that;
 * - drains each module's queue in priority then FIFO order while the module is ready
 *   (connected and subscribed to its inputs), deleting a message only after the module
 *   acknowledged it; expired messages (route TTL, else store-and-forward TTL) are dropped;
 * - reports `schemaVersion`, `lastDesiredVersion`, `lastDesiredStatus` and `clients` on `$edgeHub`.
 *
 * Devices without `$edgeHub` (plain IoT Hub devices) and edge devices that have not been given
 * a configuration yet keep IoT Hub's default: telemetry goes to `$upstream`.
 */
export class EdgeRouter {
  private readonly store: HubStore;
  private readonly connections: HubConnections;
  private readonly upstream: UpstreamStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly queue: RouteQueueStore;
  private readonly group: GroupCommit<QueuedMessage, number>;
  private readonly devices = new Map<string, EdgeDeviceState>();
  private readonly ready = new Set<string>();
  private readonly pumps = new Map<string, Pump>();
  private readonly pendingReports = new Map<string, Record<string, unknown>>();
  private reportScheduled = false;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly batchSize: number;
  private readonly deliveryTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private closed = false;
  private queueClosed = false;
  /** Acknowledged deliveries not yet removed from routing.db. */
  private pendingDeletes: number[] = [];
  private deleteScheduled = false;

  constructor(options: EdgeRouterOptions) {
    this.store = options.store;
    this.connections = options.connections;
    this.upstream = options.upstream ?? options.store.messages;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'router' });
    this.batchSize = options.batchSize ?? 256;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 50;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.queue = new RouteQueueStore(options.stateDir);
    this.group = createGroupCommit((items) => this.storeBatch(items));
    this.unsubscribe.push(
      this.store.twins.onDesiredChanged((change) => {
        if (change.ref.moduleId === EDGE_HUB) this.applyDesired(change.ref.deviceId);
      }),
      this.store.twins.onReportedChanged((change) => {
        if (change.ref.moduleId !== EDGE_HUB) this.routeTwinChange(change.ref, change.patch, change.version);
      }),
    );
    for (const identity of this.store.identities.list()) {
      if (identity.moduleId === EDGE_HUB) this.loadDevice(identity.deviceId, true);
    }
    // A module is tried only once the hub signals its inputs subscription (edgeHub delivers
    // only then; the SDK would drop messages sent before).
    this.unsubscribe.push(
      this.connections.onInputsSubscribed((e) => this.inputsReady({ deviceId: e.deviceId, moduleId: e.moduleId })),
      this.connections.onConnectionChanged((e) => {
        const ref = { deviceId: e.deviceId, moduleId: e.moduleId };
        if (e.status === 'Connected') this.clientConnected(ref);
        else this.clientDisconnected(ref);
      }),
    );
    for (const c of this.connections.connections()) {
      this.clientConnected(c);
      if (c.moduleId && c.listensForInputs) this.inputsReady({ deviceId: c.deviceId, moduleId: c.moduleId });
    }
    this.purgeTimer = setInterval(() => this.purgeExpired(), options.purgeIntervalMs ?? 5000);
    this.purgeTimer.unref();
  }

  /**
   * Routes one message from a module or device. Resolves once it is durably stored for every
   * target (or dropped because no route matches, as edgeHub does); rejects when storing failed,
   * in which case the sender must not get its PUBACK.
   */
  async route(message: HubMessage): Promise<void> {
    // After close the sender gets no PUBACK, so the SDK sends again to the next hub.
    if (this.closed) throw new EdgemuError('ROUTER_CLOSED', 'the router is shut down; message not accepted');
    const state = this.routingStateFor(message.deviceId, message.moduleId, '/messages');
    if (state?.routes === undefined) {
      await this.upstream.enqueue(message, '$upstream');
      return;
    }
    const targets = matchRoutes(state.routes, toRoutingMessage(message));
    if (targets.length === 0) {
      this.logger.debug({ deviceId: message.deviceId, moduleId: message.moduleId, output: message.outputName }, 'no route matches; message dropped');
      return;
    }
    const edgeDeviceId = this.edgeDeviceFor(message.deviceId, message.moduleId, '/messages') as string;
    await Promise.all(this.storeForTargets(message, targets, edgeDeviceId));
  }

  /**
   * Stores a routed message for its targets: once in `$upstream` however many routes send it
   * there, and once per (module input, priority, TTL) in routing.db (group commit). Returns
   * the pending writes.
   */
  private storeForTargets(message: HubMessage, targets: readonly RouteTarget[], edgeDeviceId: string, extraSystem: Record<string, string> = {}): Promise<unknown>[] {
    const now = this.clock.now();
    const writes: Promise<unknown>[] = [];
    let upstream = false;
    let delivery: ReturnType<typeof inputDeliveryProperties> | undefined;
    for (const t of targets) {
      if (t.sink.kind === 'upstream') {
        if (!upstream) writes.push(this.upstream.enqueue(message, '$upstream'));
        upstream = true;
        continue;
      }
      delivery ??= inputDeliveryProperties(message);
      writes.push(
        this.group.submit({
          deviceId: edgeDeviceId,
          moduleId: t.sink.moduleId,
          inputName: t.sink.inputName,
          priority: t.priority,
          expiresAt: t.ttlSecs === undefined ? undefined : now + t.ttlSecs * 1000,
          body: message.body,
          systemProperties: { ...delivery.systemProperties, ...extraSystem },
          properties: delivery.properties,
        }),
      );
    }
    return writes;
  }

  /** A module (or device) connected: reported in `clients`. */
  clientConnected(ref: IdentityRef): void {
    this.updateClient(ref, 'Connected');
  }

  /** A module (or device) disconnected: deliveries to it stop; reported in `clients`. */
  clientDisconnected(ref: IdentityRef): void {
    if (ref.moduleId) {
      const key = moduleKey(ref as ModuleRef);
      this.ready.delete(key);
      const p = this.pumps.get(key);
      if (p) p.live = false;
    }
    this.updateClient(ref, 'Disconnected');
  }

  /**
   * A module subscribed to its inputs (edgeHub delivers only then, otherwise the SDK would
   * drop the messages): its queue starts draining now, cancelling any back-off wait.
   */
  inputsReady(ref: ModuleRef): void {
    this.ready.add(moduleKey(ref));
    const p = this.pumps.get(moduleKey(ref));
    if (p) p.failures = 0;
    this.pump(ref);
  }

  /** Messages waiting in store-and-forward, for one module or in total. */
  queueDepth(ref?: ModuleRef): number {
    this.group.flush();
    return this.queue.count(ref);
  }

  /** The routes in force for an edge device (undefined before its first valid configuration). */
  routesOf(deviceId: string): readonly CompiledRoute[] | undefined {
    return this.devices.get(deviceId)?.routes;
  }

  /** Stops timers and listeners, writes what is batched, closes `routing.db`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.purgeTimer);
    for (const u of this.unsubscribe) u();
    this.group.flush();
    for (const p of this.pumps.values()) if (p.retry) clearTimeout(p.retry);
    this.flushDeletes();
    this.flushReports();
    this.queueClosed = true;
    this.queue.close();
  }

  // ---- configuration -------------------------------------------------------------------------

  private loadDevice(deviceId: string, atStart: boolean): EdgeDeviceState {
    let state = this.devices.get(deviceId);
    if (state) return state;
    state = { routes: undefined, clients: new Map() };
    this.devices.set(deviceId, state);
    // edgeHub clears the clients map on start (iotedge-protocol.md §3.5).
    this.report(deviceId, { schemaVersion: EDGE_HUB_REPORTED_SCHEMA_VERSION, version: { ...EDGE_HUB_VERSION }, ...(atStart ? { clients: null } : {}) });
    this.applyDesired(deviceId);
    return state;
  }

  private applyDesired(deviceId: string): void {
    const state = this.devices.get(deviceId);
    if (state === undefined) {
      this.loadDevice(deviceId, false); // applies the desired section itself
      return;
    }
    const view = this.store.twins.getDeviceView({ deviceId, moduleId: EDGE_HUB });
    if (!view) return;
    const desiredVersion = view.desired.$version;
    const result = compileEdgeHubDesired(view.desired);
    if (result.ok === 'empty') {
      state.routes = undefined;
      this.report(deviceId, { lastDesiredVersion: desiredVersion });
      return;
    }
    if (result.ok === false) {
      this.logger.warn({ deviceId, desiredVersion, description: result.description }, '$edgeHub configuration refused; previous routes stay in force');
      this.report(deviceId, { lastDesiredVersion: desiredVersion, lastDesiredStatus: desiredStatus(false, result.description) });
      return;
    }
    state.routes = result.config.routes;
    this.logger.info({ deviceId, desiredVersion, routes: state.routes.map((r) => r.name) }, '$edgeHub routes applied');
    this.report(deviceId, { lastDesiredVersion: desiredVersion, lastDesiredStatus: desiredStatus(true) });
  }

  /**
   * The edge device whose routes apply to a sender. A module belongs to its own device. A
   * device that is not an edge device is a leaf of an edge device only when that is
   * unambiguous: edgemu has no parent/child link (IoT Hub's device scope), so leaf traffic goes
   * through the routes of the one edge device whose route set has a source taking it
   * (`/*`, `/messages/*`, `/twinChangeNotifications`, …). Otherwise the device is a plain IoT
   * Hub device and its telemetry goes to `$upstream` as IoT Hub would store it.
   */
  private edgeDeviceFor(deviceId: string, moduleId: string | undefined, sourcePath: string): string | undefined {
    if (this.devices.has(deviceId)) return deviceId;
    if (moduleId) return undefined;
    let found: string | undefined;
    for (const [edge, state] of this.devices) {
      if (!state.routes?.some((r) => sourceMatches(r.parsed.sourcePrefix, sourcePath))) continue;
      if (found !== undefined) return undefined; // more than one candidate gateway: ambiguous
      found = edge;
    }
    return found;
  }

  private routingStateFor(deviceId: string, moduleId: string | undefined, sourcePath: string): EdgeDeviceState | undefined {
    const edge = this.edgeDeviceFor(deviceId, moduleId, sourcePath);
    return edge === undefined ? undefined : this.devices.get(edge);
  }

  /** A client's reported-property patch, routed as `/twinChangeNotifications` (iotedge-protocol.md §7.5). */
  private routeTwinChange(ref: IdentityRef, patch: Record<string, unknown>, version: number): void {
    const state = this.routingStateFor(ref.deviceId, ref.moduleId, TWIN_CHANGES);
    if (state?.routes === undefined || this.closed) return;
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
    const targets = matchRoutes(state.routes, routing);
    const edgeDeviceId = this.edgeDeviceFor(ref.deviceId, ref.moduleId, TWIN_CHANGES) as string;
    for (const write of this.storeForTargets(message, targets, edgeDeviceId, { messageType: 'twinChangeNotification' })) {
      write.catch((error: unknown) => this.logger.error({ err: error }, 'routing a twin change notification failed'));
    }
  }

  // ---- store-and-forward ---------------------------------------------------------------------
  //
  // Every routed message is stored first (group commit). Then, per target module:
  // - live: the module is ready and has no backlog, so the just-stored message is sent at once
  //   from memory (no read back), at most LIVE_WINDOW unacknowledged;
  // - backlog: otherwise the queue is drained from routing.db in batches, highest priority
  //   first, FIFO within a priority, and the module goes live once the queue is empty.
  // A message leaves routing.db only after the module's PUBACK (at-least-once).

  /** Group-commit writer: one transaction per event-loop turn, then live sends. */
  private storeBatch(items: QueuedMessage[]): number[] {
    // Acknowledged deliveries are removed in the same transaction: one commit instead of two.
    const delivered = this.pendingDeletes;
    this.pendingDeletes = [];
    let seqs: number[];
    try {
      seqs = this.queue.enqueueMany(items, this.clock.now(), delivered);
    } catch (error) {
      this.pendingDeletes.push(...delivered); // removed later; the new messages were not stored
      throw error;
    }
    items.forEach((m, i) => this.afterStore(m, seqs[i] as number));
    return seqs;
  }

  private pumpOf(key: string): Pump {
    let p = this.pumps.get(key);
    if (!p) {
      p = { live: false, inflight: 0, draining: false, retry: undefined, failures: 0 };
      this.pumps.set(key, p);
    }
    return p;
  }

  private afterStore(m: QueuedMessage, seq: number): void {
    const ref = { deviceId: m.deviceId, moduleId: m.moduleId };
    const key = moduleKey(ref);
    const p = this.pumpOf(key);
    if (!p.live || !this.ready.has(key)) return; // stays in routing.db for the next drain
    if (p.inflight >= LIVE_WINDOW) {
      p.live = false; // the receiver is behind: continue from routing.db once in-flight ones settle
      return;
    }
    p.inflight += 1;
    this.withTimeout(this.connections.deliverToModuleInput(ref, m.inputName, { body: m.body, systemProperties: m.systemProperties, properties: m.properties }), key)
      .then(
        () => this.deleteLater(seq),
        (error: unknown) => {
          if (p.live) this.logger.debug({ module: key, err: (error as Error).message }, 'live delivery failed; kept for retry');
          p.live = false;
          p.failures += 1;
        },
      )
      .finally(() => {
        p.inflight -= 1;
        if (p.inflight === 0 && !p.live) this.scheduleDrain(ref, p);
      });
  }

  /** Starts draining a module's backlog when it is ready and nothing is in flight. */
  private pump(ref: ModuleRef): void {
    const key = moduleKey(ref);
    const p = this.pumpOf(key);
    if (this.closed || !this.ready.has(key) || p.draining || p.live || p.inflight > 0) return;
    if (p.retry) {
      clearTimeout(p.retry);
      p.retry = undefined;
    }
    p.draining = true;
    void this.drain(ref, key, p)
      .catch((error: unknown) => {
        p.failures += 1;
        this.logger.error({ err: error, module: key }, 'draining a module queue failed');
      })
      .finally(() => {
        p.draining = false;
        if (!p.live) this.scheduleDrain(ref, p);
      });
  }

  /** Drains now, or after a back-off when the last attempt failed. */
  private scheduleDrain(ref: ModuleRef, p: Pump): void {
    if (this.closed || !this.ready.has(moduleKey(ref)) || p.retry) return;
    if (p.failures === 0) {
      this.pump(ref);
      return;
    }
    const delay = Math.min(this.retryDelayMs * 2 ** (p.failures - 1), this.maxRetryDelayMs);
    p.retry = setTimeout(() => {
      p.retry = undefined;
      this.pump(ref);
    }, delay);
    p.retry.unref();
  }

  /**
   * Drains a module's backlog from routing.db, keeping up to DRAIN_WINDOW deliveries in flight:
   * rows are read in (priority, seq) order after a cursor, so reading continues while earlier
   * deliveries await their PUBACK. When nothing is in flight the cursor starts again from the
   * front (after removing what was acknowledged), which also picks up newer higher-priority
   * messages. An empty read with nothing in flight switches the module to live delivery.
   */
  private async drain(ref: ModuleRef, key: string, pump: Pump): Promise<void> {
    let cursor: { priority: number; seq: number } | undefined;
    let inflight = 0;
    let failure: unknown;
    let failed = 0;
    let delivered = 0;
    let wake: (() => void) | undefined;
    this.flushDeletes(); // acknowledged live deliveries must not be read again
    for (;;) {
      if (this.closed) return;
      const stop = !this.ready.has(key) || failure !== undefined;
      if (!stop) {
        while (inflight < DRAIN_WINDOW) {
          const rows = this.queue.next(ref.deviceId, ref.moduleId, this.clock.now(), Math.min(this.batchSize, DRAIN_WINDOW - inflight), cursor);
          if (rows.length === 0) break;
          for (const m of rows) {
            cursor = { priority: m.priority, seq: m.seq };
            inflight += 1;
            this.withTimeout(this.connections.deliverToModuleInput(ref, m.inputName, { body: m.body, systemProperties: m.systemProperties, properties: m.properties }), key)
              .then(
                () => {
                  delivered += 1;
                  this.deleteLater(m.seq);
                },
                (error: unknown) => {
                  failed += 1;
                  failure ??= error;
                },
              )
              .finally(() => {
                inflight -= 1;
                if (wake && (inflight === 0 || inflight <= DRAIN_WINDOW / 2)) {
                  const w = wake;
                  wake = undefined;
                  w();
                }
              });
          }
        }
      }
      if (inflight === 0) {
        if (stop) {
          if (failure !== undefined) {
            pump.failures += 1;
            // Once per failure streak at warn (a module that never subscribes to inputs retries every 2 s).
            const log = pump.failures === 4 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
            log({ module: key, err: (failure as Error).message ?? failure, delivered, failed }, 'delivery to module input failed; kept for retry');
          }
          return;
        }
        // Nothing in flight: start again from the front of the queue.
        this.flushDeletes();
        cursor = undefined;
        if (this.queue.next(ref.deviceId, ref.moduleId, this.clock.now(), 1).length === 0) {
          // Synchronously after an empty read: every later store is sent live.
          pump.live = true;
          pump.failures = 0;
          return;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  /** Acknowledged live deliveries leave routing.db with the next write, or within one event-loop turn. */
  private deleteLater(seq: number): void {
    this.pendingDeletes.push(seq);
    if (this.deleteScheduled) return;
    this.deleteScheduled = true;
    setImmediate(() => this.flushDeletes());
  }

  private flushDeletes(): void {
    this.deleteScheduled = false;
    if (this.pendingDeletes.length === 0 || this.queueClosed) return;
    const seqs = this.pendingDeletes;
    this.pendingDeletes = [];
    try {
      this.queue.remove(seqs);
    } catch (error) {
      this.logger.error({ err: error }, 'removing delivered messages failed; they may be delivered again');
    }
  }

  private withTimeout(delivery: Promise<void>, key: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`module ${key} did not acknowledge within ${this.deliveryTimeoutMs} ms`)), this.deliveryTimeoutMs);
      timer.unref();
    });
    return Promise.race([delivery, timeout]).finally(() => clearTimeout(timer));
  }

  private purgeExpired(): void {
    if (this.closed) return;
    try {
      const n = this.queue.purgeExpired(this.clock.now());
      if (n > 0) this.logger.info({ dropped: n }, 'expired messages dropped from store-and-forward queues');
    } catch (error) {
      this.logger.error({ err: error }, 'purging expired messages failed');
    }
  }

  // ---- reported properties -------------------------------------------------------------------

  private updateClient(ref: IdentityRef, status: 'Connected' | 'Disconnected'): void {
    if (ref.moduleId === EDGE_HUB) return; // the hub never lists itself
    const edge = this.edgeDeviceFor(ref.deviceId, ref.moduleId, '/messages') ?? this.edgeDeviceOnDemand(ref.deviceId);
    if (edge === undefined) return;
    const state = this.devices.get(edge) as EdgeDeviceState;
    const clientId = clientIdOf(ref);
    const key = encodeClientKey(clientId);
    const now = new Date(this.clock.now()).toISOString();
    const previous = state.clients.get(key);
    const isModule = Boolean(ref.moduleId);
    if (status === 'Disconnected' && !isModule) {
      // Leaf-device disconnect removes its entry (iotedge-protocol.md §3.5).
      state.clients.delete(key);
      this.report(edge, { clients: { [key]: null } });
      return;
    }
    const entry: ClientStatus & { isModule: boolean } = {
      isModule,
      status,
      ...(previous?.lastConnectedTimeUtc ? { lastConnectedTimeUtc: previous.lastConnectedTimeUtc } : {}),
      ...(previous?.lastDisconnectedTimeUtc ? { lastDisconnectedTimeUtc: previous.lastDisconnectedTimeUtc } : {}),
      ...(status === 'Connected' ? { lastConnectedTimeUtc: now } : { lastDisconnectedTimeUtc: now }),
    };
    state.clients.set(key, entry);
    const { isModule: _ignored, ...reported } = entry;
    this.report(edge, { clients: { [key]: reported } });
  }

  /** An edge device created after the router started shows up on its first client event. */
  private edgeDeviceOnDemand(deviceId: string): string | undefined {
    if (!this.store.identities.get({ deviceId, moduleId: EDGE_HUB })) return undefined;
    this.loadDevice(deviceId, false);
    return deviceId;
  }

  /** Merges a patch into the pending report of a device; written on the next turn (coalesced). */
  private report(deviceId: string, patch: Record<string, unknown>): void {
    // `clients: null` (clear) followed by entries cannot be one merge patch: write the clear first.
    if (this.pendingReports.get(deviceId)?.clients === null && typeof patch.clients === 'object' && patch.clients !== null) this.flushReports();
    const pending = this.pendingReports.get(deviceId) ?? {};
    for (const [k, v] of Object.entries(patch)) {
      const prev = pending[k];
      pending[k] =
        k === 'clients' && v !== null && typeof prev === 'object' && prev !== null ? { ...(prev as Record<string, unknown>), ...(v as Record<string, unknown>) } : v;
    }
    this.pendingReports.set(deviceId, pending);
    if (!this.reportScheduled && !this.closed) {
      this.reportScheduled = true;
      setImmediate(() => this.flushReports());
    }
  }

  private flushReports(): void {
    this.reportScheduled = false;
    const reports = [...this.pendingReports];
    this.pendingReports.clear();
    for (const [deviceId, patch] of reports) {
      try {
        this.store.twins.patchReported({ deviceId, moduleId: EDGE_HUB }, patch);
      } catch (error) {
        this.logger.warn({ err: error, deviceId }, 'cannot write $edgeHub reported properties');
      }
    }
  }
}
