import type { Clock } from '../clock.js';
import type { Logger } from '../log/create-logger.js';
import { createGroupCommit, type GroupCommit, type HubConnections, type ModuleRef } from '../hub/index.js';
import { RouteQueueStore, type QueuedMessage } from './route-queue-store.js';

export interface StoreAndForwardOptions {
  /** Where `routing.db` lives (usually the hub's state dir). */
  stateDir: string;
  connections: HubConnections;
  clock: Clock;
  logger: Logger;
  /** Messages per delivery batch to one module (default 256). */
  batchSize?: number;
  /** A batch not acknowledged within this is retried later (default 10 s). */
  deliveryTimeoutMs?: number;
  /** How often expired messages are purged (default 5 s). */
  purgeIntervalMs?: number;
  /** First delay before retrying a failed delivery to a ready module (default 50 ms), doubling. */
  retryDelayMs?: number;
  /** Longest retry back-off (default 2 s). */
  maxRetryDelayMs?: number;
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
  /**
   * Bumped when the live deliveries in flight are given up (`expireLive`): their late
   * outcomes no longer count, except that a late PUBACK still removes its message.
   */
  epoch: number;
  /** `performance.now()` of the last PUBACK of a live delivery, or of the first send after none was in flight. */
  progressAt: number;
}

/** Most unacknowledged live deliveries per module before it falls back to draining routing.db. */
const LIVE_WINDOW = 1000;
/** Most unacknowledged deliveries per module while its backlog drains. */
const DRAIN_WINDOW = 1000;
const DEFAULT_MAX_RETRY_DELAY_MS = 2000;
const moduleKey = (r: ModuleRef): string => `${r.deviceId}/${r.moduleId}`;
/** Longest an acknowledged delivery waits for the next write to carry its DELETE (see `deleteLater`). */
const DELETE_DELAY_MS = 50;
/** While a device's queues look full, routing.db is asked for their real size at most this often. */
const FULL_RECHECK_MS = 1000;
/** Bytes one queued message counts for `storeLimits.maxSizeBytes` (as `RouteQueueStore.bytesOf` sums them). */
const queuedBytes = (m: QueuedMessage): number => m.body.length + Buffer.byteLength(JSON.stringify(m.systemProperties)) + Buffer.byteLength(JSON.stringify(m.properties));

/**
 * How full one edge device's queues are: `bytes` is exact when counted from routing.db and grows
 * with every message submitted since, so it stays exact until something is removed (a
 * delivery or a TTL purge, counted by `StoreAndForward.removals`) and is an upper bound after.
 */
interface Usage {
  bytes: number;
  checkedAt: number;
  /** `removals` when `bytes` was last counted. */
  removalsAt: number;
  full: boolean;
}

/**
 * Store-and-forward of module input messages (learn.microsoft.com/azure/iot-edge/offline-capabilities):
 * every routed message is stored first (group commit into routing.db). Then, per target module:
 * - live: the module is ready and has no backlog, so the just-stored message is sent at once
 *   from memory (no read back), at most LIVE_WINDOW unacknowledged;
 * - backlog: otherwise the queue is drained from routing.db in batches, highest priority
 *   first, FIFO within a priority, and the module goes live once the queue is empty.
 * A message leaves routing.db only after the module's PUBACK (at-least-once); expired ones
 * (route TTL, else the store-and-forward TTL) are purged.
 */
export class StoreAndForward {
  private readonly connections: HubConnections;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly queue: RouteQueueStore;
  private readonly group: GroupCommit<QueuedMessage, number>;
  private readonly ready = new Set<string>();
  private readonly pumps = new Map<string, Pump>();
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly liveTimer: NodeJS.Timeout;
  private readonly batchSize: number;
  private readonly deliveryTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private closed = false;
  private queueClosed = false;
  /** Acknowledged deliveries not yet removed from routing.db. */
  private pendingDeletes: number[] = [];
  private readonly usage = new Map<string, Usage>();
  /** Removals from routing.db so far (deliveries and purges): tells whether a `Usage` is still exact. */
  private removals = 0;
  private deleteTimer: NodeJS.Timeout | undefined;

  constructor(options: StoreAndForwardOptions) {
    this.connections = options.connections;
    this.clock = options.clock;
    this.logger = options.logger;
    this.batchSize = options.batchSize ?? 256;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 50;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.queue = new RouteQueueStore(options.stateDir);
    this.group = createGroupCommit((items) => this.storeBatch(items));
    this.purgeTimer = setInterval(() => this.purgeExpired(), options.purgeIntervalMs ?? 5000);
    this.purgeTimer.unref();
    // One timer for every live delivery instead of a timer and a Promise.race per delivery.
    this.liveTimer = setInterval(() => this.expireLive(), Math.max(10, Math.min(1000, this.deliveryTimeoutMs / 4)));
    this.liveTimer.unref();
  }

  /**
   * Stores a message for a module input (batched with the others of this turn); settles once
   * durable. The promise is the batch's own, shared by its messages (no promise per message).
   */
  submit(message: QueuedMessage): Promise<void> {
    if (this.usage.size > 0) {
      const u = this.usage.get(message.deviceId);
      if (u) u.bytes += queuedBytes(message);
    }
    return this.group.join(message);
  }

  /**
   * Whether an edge device's queues hold `maxBytes` or more, so new messages for them are refused
   * — edgeHub's `storeLimits.maxSizeBytes` (Azure/iotedge doc/DbStoreSizeLimits.md): it stops
   * accepting messages while the store is over the limit and accepts again once deliveries or
   * TTL expiry shrink it; nothing stored is dropped to make room. Cheap per message: the
   * estimate only grows with what is stored, and only when it reaches the limit is routing.db
   * asked for the real size (at most once a second while full).
   */
  isFull(deviceId: string, maxBytes: number): boolean {
    const now = this.clock.now();
    let u = this.usage.get(deviceId);
    if (!u) {
      u = { bytes: 0, checkedAt: -Infinity, removalsAt: -1, full: false };
      this.usage.set(deviceId, u);
      this.recount(deviceId, u, now);
    }
    if (u.bytes < maxBytes) return (u.full = false);
    // Over the limit by the count: certain while nothing was removed since; otherwise count again (at most once a second).
    if (u.removalsAt !== this.removals && now - u.checkedAt >= FULL_RECHECK_MS) this.recount(deviceId, u, now);
    else if (u.removalsAt !== this.removals) return u.full;
    u.full = u.bytes >= maxBytes;
    return u.full;
  }

  private recount(deviceId: string, u: Usage, now: number): void {
    this.group.flush();
    this.flushDeletes();
    u.bytes = this.queue.bytesOf(deviceId);
    u.checkedAt = now;
    u.removalsAt = this.removals;
  }

  /** A module subscribed to its inputs: its queue drains now, cancelling any back-off wait. */
  moduleReady(ref: ModuleRef): void {
    this.ready.add(moduleKey(ref));
    const p = this.pumps.get(moduleKey(ref));
    if (p) p.failures = 0;
    this.pump(ref);
  }

  /** A module disconnected: deliveries to it stop. */
  moduleGone(ref: ModuleRef): void {
    const key = moduleKey(ref);
    this.ready.delete(key);
    const p = this.pumps.get(key);
    if (p) p.live = false;
  }

  /** Messages waiting, for one module or in total. */
  depth(ref?: ModuleRef): number {
    this.group.flush();
    this.flushDeletes();
    return this.queue.count(ref);
  }

  /** Writes what is batched, stops timers, closes `routing.db`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.purgeTimer);
    clearInterval(this.liveTimer);
    this.group.flush();
    for (const p of this.pumps.values()) if (p.retry) clearTimeout(p.retry);
    this.flushDeletes();
    this.queueClosed = true;
    this.queue.close();
  }

  /** Group-commit writer: one transaction per event-loop turn, then live sends. */
  private storeBatch(items: QueuedMessage[]): number[] {
    // Acknowledged deliveries are removed in the same transaction: one commit instead of two.
    const delivered = this.pendingDeletes;
    this.pendingDeletes = [];
    if (delivered.length > 0) {
      this.removals += 1;
      this.cancelDeleteTimer();
    }
    let seqs: number[];
    try {
      seqs = this.queue.enqueueMany(items, this.clock.now(), delivered);
    } catch (error) {
      for (const seq of delivered) this.deleteLater(seq); // removed later; the new messages were not stored
      throw error;
    }
    items.forEach((m, i) => this.afterStore(m, seqs[i] as number));
    return seqs;
  }

  private pumpOf(key: string): Pump {
    let p = this.pumps.get(key);
    if (!p) {
      p = { live: false, inflight: 0, draining: false, retry: undefined, failures: 0, epoch: 0, progressAt: 0 };
      this.pumps.set(key, p);
    }
    return p;
  }

  private afterStore(m: QueuedMessage, seq: number): void {
    const key = moduleKey(m);
    const p = this.pumpOf(key);
    if (!p.live || !this.ready.has(key)) return; // stays in routing.db for the next drain
    if (p.inflight >= LIVE_WINDOW) {
      p.live = false; // the receiver is behind: continue from routing.db once in-flight ones settle
      return;
    }
    if (p.inflight === 0) p.progressAt = performance.now();
    p.inflight += 1;
    const epoch = p.epoch;
    // The stored message is the delivery (an InputMessage with its property bag made by the router).
    this.connections.deliverToModuleInput(m, m.inputName, m).then(
      () => {
        this.deleteLater(seq);
        if (p.epoch === epoch) this.liveSettled(m, key, p, undefined);
      },
      (error: unknown) => {
        if (p.epoch === epoch) this.liveSettled(m, key, p, error);
      },
    );
  }

  private liveSettled(ref: ModuleRef, key: string, p: Pump, error: unknown): void {
    if (error === undefined) p.progressAt = performance.now();
    else {
      if (p.live) this.logger.debug({ module: key, err: (error as Error).message }, 'live delivery failed; kept for retry');
      p.live = false;
      p.failures += 1;
    }
    p.inflight -= 1;
    if (p.inflight === 0 && !p.live) this.scheduleDrain({ deviceId: ref.deviceId, moduleId: ref.moduleId }, p);
  }

  /**
   * Live deliveries of a module that acknowledged none of them for `deliveryTimeoutMs` are
   * given up: the module goes back to draining routing.db, where they still are (a PUBACK that
   * comes late still removes its message).
   */
  private expireLive(): void {
    const now = performance.now();
    for (const [key, p] of this.pumps) {
      if (p.inflight === 0 || now - p.progressAt < this.deliveryTimeoutMs) continue;
      this.logger.debug({ module: key, inflight: p.inflight, timeoutMs: this.deliveryTimeoutMs }, 'live deliveries not acknowledged in time; kept for retry');
      p.epoch += 1;
      p.inflight = 0;
      p.live = false;
      p.failures += 1;
      const slash = key.indexOf('/'); // device ids have no `/` (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry)
      this.scheduleDrain({ deviceId: key.slice(0, slash), moduleId: key.slice(slash + 1) }, p);
    }
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

  /**
   * Acknowledged deliveries leave routing.db with the next write (the same transaction, one
   * commit instead of two), or DELETE_DELAY_MS later when no write comes. Before anything reads
   * routing.db (a drain, a depth, a size recount, close) they are removed first. A delete lost
   * to a killed hub means the message is delivered again: at-least-once, as before.
   */
  private deleteLater(seq: number): void {
    this.pendingDeletes.push(seq);
    if (this.deleteTimer) return;
    this.deleteTimer = setTimeout(() => this.flushDeletes(), DELETE_DELAY_MS);
    this.deleteTimer.unref();
  }

  private flushDeletes(): void {
    this.cancelDeleteTimer();
    if (this.pendingDeletes.length === 0 || this.queueClosed) return;
    const seqs = this.pendingDeletes;
    this.pendingDeletes = [];
    this.removals += 1;
    try {
      this.queue.remove(seqs);
    } catch (error) {
      this.logger.error({ err: error }, 'removing delivered messages failed; they may be delivered again');
    }
  }

  private cancelDeleteTimer(): void {
    if (this.deleteTimer === undefined) return;
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
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
      if (n > 0) this.removals += 1;
      if (n > 0) this.logger.info({ dropped: n }, 'expired messages dropped from store-and-forward queues');
    } catch (error) {
      this.logger.error({ err: error }, 'purging expired messages failed');
    }
  }
}
