/**
 * How much link credit the hub grants on a link it receives on (AMQP 1.0 §2.6.7 "Flow Control":
 * the receiver grants credit; §2.6.12 settlement). Credit follows what the hub has finished
 * with: a delivery holds one place of the link's window, and its bytes of the link's byte
 * budget, from its transfer until the hub settles it — for telemetry, once the message is
 * durably stored. Credit not yet used is counted at the largest transfer the hub accepts
 * (`MAX_TRANSFER_BYTES`, announced as the link's max-message-size, §2.7.3), so whatever the
 * sender does — many small messages, or every credit used for a 320 KB one — one link never
 * holds more than `INCOMING_WINDOW` deliveries nor `LINK_BYTE_BUDGET` bytes, however slow the
 * store is. The links of one connection together hold at most `CONNECTION_BYTE_BUDGET` bytes:
 * a delivery that arrives when they hold that much is released at once (§3.4.4 `released`: not
 * acted upon, the sender may send it again), so an idle link's unused credit never keeps room
 * from a busy one. Settled places and bytes go back to the sender at once (one flow frame per
 * turn of the event loop however many settle in it), so a sender with enough messages in flight
 * is never left waiting for credit while the hub has room.
 */

/** The per-link window of incoming deliveries: transferred and not yet settled, plus credit not yet used. */
export const INCOMING_WINDOW = 1000;
/**
 * The largest transfer (one encoded AMQP message, all its frames) the hub accepts: IoT Hub's
 * 256 KB device-to-cloud body (device-links.ts `MAX_AMQP_MESSAGE_BYTES`) and 64 KB of
 * properties and annotations around it, as the MQTT head allows a packet (mqtt/broker.ts).
 */
export const MAX_TRANSFER_BYTES = 320 * 1024;
/** Bytes one link may hold unsettled, credit not yet used counted at MAX_TRANSFER_BYTES: 102 credits on an idle link. */
export const LINK_BYTE_BUDGET = 32 * 1024 * 1024;
/** Bytes all receiving links of one connection may hold unsettled together. */
export const CONNECTION_BYTE_BUDGET = 64 * 1024 * 1024;

/** What bounds one link's credit (`creditToGrant`). */
export interface CreditState {
  window: number;
  /** Deliveries transferred and not yet settled. */
  held: number;
  /** The sender's credit as the receiver sees it (may be below 0 for a sender past its credit). */
  credit: number;
  linkBudget: number;
  /** Bytes of the deliveries held. */
  heldBytes: number;
  maxTransferBytes: number;
}

/** Credit to add now: what both the count window and the link's byte budget allow. */
export function creditToGrant(s: CreditState): number {
  const credit = Math.max(0, s.credit);
  const byCount = s.window - s.held - credit;
  const byBytes = Math.floor((s.linkBudget - s.heldBytes) / s.maxTransferBytes) - credit;
  return Math.max(0, Math.min(byCount, byBytes));
}

export interface CreditLimits {
  window: number;
  linkBudget: number;
  maxTransferBytes: number;
}

/** The default limits above. */
export const DEFAULT_CREDIT_LIMITS: CreditLimits = { window: INCOMING_WINDOW, linkBudget: LINK_BYTE_BUDGET, maxTransferBytes: MAX_TRANSFER_BYTES };

/** The bytes all receiving links of one connection hold unsettled, against its budget. */
export class ConnectionBytes {
  held = 0;

  constructor(readonly budget: number = CONNECTION_BYTE_BUDGET) {}
}

/** The receiver side of one link's credit: counts deliveries and bytes held, tops the credit up on settlement. */
export class IncomingCredit {
  private heldCount = 0;
  private heldByteCount = 0;
  /** Bytes of the delivery whose frames are arriving (a transfer with `more`, §2.6.14). */
  private partial = 0;

  /**
   * `credit` is the sender's credit as the receiver sees it (rhea decrements it on each
   * transfer); `grant` adds credit and sends a flow frame.
   */
  constructor(
    private readonly limits: CreditLimits,
    private readonly connection: ConnectionBytes,
    private readonly credit: () => number,
    private readonly grant: (n: number) => void,
  ) {}

  /** Deliveries transferred and not yet settled by the hub. */
  get held(): number {
    return this.heldCount;
  }

  /** Bytes of those deliveries. */
  get heldBytes(): number {
    return this.heldByteCount;
  }

  /** The link is attached: as much credit as the limits allow. */
  open(): void {
    this.topUp();
  }

  /**
   * A transfer frame of `bytes` payload arrived (before the delivery is complete when `more`);
   * false when the delivery so far exceeds the largest transfer the hub accepts (the peer
   * ignored the announced max-message-size: the caller ends the connection).
   */
  frame(bytes: number): boolean {
    this.partial += bytes;
    return this.partial <= this.limits.maxTransferBytes;
  }

  /**
   * A delivery arrived (its frames were counted by `frame`). Held: `settled` is to be called
   * once the hub settles it (calling it again does nothing). `refused`: the connection's links
   * already hold its budget, the caller releases the delivery at once; pre-settled ones (the
   * hub keeps no delivery state) are neither.
   */
  received(preSettled: boolean): HeldDelivery | 'pre-settled' | 'refused' {
    const bytes = this.partial;
    this.partial = 0;
    if (preSettled || this.connection.held + bytes > this.connection.budget) {
      this.topUp();
      return preSettled ? 'pre-settled' : 'refused';
    }
    this.heldCount++;
    this.heldByteCount += bytes;
    this.connection.held += bytes;
    return new HeldDelivery(this, bytes);
  }

  /** A held delivery of `bytes` was settled: its place and bytes come back as credit. */
  release(bytes: number): void {
    this.heldCount--;
    this.heldByteCount -= bytes;
    this.connection.held -= bytes;
    this.topUp();
  }

  /** Grants what the limits allow now. */
  private topUp(): void {
    const n = creditToGrant({
      window: this.limits.window,
      held: this.heldCount,
      credit: this.credit(),
      linkBudget: this.limits.linkBudget,
      heldBytes: this.heldByteCount,
      maxTransferBytes: this.limits.maxTransferBytes,
    });
    if (n > 0) this.grant(n);
  }
}

/** One delivery held against its link's credit (a method, not a closure per delivery): `settled` gives its place back once. */
export class HeldDelivery {
  private done = false;

  constructor(
    private readonly credit: IncomingCredit,
    private readonly bytes: number,
  ) {}

  settled(): void {
    if (this.done) return;
    this.done = true;
    this.credit.release(this.bytes);
  }
}
