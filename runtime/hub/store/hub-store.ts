import type { Logger } from '../../log/create-logger.js';
import { systemClock, type Clock } from '../../clock.js';
import { openDb, TxRunner, type Db } from './sqlite-db.js';
import { IdentityRegistry } from './identity-registry.js';
import { TwinStore } from './twin-store.js';
import { MessageStore } from './message-store.js';
import { C2dQueue } from './c2d-queue.js';
import { SessionStore } from './session-store.js';
import { ConfigurationStore } from './configuration-store.js';
import type { IdentityRef } from '../identity-id.js';

export interface HubStoreOptions {
  stateDir: string;
  clock?: Clock;
  logger?: Logger;
  /** Bound of the telemetry store (oldest dropped first); default 100,000 messages. */
  maxMessages?: number;
  /**
   * Whether an identity is connected now, for the `connectionState` of twin reads (the
   * composition root passes the hub's connection table; default: always `Disconnected`).
   */
  connectionState?: (ref: IdentityRef) => boolean;
}

/**
 * Everything the hub persists, usable without a running hub: the CLI (`identity`,
 * `connection-string`), the service API and tests open the same SQLite file. Several
 * processes may open it at once (WAL + busy timeout).
 */
export interface HubStore {
  readonly stateDir: string;
  readonly identities: IdentityRegistry;
  readonly twins: TwinStore;
  readonly messages: MessageStore;
  readonly c2d: C2dQueue;
  /** MQTT session subscriptions of persistent-session clients. */
  readonly sessions: SessionStore;
  /** IoT Hub configurations (automatic and layered deployments) and their per-device state. */
  readonly configurations: ConfigurationStore;
  /** Runs `fn` in one transaction; change events fire after the commit. */
  transaction<T>(fn: () => T): T;
  /** The raw database, for adapters in other areas (e.g. routing's queues) that keep their tables next to the hub's. */
  readonly db: Db;
  close(): void;
}

/** Opens the hub store in `stateDir` (created and migrated when needed). */
export function openHubStore(options: HubStoreOptions): HubStore {
  const clock = options.clock ?? systemClock;
  const db = openDb(options.stateDir);
  const tx = new TxRunner(db);
  const onListenerError = (error: unknown) => options.logger?.error({ err: error }, 'a hub store listener failed');
  // eslint-disable-next-line prefer-const
  let twins: TwinStore;
  // eslint-disable-next-line prefer-const
  let c2d: C2dQueue;
  // eslint-disable-next-line prefer-const
  let configurations: ConfigurationStore;
  const sessions = new SessionStore(db);
  const identities = new IdentityRegistry(db, tx, clock, {
    created: (ref) => twins.create(ref),
    deleted: (deviceId, moduleId) => {
      twins.remove(deviceId, moduleId);
      sessions.removeIdentity(deviceId, moduleId);
      if (!moduleId) c2d.removeDevice(deviceId);
      if (!moduleId) configurations.removeDevice(deviceId);
    },
  });
  const connected = options.connectionState;
  twins = new TwinStore(db, tx, clock, onListenerError, connected ? (ref) => (connected(ref) ? 'Connected' : 'Disconnected') : undefined);
  c2d = new C2dQueue(db, tx, clock, onListenerError);
  configurations = new ConfigurationStore(db, tx, clock, onListenerError);
  const messages = new MessageStore(db, tx, options.maxMessages ?? 100_000, onListenerError);
  identities.servicePolicy();
  let closed = false;
  return {
    stateDir: options.stateDir,
    identities,
    twins,
    messages,
    c2d,
    sessions,
    configurations,
    db,
    transaction: (fn) => tx.run(fn),
    close() {
      if (closed) return;
      closed = true;
      messages.flush();
      db.close();
    },
  };
}
