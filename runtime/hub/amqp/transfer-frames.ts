import type { Receiver, Session } from 'rhea';

/**
 * What rhea 3.0.5 keeps on a session for the transfers it receives (lib/session.js `Incoming`):
 * `Session.prototype.on_transfer` hands each transfer frame to `session.incoming.on_transfer`,
 * which appends a frame with `more` to the delivery's list of frames — without a bound — and
 * decodes and dispatches the message on its last frame (rhea-internals.ts lists and checks it).
 */
interface RheaIncoming {
  on_transfer(frame: { payload?: Buffer }, receiver: Receiver): void;
}

/**
 * Calls `onFrame` with each transfer frame's payload size before rhea takes the frame (AMQP 1.0
 * §2.7.5 transfer; a delivery may span frames, §2.6.14); a frame `onFrame` refuses (false) is not
 * handed to rhea — the caller ends the connection — so a peer cannot grow a delivery past what
 * the hub accepts. False, changing nothing, when rhea has no such internals (rhea-internals.ts).
 */
export function watchTransferFrames(session: Session, onFrame: (receiver: Receiver, bytes: number) => boolean): boolean {
  const incoming = (session as unknown as { incoming?: RheaIncoming }).incoming;
  if (typeof incoming?.on_transfer !== 'function') return false;
  const onTransfer = incoming.on_transfer;
  incoming.on_transfer = function (this: RheaIncoming, frame, receiver) {
    if (onFrame(receiver, frame.payload?.length ?? 0)) onTransfer.call(this, frame, receiver);
  };
  return true;
}
