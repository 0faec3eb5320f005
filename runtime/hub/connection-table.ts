import type { Clock } from '../clock.js';
import type { Logger } from '../log/create-logger.js';
import { HubError } from './errors.js';
import { clientIdOf, type IdentityRef } from './identity-id.js';
import { Listeners } from './store/listeners.js';
import type { Session } from './session.js';
import type { ConnectionEvent, ConnectionInfo, HubConnections, InputMessage, InputsSubscribedEvent, ModuleRef } from './hub-types.js';

/** Longest a Node timer can wait (~24.8 days); later expiries re-arm until reached. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The live connections of the hub, whatever protocol they came in on: one session per client
 * id, SAS-expiry timers, connect/disconnect and inputs-subscribed events, and the delivery of
 * module input messages. Routing talks to the hub through this table only (`HubConnections`),
 * so it can be created — and routing wired to it — before any listener accepts a client.
 */
export class ConnectionTable implements HubConnections {
  private readonly live = new Map<string, Session>();
  private readonly expiry = new Map<Session, NodeJS.Timeout>();
  private readonly connectionEvents: Listeners<ConnectionEvent>;
  private readonly inputsSubscribed: Listeners<InputsSubscribedEvent>;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: { clock: Clock; logger: Logger }) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.connectionEvents = new Listeners((e) => this.logger.error({ err: e }, 'connection listener failed'));
    this.inputsSubscribed = new Listeners((e) => this.logger.error({ err: e }, 'inputs-subscribed listener failed'));
  }

  /**
   * A session completed its CONNECT: it becomes the live one for its client id, its SAS expiry
   * is armed (IoT Hub closes a connection whose token expires; the SDK renews and reconnects —
   * learn.microsoft.com/azure/iot-hub/iot-hub-dev-guide-sas), and `Connected` is emitted.
   */
  add(session: Session): void {
    session.connectedTimeUtc = this.isoNow();
    this.armExpiry(session);
    this.live.set(session.clientId, session);
    this.logger.info({ clientId: session.clientId }, 'client connected');
    this.connectionEvents.emit({ clientId: session.clientId, deviceId: session.identity.deviceId, moduleId: session.identity.moduleId, status: 'Connected', timeUtc: session.connectedTimeUtc });
  }

  /** A session's connection closed: `Disconnected` is emitted when it was the live one. */
  remove(session: Session): void {
    const timer = this.expiry.get(session);
    if (timer) clearTimeout(timer);
    this.expiry.delete(session);
    if (this.live.get(session.clientId) !== session) return;
    this.live.delete(session.clientId);
    this.logger.info({ clientId: session.clientId }, 'client disconnected');
    this.connectionEvents.emit({ clientId: session.clientId, deviceId: session.identity.deviceId, moduleId: session.identity.moduleId, status: 'Disconnected', timeUtc: this.isoNow() });
  }

  /** Whether `session` is the live session of its client id (a replaced one is not). */
  isLive(session: Session): boolean {
    return this.live.get(session.clientId) === session;
  }

  get(clientId: string): Session | undefined {
    return this.live.get(clientId);
  }

  sessions(): Session[] {
    return [...this.live.values()];
  }

  /** A module session can now receive input messages (see `InputsSubscribedEvent`). */
  inputsReady(session: Session): void {
    const { deviceId, moduleId } = session.identity;
    if (!moduleId) return;
    this.inputsSubscribed.emit({ clientId: session.clientId, deviceId, moduleId });
  }

  /** Closes every session of an identity (a device's modules included). */
  closeIdentity(ref: IdentityRef, reason: string): void {
    for (const s of this.sessions()) {
      if (s.identity.deviceId === ref.deviceId && (!ref.moduleId || s.identity.moduleId === ref.moduleId)) {
        this.logger.info({ clientId: s.clientId }, reason);
        s.close();
      }
    }
  }

  isConnected(ref: IdentityRef): boolean {
    return this.live.has(clientIdOf(ref));
  }

  connections(): ConnectionInfo[] {
    return this.sessions().map((s) => ({
      clientId: s.clientId,
      deviceId: s.identity.deviceId,
      moduleId: s.identity.moduleId,
      connectedTimeUtc: s.connectedTimeUtc ?? '',
      listensForInputs: s.listens('inputs'),
    }));
  }

  onConnectionChanged(listener: (event: ConnectionEvent) => void): () => void {
    return this.connectionEvents.add(listener);
  }

  onInputsSubscribed(listener: (event: InputsSubscribedEvent) => void): () => void {
    return this.inputsSubscribed.add(listener);
  }

  deliverToModuleInput(target: ModuleRef, inputName: string, message: InputMessage): Promise<void> {
    const session = this.live.get(clientIdOf(target));
    const name = `${target.deviceId}/${target.moduleId}`;
    if (!session) return Promise.reject(new HubError('HUB_NOT_CONNECTED', `module ${name} is not connected`));
    if (!session.listens('inputs')) return Promise.reject(new HubError('HUB_NOT_CONNECTED', `module ${name} does not listen for input messages`));
    if (!/^[^/#+]+$/.test(inputName)) return Promise.reject(new HubError('HUB_INVALID_ID', `invalid input name ${JSON.stringify(inputName)}`));
    return session.input(inputName, message);
  }

  private armExpiry(session: Session): void {
    const left = session.expiresAtMs - this.clock.now();
    const timer = setTimeout(
      () => {
        if (this.clock.now() < session.expiresAtMs) return this.armExpiry(session);
        this.logger.info({ clientId: session.clientId }, 'SAS token expired; closing the connection');
        session.close();
      },
      Math.min(Math.max(left, 0), MAX_TIMER_MS),
    );
    timer.unref();
    this.expiry.set(session, timer);
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/**
 * QoS 1 packet identifiers of one connection (MQTT 3.1.1 §2.3.1: non-zero 16-bit, unique
 * among the unacknowledged ones) and the matching of each PUBACK (§3.4) to its delivery.
 */
export class PacketIds {
  private next = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** At most this many deliveries wait for their PUBACK at once. */
  static readonly LIMIT = 65_000;

  get size(): number {
    return this.pending.size;
  }

  /** A free id for a delivery settled by `acknowledge(id)` or `fail`. */
  allocate(settle: { resolve: () => void; reject: (e: Error) => void }): number {
    let id = this.next;
    while (this.pending.has(id)) id = (id % 65535) + 1;
    this.next = (id % 65535) + 1;
    this.pending.set(id, settle);
    return id;
  }

  /** The client acknowledged `id`; false when nothing waited for it. */
  acknowledge(id: number): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    p.resolve();
    return true;
  }

  /** The delivery with `id` failed before its acknowledgement. */
  fail(id: number, error: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.reject(error);
  }

  /** The connection is gone: every waiting delivery fails. */
  failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
