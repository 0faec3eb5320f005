import rhea, { type Delivery, type Receiver, type Session } from 'rhea';
import type { AmqpWireMessage } from './amqp-message.js';

/**
 * What rhea 3.0.5 keeps on a session for the transfers it receives (lib/session.js `Incoming`;
 * rhea-internals.ts lists and checks it): `on_transfer(frame, receiver)` is handed each transfer
 * frame, `deliveries` holds the unsettled ones (settled ones leave it in `process`), `update`
 * queues a settled delivery for the next disposition frame — rhea's `write_dispositions` writes
 * a run of consecutive delivery ids with the same outcome as one frame `first..last` (AMQP 1.0
 * §2.7.6), so a group commit's acceptances go out as one disposition per link and tick.
 */
interface RheaIncoming {
  next_transfer_id: number;
  next_delivery_id: number | undefined;
  deliveries: { push(d: unknown): void };
  on_transfer(frame: RheaTransferFrame, receiver: Receiver): void;
  update(delivery: unknown, settled: boolean, state: unknown): void;
}
interface RheaTransferFrame {
  performative: { delivery_id?: number; delivery_tag?: Buffer; message_format?: number; settled?: boolean; state?: unknown; more?: boolean };
  payload?: Buffer;
}
interface RheaReceiverInternals {
  credit: number;
  delivery_count: number;
  _incomplete?: unknown;
  observers: { listenerCount(event: string): number };
  local: { attach: { rcv_settle_mode?: number } };
  is_remote_open(): boolean;
}

/** rhea's outcome constructors (lib/message.js, AMQP 1.0 §3.4), typed here as its typings omit them. */
interface Outcome {
  described(): unknown;
}
const outcomes = rhea.message as unknown as {
  accepted(): Outcome;
  released(): Outcome;
  rejected(fields: { error?: unknown }): Outcome;
  modified(fields?: Record<string, unknown>): Outcome;
};
/** `accepted` has no fields: one encoded value serves every acceptance. */
const ACCEPTED = outcomes.accepted().described();

/** Called when a delivery taken by `HubDelivery` is settled by the hub (once; see `update`). */
export interface SettleHook {
  settled(): void;
}

/**
 * One incoming delivery as rhea's own (lib/session.js `Incoming.on_transfer`: the same fields,
 * `update`/`accept`/`release`/`reject`/`modified` with rhea's semantics and outcomes, §3.4),
 * with its methods on the prototype rather than five closures made per delivery, and a
 * `hold` the hub's credit accounting (incoming-credit.ts) is told through when it is settled.
 */
export class HubDelivery {
  settled = false;
  state: unknown = undefined;
  hold: SettleHook | undefined = undefined;

  constructor(
    readonly id: number,
    readonly tag: Buffer | undefined,
    readonly format: number,
    readonly link: Receiver,
    readonly remote_settled: boolean,
    readonly remote_state: unknown,
    private readonly incoming: RheaIncoming,
  ) {}

  update(settled?: boolean, state?: unknown): void {
    // rhea: settled unless the receiver settles second (rcv-settle-mode `second`, §2.8.3).
    const settledNow = settled ?? (this.link as unknown as RheaReceiverInternals).local.attach.rcv_settle_mode !== 1;
    this.incoming.update(this, settledNow, state);
    const hold = this.hold;
    if (hold) {
      this.hold = undefined;
      hold.settled();
    }
  }

  accept(): void {
    this.update(undefined, ACCEPTED);
  }

  release(params?: Record<string, unknown>): void {
    this.update(undefined, params ? outcomes.modified(params).described() : outcomes.released().described());
  }

  reject(error?: unknown): void {
    this.update(undefined, outcomes.rejected({ error }).described());
  }

  modified(params?: Record<string, unknown>): void {
    this.update(undefined, outcomes.modified(params).described());
  }
}

/**
 * Takes each complete single-frame delivery of an AMQP message (message-format 0) on `session`
 * the way rhea does — transfer and delivery ids advanced, the delivery kept among the
 * session's unsettled ones, the link's credit and delivery-count moved, the message decoded —
 * and hands it to `onMessage` directly, rather than through rhea's event chain (link, session,
 * connection, container emitters and a context object per message). A delivery in several
 * frames (§2.6.14), on a link not open, out of sequence or of another format goes to rhea's own
 * `on_transfer`, which raises its errors as before. False, changing nothing, when rhea lacks
 * these internals (rhea-internals.ts).
 */
export function takeCompleteTransfers(session: Session, onMessage: (receiver: Receiver, delivery: Delivery, message: AmqpWireMessage) => void): boolean {
  const incoming = (session as unknown as { incoming?: RheaIncoming }).incoming;
  if (typeof incoming?.on_transfer !== 'function' || typeof incoming.update !== 'function' || typeof incoming.deliveries?.push !== 'function') return false;
  const onTransfer = incoming.on_transfer;
  incoming.on_transfer = function (this: RheaIncoming, frame: RheaTransferFrame, receiver: Receiver) {
    const p = frame.performative;
    const r = receiver as unknown as RheaReceiverInternals;
    // rhea's own observers of a message (autoaccept, credit_window) need its event chain.
    if (p.more || r._incomplete || p.message_format !== 0 || !frame.payload || !r.is_remote_open() || r.observers.listenerCount('message') > 0) return onTransfer.call(this, frame, receiver);
    if (this.next_delivery_id === undefined) this.next_delivery_id = p.delivery_id;
    if (this.next_delivery_id !== p.delivery_id) return onTransfer.call(this, frame, receiver);
    this.next_transfer_id++;
    const delivery = new HubDelivery(p.delivery_id!, p.delivery_tag, 0, receiver, p.settled ?? false, p.state, this);
    this.deliveries.push(delivery);
    this.next_delivery_id = p.delivery_id! + 1;
    if (r.credit > 0) r.credit--;
    r.delivery_count++;
    onMessage(receiver, delivery as unknown as Delivery, rhea.message.decode(frame.payload) as AmqpWireMessage);
  };
  return true;
}
