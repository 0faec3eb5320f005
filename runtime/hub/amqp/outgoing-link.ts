import type { Delivery, Message, Sender } from 'rhea';
import { HubError } from '../errors.js';

/** How the client settled a delivery the hub sent (AMQP 1.0 §3.4 delivery states). */
export type Outcome = 'accepted' | 'rejected' | 'released' | 'modified';

interface Pending {
  message: object;
  settle?: ((outcome: Outcome) => void) | undefined;
  fail?: ((error: Error) => void) | undefined;
}

/** At most this many messages wait for credit on one link; more are refused (a receiver that never grants credit stays bounded). */
export const MAX_QUEUED_PER_LINK = 1000;

/**
 * A hub→client link: messages are sent only while the client has granted credit (AMQP 1.0
 * §2.6.7), the rest wait in a bounded queue; each delivery's outcome settles its promise, and
 * a link or connection that goes away fails what is still waiting, so nothing is counted as
 * delivered that the client did not settle.
 */
export class OutgoingLink {
  private readonly queue: Pending[] = [];
  private readonly inflight = new Map<Delivery, Pending>();
  private closed = false;

  constructor(
    readonly sender: Sender,
    private readonly name: string,
  ) {
    sender.on('sendable', () => this.pump());
    const settled = (outcome: Outcome) => (context: { delivery?: Delivery }) => {
      const d = context.delivery;
      if (!d) return;
      const p = this.inflight.get(d);
      this.inflight.delete(d);
      p?.settle?.(outcome);
    };
    sender.on('accepted', settled('accepted'));
    sender.on('rejected', settled('rejected'));
    sender.on('released', settled('released'));
    sender.on('modified', settled('modified'));
    // A delivery settled without a terminal outcome (remote settled only) counts as accepted.
    sender.on('settled', (context: { delivery?: Delivery }) => {
      const d = context.delivery;
      if (d && this.inflight.has(d)) settled('accepted')(context);
    });
  }

  /** Messages waiting for credit. */
  get queued(): number {
    return this.queue.length;
  }

  get isOpen(): boolean {
    return !this.closed && this.sender.is_open();
  }

  /** Sends and resolves with the client's outcome; rejects when the link goes away first or its queue is full. */
  deliver(message: object): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      if (!this.enqueue({ message, settle: resolve, fail: reject })) reject(new HubError('HUB_NOT_CONNECTED', `${this.name}: the client granted no credit and ${MAX_QUEUED_PER_LINK} messages already wait`));
    });
  }

  /** Sends without waiting for the outcome (responses the client settles on arrival); false when refused. */
  post(message: object): boolean {
    return this.enqueue({ message });
  }

  /** Credit the client granted and the hub has not yet used (what `sendEncoded` may send now). */
  get credit(): number {
    return Math.max(0, (this.sender as unknown as { credit: number }).credit - this.unprocessed);
  }

  /**
   * Sends an already encoded message (AMQP 1.0 §3.2 sections, one transfer) at once; only
   * within `credit`, and only when nothing waits in the queue. Pre-settled (§2.6.12: the client
   * sends no disposition, the hub keeps no delivery) unless the client's attach asked for
   * unsettled transfers (snd-settle-mode `unsettled`, §2.8.2).
   */
  sendEncoded(bytes: Buffer): boolean {
    if (this.closed || this.queue.length > 0 || this.credit <= 0 || !this.sender.sendable()) return false;
    const delivery = this.sender.send(bytes, undefined, 0);
    if (this.presettle) (delivery as { settled: boolean }).settled = true;
    // rhea takes the credit when it writes the transfer (after this tick); until then it counts here.
    if (this.unprocessed++ === 0) process.nextTick(() => (this.unprocessed = 0));
    return true;
  }

  private unprocessed = 0;
  private settleMode: boolean | undefined;
  /** The client's attach (read once: it does not change while the link is attached). */
  private get presettle(): boolean {
    this.settleMode ??= (this.sender as unknown as { remote?: { attach?: { snd_settle_mode?: number } } }).remote?.attach?.snd_settle_mode !== 0;
    return this.settleMode;
  }

  /** The link or its connection closed: everything waiting fails. */
  fail(reason: string): void {
    this.closed = true;
    const error = new HubError('HUB_NOT_CONNECTED', `${this.name}: ${reason}`);
    for (const p of [...this.queue, ...this.inflight.values()]) p.fail?.(error);
    this.queue.length = 0;
    this.inflight.clear();
  }

  private enqueue(p: Pending): boolean {
    if (this.closed || this.queue.length >= MAX_QUEUED_PER_LINK) return false;
    this.queue.push(p);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed && this.sender.sendable()) {
      const p = this.queue.shift()!;
      const delivery = this.sender.send(p.message as Message);
      if (delivery.settled) p.settle?.('accepted');
      else if (p.settle) this.inflight.set(delivery, p);
    }
  }
}
