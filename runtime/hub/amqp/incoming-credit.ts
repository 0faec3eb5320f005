/**
 * How much link credit the hub grants on a link it receives on (AMQP 1.0 §2.6.7 "Flow Control":
 * the receiver grants credit; §2.6.12 settlement). Credit follows what the hub has finished
 * with: a delivery holds one place of the link's window from its transfer until the hub settles
 * it — for telemetry, once the message is durably stored — so one link never holds more than
 * `window` deliveries, whatever the sender does and however slow the store is. Settled places go
 * back to the sender at once (one flow frame per turn of the event loop however many settle in
 * it), so a sender with enough messages in flight is never left waiting for credit while the
 * hub has room.
 */
export function creditToGrant(window: number, held: number, credit: number): number {
  return Math.max(0, window - held - Math.max(0, credit));
}

/** The per-link window of incoming deliveries: transferred and not yet settled, plus credit not yet used. */
export const INCOMING_WINDOW = 1000;

/** The receiver side of one link's credit: counts deliveries held, tops the credit up on settlement. */
export class IncomingCredit {
  private heldCount = 0;

  /**
   * `credit` is the sender's credit as the receiver sees it (rhea decrements it on each
   * transfer); `grant` adds credit and sends a flow frame.
   */
  constructor(
    private readonly window: number,
    private readonly credit: () => number,
    private readonly grant: (n: number) => void,
  ) {}

  /** Deliveries transferred and not yet settled by the hub. */
  get held(): number {
    return this.heldCount;
  }

  /** The link is attached: the whole window is granted. */
  open(): void {
    this.topUp();
  }

  /** A delivery arrived; `settled` is called once when the hub settles it (never for a pre-settled one). */
  received(preSettled: boolean): () => void {
    if (preSettled) {
      this.topUp();
      return () => {};
    }
    this.heldCount++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.heldCount--;
      this.topUp();
    };
  }

  private topUp(): void {
    const n = creditToGrant(this.window, this.heldCount, this.credit());
    if (n > 0) this.grant(n);
  }
}
