import rhea, { type Connection, type Delivery, type EventContext, type Receiver, type Sender } from 'rhea';
import type { HandlerContext } from '../handlers/handler-context.js';
import { deliverC2d } from '../handlers/c2d-delivery.js';
import { clientIdOf, type IdentityRef } from '../identity-id.js';
import type { AuthContext } from '../auth.js';
import type { PolicyTokenContext } from '../policy-token.js';
import type { AmqpWireMessage } from './amqp-message.js';
import { AmqpSession } from './amqp-session.js';
import { answerPutToken, type CbsClaim } from './cbs-auth.js';
import { onMethodResponse, onTelemetry, onTwinRequest } from './device-links.js';
import { ConnectionBytes, DEFAULT_CREDIT_LIMITS, IncomingCredit, type CreditLimits } from './incoming-credit.js';
import { decideLink, parseLinkAddress, type LinkAddress } from './link-address.js';
import { OutgoingLink } from './outgoing-link.js';
import { onServiceC2d, pumpFeedback } from './service-links.js';
import { watchTransferFrames } from './transfer-frames.js';
import { HubDelivery, takeCompleteTransfers } from './incoming-deliveries.js';
import { missingRheaInternals } from './rhea-internals.js';
import type { EventHubEndpoint } from './event-hub-endpoint.js';

/** Bounds of one connection: links and sessions (a peer attaching thousands is closed). */
export const MAX_LINKS_PER_CONNECTION = 100;
export const MAX_SESSIONS_PER_CONNECTION = 16;
/**
 * Refused link attaches one connection may make before it is closed: a refused link is detached
 * at once and holds nothing, but each costs the hub a decode, a decision and a detach; an SDK
 * puts its token first and attaches a handful. The first LOGGED_REFUSALS are logged at info,
 * the rest at debug.
 */
export const MAX_REFUSED_LINKS_PER_CONNECTION = 100;
const LOGGED_REFUSALS = 10;

export interface ConnectionDeps {
  ctx: HandlerContext;
  identities: () => AuthContext;
  policies: () => PolicyTokenContext;
  hubName: string;
  eventHubs: EventHubEndpoint | undefined;
  /** A connection with no valid put-token after this many ms is closed (0: never). */
  authTimeoutMs: number;
  /** The first valid put-token on this connection (the transport stops treating it as untrusted). */
  authenticated(): void;
  /** Ends the socket (a peer that never spoke AMQP gets no close frame to read). */
  hangUp(): void;
  /** Credit limits of receiving links and the connection's byte budget (incoming-credit.ts; defaults there). */
  credit?: { limits: CreditLimits; connectionBudget: number } | undefined;
}

type Incoming = (delivery: Delivery, message: AmqpWireMessage) => void;
type Link = Sender | Receiver;

/** Owner key of the service links (C2D send, feedback, `$management`, Event Hubs receivers). */
const SERVICE = '$service';

/**
 * One AMQP connection: what it proved on `$cbs` (identities, a service policy), the links it
 * attached (each checked by `decideLink` and bound to its handler), and the sessions of its
 * identities in the connection table. When it goes, every link's pending delivery fails and
 * its identities disconnect.
 */
export class AmqpConnection {
  private readonly sessions = new Map<string, AmqpSession>();
  private serviceExpiresAtMs = 0;
  private serviceTimer: NodeJS.Timeout | undefined;
  private cbsReply: OutgoingLink | undefined;
  private readonly incoming = new WeakMap<Receiver, Incoming>();
  /** Each receiving link's credit, granted back as the hub settles what it received (incoming-credit.ts). */
  private readonly credits = new WeakMap<Receiver, IncomingCredit>();
  private readonly bytes: ConnectionBytes;
  private readonly limits: CreditLimits;
  private readonly outgoing = new Map<Sender, { link: OutgoingLink; detach: () => void }>();
  /** Attached links (bounded by MAX_LINKS_PER_CONNECTION), and those a claim authorizes by owner. */
  private readonly open = new Set<Link>();
  private readonly owned = new Map<string, Set<Link>>();
  private sessionsOpened = 0;
  private linksRefused = 0;
  private ended = false;
  private trusted = false;
  private authTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: ConnectionDeps,
    readonly connection: Connection,
  ) {
    const { logger } = deps.ctx;
    this.limits = deps.credit?.limits ?? DEFAULT_CREDIT_LIMITS;
    this.bytes = new ConnectionBytes(deps.credit?.connectionBudget);
    connection.on('session_open', (c: EventContext) => {
      if (++this.sessionsOpened > MAX_SESSIONS_PER_CONNECTION) this.close('amqp:resource-limit-exceeded', `more than ${MAX_SESSIONS_PER_CONNECTION} sessions on one connection`);
      else if (c.session) {
        c.session.on('session_error', () => {});
        // Complete single-frame deliveries straight to the hub (incoming-deliveries.ts); the frame watch below sees every frame first.
        if (!takeCompleteTransfers(c.session, (receiver, delivery, message) => this.onMessage(receiver, delivery, message))) {
          logger.warn({ missing: missingRheaInternals(connection, c.session) }, 'rhea internals changed: deliveries go through rhea\'s events (slower); see runtime/hub/amqp/rhea-internals.ts');
        }
        if (!watchTransferFrames(c.session, (receiver, bytes) => this.transferFrame(receiver, bytes))) {
          logger.warn({ missing: missingRheaInternals(connection, c.session) }, 'rhea internals changed: a delivery spanning frames is not bounded while it arrives; see runtime/hub/amqp/rhea-internals.ts');
        }
      }
    });
    connection.on('receiver_open', (c: EventContext) => this.attach(c.receiver!, 'in'));
    connection.on('sender_open', (c: EventContext) => this.attach(c.sender!, 'out'));
    connection.on('message', (c: EventContext) => {
      if (c.receiver && c.delivery) this.onMessage(c.receiver, c.delivery, c.message as AmqpWireMessage | undefined);
    });
    connection.on('sender_close', (c: EventContext) => this.detachSender(c.sender!));
    connection.on('receiver_close', (c: EventContext) => this.forget(c.receiver!));
    connection.on('sender_error', (c: EventContext) => this.detachSender(c.sender!));
    connection.on('receiver_error', (c: EventContext) => this.forget(c.receiver!));
    connection.on('connection_error', (c: EventContext) => logger.debug({ err: String(c.connection.error) }, 'AMQP connection error'));
    connection.on('protocol_error', (c: EventContext) => logger.info({ err: String(c.error) }, 'AMQP protocol error; closing'));
    connection.on('error', (c: EventContext) => logger.debug({ err: String(c.error) }, 'AMQP error'));
    connection.on('disconnected', () => this.end());
    connection.on('connection_close', () => this.end());
    // A peer that connects and never authenticates (stalled, silent, or only refused tokens) is
    // closed, as MQTT closes one that sends no CONNECT (docs/hub.md "Limits", authTimeoutMs).
    if (deps.authTimeoutMs > 0) {
      this.authTimer = setTimeout(() => {
        if (this.trusted || this.ended) return;
        this.close('amqp:unauthorized-access', `no valid token was put on $cbs within ${deps.authTimeoutMs} ms of connecting`);
        deps.hangUp();
      }, deps.authTimeoutMs);
      this.authTimer.unref();
    }
  }

  /** Closes the connection with an AMQP error (the peer sees it on its connection). */
  close(condition: string, description: string): void {
    this.deps.ctx.logger.info({ condition, description }, 'closing AMQP connection');
    try {
      this.connection.close({ condition, description });
    } catch {
      // the socket is already gone
    }
    this.end();
  }

  private attach(link: Sender | Receiver, direction: 'in' | 'out'): void {
    const { ctx } = this.deps;
    // Frames rhea still dispatches after the hub closed the connection (the rest of a read) change nothing.
    if (this.ended) return;
    this.open.add(link);
    if (this.open.size > MAX_LINKS_PER_CONNECTION) {
      this.close('amqp:resource-limit-exceeded', `more than ${MAX_LINKS_PER_CONNECTION} links on one connection`);
      return;
    }
    const raw = direction === 'in' ? (link.target as { address?: string } | undefined)?.address : (link.source as { address?: string } | undefined)?.address;
    const address = parseLinkAddress(raw);
    const decision = decideLink(address, direction, {
      hasIdentity: (identity) => this.sessions.has(clientIdOf(identity)),
      service: this.serviceExpiresAtMs > ctx.clock.now(),
    });
    if (!decision.ok) {
      this.linksRefused += 1;
      const log = this.linksRefused <= LOGGED_REFUSALS ? ctx.logger.info.bind(ctx.logger) : ctx.logger.debug.bind(ctx.logger);
      log({ address: raw, direction, reason: decision.description, refused: this.linksRefused }, 'AMQP link refused');
      this.open.delete(link);
      if (this.linksRefused > MAX_REFUSED_LINKS_PER_CONNECTION) {
        this.close('amqp:resource-limit-exceeded', `more than ${MAX_REFUSED_LINKS_PER_CONNECTION} refused links on one connection`);
        return;
      }
      link.close({ condition: decision.condition, description: decision.description });
      return;
    }
    const owner = ownerOf(address);
    if (owner !== undefined) {
      const links = this.owned.get(owner) ?? new Set<Link>();
      links.add(link);
      this.owned.set(owner, links);
    }
    // Echo the peer's terminus, so the link is established (a null terminus would refuse it, AMQP 1.0 §2.6.3).
    const remote = (t: unknown) => ({ address: (t as { address?: string } | undefined)?.address ?? '' });
    const filter = (link.source as { filter?: unknown } | undefined)?.filter;
    link.set_source({ ...remote(link.source), ...(filter ? { filter } : {}) } as Parameters<typeof link.set_source>[0]);
    link.set_target(remote(link.target));
    // AMQP 1.0 §2.7.3: the largest message the hub takes on this link (incoming-credit.ts).
    if (direction === 'in') (link as unknown as { local: { attach: { max_message_size: number } } }).local.attach.max_message_size = this.limits.maxTransferBytes;
    if (direction === 'in') this.bindIncoming(link as Receiver, address);
    else this.bindOutgoing(link as Sender, address, raw ?? '');
    if (direction === 'in' && this.incoming.has(link as Receiver)) {
      const receiver = link as Receiver;
      const credit = new IncomingCredit(this.limits, this.bytes, () => (receiver as unknown as { credit: number }).credit, (n) => receiver.add_credit(n));
      this.credits.set(receiver, credit);
      credit.open();
    }
  }

  /** A complete delivery on one of the connection's receiving links: held against its credit, then to the link's handler. */
  private onMessage(receiver: Receiver, delivery: Delivery, message: AmqpWireMessage | undefined): void {
    if (!this.hold(receiver, delivery)) return;
    const handler = this.incoming.get(receiver);
    if (handler && message) handler(delivery, message);
    // A message on a link whose claim was revoked (or that was refused) is not taken.
    else if (!delivery.remote_settled) delivery.release({ undeliverable_here: true } as never);
  }

  /**
   * A transfer frame arrived on `receiver`: its bytes count towards the delivery; a delivery
   * beyond the largest transfer the hub announced (max-message-size) ends the connection before
   * rhea buffers more of it.
   */
  private transferFrame(receiver: Receiver, bytes: number): boolean {
    const credit = this.credits.get(receiver);
    if (!credit || credit.frame(bytes)) return true;
    if (!this.ended) {
      this.close('amqp:link:message-size-exceeded', `a message of more than ${this.limits.maxTransferBytes} bytes (the announced max-message-size)`);
      this.deps.hangUp();
    }
    return false;
  }

  /**
   * A delivery holds a place of its link's window and its bytes until the hub settles it
   * (accept, reject, release: rhea's `update`), then they are granted back as credit. False:
   * the connection's links already hold their byte budget, so the delivery is released at once
   * (not acted upon; the sender may send it again) and not handled.
   */
  private hold(receiver: Receiver, delivery: Delivery): boolean {
    const credit = this.credits.get(receiver);
    if (!credit) return true;
    const held = credit.received(delivery.remote_settled);
    if (held === 'pre-settled') return true;
    if (held === 'refused') {
      delivery.release();
      return false;
    }
    if (delivery instanceof HubDelivery) {
      delivery.hold = held;
      return true;
    }
    const update = delivery.update;
    delivery.update = (...args) => {
      update.apply(delivery, args);
      held.settled();
    };
    return true;
  }

  private bindIncoming(receiver: Receiver, address: LinkAddress): void {
    const { ctx } = this.deps;
    const session = (identity: IdentityRef) => this.sessions.get(clientIdOf(identity))!;
    switch (address.kind) {
      case 'cbs':
        this.incoming.set(receiver, (d, m) => this.putToken(d, m));
        return;
      case 'events':
        this.incoming.set(receiver, (d, m) => onTelemetry(ctx, session(address.identity), d, m));
        return;
      case 'twin':
        this.incoming.set(receiver, (d, m) => onTwinRequest(ctx, session(address.identity), d, m));
        return;
      case 'methods':
        this.incoming.set(receiver, (d, m) => onMethodResponse(ctx, session(address.identity), d, m));
        return;
      case 'service-c2d':
        this.incoming.set(receiver, (d, m) => onServiceC2d(ctx, d, m));
        return;
      case 'management':
        this.incoming.set(receiver, (d, m) => this.deps.eventHubs?.onManagementRequest(d, m, (reply) => this.management?.post(reply)));
        return;
      default:
        receiver.close({ condition: 'amqp:not-allowed', description: 'this address takes no messages' });
    }
  }

  private management: OutgoingLink | undefined;

  private bindOutgoing(sender: Sender, address: LinkAddress, raw: string): void {
    const { ctx } = this.deps;
    const link = new OutgoingLink(sender, raw);
    let detach = () => {};
    switch (address.kind) {
      case 'cbs':
        this.cbsReply = link;
        break;
      case 'management':
        this.management = link;
        break;
      case 'devicebound': {
        const s = this.sessions.get(clientIdOf(address.identity))!;
        s.links.c2d = link;
        deliverC2d(ctx, s);
        break;
      }
      case 'twin':
        this.sessions.get(clientIdOf(address.identity))!.links.twin = link;
        break;
      case 'methods':
        this.sessions.get(clientIdOf(address.identity))!.links.methods = link;
        break;
      case 'events': {
        const s = this.sessions.get(clientIdOf(address.identity))!;
        s.links.inputs = link;
        if (ctx.connections.isLive(s)) ctx.connections.inputsReady(s);
        break;
      }
      case 'service-feedback':
        if (ctx.feedback) detach = pumpFeedback(ctx.feedback, link, this.deps.hubName);
        break;
      case 'event-hub-partition':
        if (this.deps.eventHubs) detach = this.deps.eventHubs.openReader(sender, link, address);
        else sender.close({ condition: 'amqp:not-found', description: 'the Event Hubs-compatible endpoint is off' });
        break;
      default:
        sender.close({ condition: 'amqp:not-allowed', description: 'this address sends no messages' });
        return;
    }
    this.outgoing.set(sender, { link, detach });
  }

  /** A link went away: it no longer counts against the bound nor belongs to a claim. */
  private forget(link: Link): void {
    this.open.delete(link);
    for (const links of this.owned.values()) links.delete(link);
  }

  private detachSender(sender: Sender): void {
    this.forget(sender);
    const entry = this.outgoing.get(sender);
    if (!entry) return;
    this.outgoing.delete(sender);
    entry.detach();
    entry.link.fail('link detached');
  }

  /** A put-token on `$cbs`: answered on the `$cbs` reply link with `status-code`/`status-description`. */
  private putToken(delivery: Delivery, message: AmqpWireMessage & { reply_to?: string }): void {
    if (!delivery.remote_settled) delivery.accept();
    const props = message.application_properties ?? {};
    const token = typeof message.body === 'string' ? message.body : Buffer.isBuffer(message.body) ? message.body.toString('utf8') : (message.body as { content?: unknown } | undefined)?.content;
    const answer = answerPutToken(
      { operation: props.operation, type: props.type, name: props.name, token: Buffer.isBuffer(token) ? token.toString('utf8') : token },
      { identities: this.deps.identities(), policies: this.deps.policies() },
    );
    if (answer.ok) this.grant(answer.claim);
    else this.deps.ctx.logger.info({ status: answer.status, reason: answer.description }, 'CBS put-token refused');
    this.cbsReply?.post({
      correlation_id: message.message_id,
      ...(message.reply_to ? { to: message.reply_to } : {}),
      // An AMQP int, as IoT Hub sends it: uamqp (the Python SDKs) reads no other integer type here.
      application_properties: { 'status-code': rhea.types.wrap_int(answer.ok ? 200 : answer.status), 'status-description': answer.ok ? 'OK' : answer.description },
    });
  }

  private grant(claim: CbsClaim): void {
    const { ctx } = this.deps;
    if (!this.trusted) {
      this.trusted = true;
      if (this.authTimer) clearTimeout(this.authTimer);
      this.deps.authenticated();
    }
    if (claim.kind === 'service') {
      this.serviceExpiresAtMs = claim.expiresAtMs;
      this.armServiceExpiry();
      return;
    }
    const clientId = clientIdOf(claim.identity);
    const existing = this.sessions.get(clientId);
    if (existing) return existing.renew(claim.expiresAtMs);
    const session: AmqpSession = new AmqpSession(claim.identity, claim.expiresAtMs, (reason) => this.closeIdentity(session, reason));
    this.sessions.set(clientId, session);
    // One live connection per identity, as IoT Hub: a newer one replaces the older.
    const previous = ctx.connections.get(clientId);
    if (previous && previous !== session) previous.close();
    ctx.connections.add(session);
  }

  /**
   * The connection table ends an identity's session: its token expired (the connection table's
   * SAS timer), it was deleted, or a newer connection of the same identity replaced this one.
   * An expired token revokes the identity's links only; the other reasons close the connection.
   */
  private closeIdentity(session: AmqpSession, reason: string): void {
    if (this.sessions.get(session.clientId) !== session) return;
    if (session.expiresAtMs > this.deps.ctx.clock.now()) return this.close('amqp:connection:forced', reason);
    this.sessions.delete(session.clientId);
    this.deps.ctx.connections.remove(session);
    this.revoke(session.clientId, `the token for ${session.clientId} expired; put a new one on $cbs before it expires`);
  }

  /** A service claim ends with its token unless a later put-token renewed it. */
  private armServiceExpiry(): void {
    if (this.serviceTimer) clearTimeout(this.serviceTimer);
    const left = this.serviceExpiresAtMs - this.deps.ctx.clock.now();
    this.serviceTimer = setTimeout(
      () => {
        if (this.deps.ctx.clock.now() < this.serviceExpiresAtMs) return this.armServiceExpiry();
        this.revoke(SERVICE, 'the service token expired; put a new one on $cbs before it expires');
      },
      Math.min(Math.max(left, 0), 2_147_483_647),
    );
    this.serviceTimer.unref();
  }

  /**
   * A claim's token expired: the links it authorized are detached with `amqp:unauthorized-access`
   * (what the SDKs raise as UnauthorizedError), so nothing more flows on them; a connection left
   * with no valid claim is closed with the same error, as IoT Hub ends a connection whose CBS
   * token was not renewed in time (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support
   * "Claims-based security": the client puts a new token before the old one expires).
   */
  private revoke(owner: string, description: string): void {
    this.deps.ctx.logger.info({ owner, description }, 'AMQP token expired; detaching its links');
    for (const link of this.owned.get(owner) ?? []) {
      this.incoming.delete(link as Receiver);
      try {
        link.close({ condition: 'amqp:unauthorized-access', description });
      } catch {
        // the link is already gone
      }
      if (this.outgoing.has(link as Sender)) this.detachSender(link as Sender);
      this.open.delete(link);
    }
    this.owned.delete(owner);
    if (this.sessions.size === 0 && this.serviceExpiresAtMs <= this.deps.ctx.clock.now()) this.close('amqp:unauthorized-access', description);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.serviceTimer) clearTimeout(this.serviceTimer);
    if (this.authTimer) clearTimeout(this.authTimer);
    for (const { link, detach } of this.outgoing.values()) {
      detach();
      link.fail('connection closed');
    }
    this.outgoing.clear();
    for (const session of this.sessions.values()) this.deps.ctx.connections.remove(session);
    this.sessions.clear();
  }
}

/** Whose claim authorizes a link: an identity (its client id), the service, or none (`$cbs`). */
function ownerOf(address: LinkAddress): string | undefined {
  switch (address.kind) {
    case 'events':
    case 'devicebound':
    case 'twin':
    case 'methods':
      return clientIdOf(address.identity);
    case 'service-c2d':
    case 'service-feedback':
    case 'management':
    case 'event-hub-partition':
      return SERVICE;
    default:
      return undefined;
  }
}
