import type { Connection, Session } from 'rhea';

/**
 * The rhea version whose internals the AMQP head relies on, pinned exactly in package.json.
 * What the head uses beyond rhea's public API (all checked by `missingRheaInternals`):
 * - frame-writer.ts: `Connection.prototype.output` (writes the transport to the socket, arms the
 *   heartbeat) and `_write_frame` handing each frame to `connection.amqp_transport.encode`;
 *   the transport's `encode`, `has_writes_pending`, `write`, `protocol_id`, `header_sent`
 *   (lib/connection.js, lib/transport.js); the type writer `lib/types.js` `Writer` and its
 *   `skip`, `write_uint`, `write`, `write_bytes`, `buffer`, `position`; the frame layout of
 *   `frames.write_frame` (lib/frames.js), which the batched writer reproduces byte for byte.
 *   rhea replaces `amqp_transport` on reconnect (`_reset_remote_state`): the hub never
 *   reconnects a connection it accepted.
 * - frames-per-turn.ts: `Connection.prototype.input(buff)`, the reader `init` binds to the
 *   socket's 'data' as `this.input` when `accept` is called (lib/connection.js).
 * - transfer-frames.ts: `session.incoming.on_transfer(frame, receiver)` (lib/session.js).
 * - incoming-deliveries.ts: what `Incoming.on_transfer` does for a complete delivery (the
 *   session's `next_transfer_id`/`next_delivery_id`, `deliveries.push`, the receiver's
 *   `credit`, `delivery_count`, `_incomplete`, `observers`, `local.attach.rcv_settle_mode`),
 *   `session.incoming.update(delivery, settled, state)` and the delivery fields
 *   `write_dispositions` reads (`id`, `link`, `settled`, `state`).
 * - amqp-connection.ts / outgoing-link.ts: a link's `credit` and the sender's
 *   `remote.attach.snd_settle_mode`, a receiver's `local.attach.max_message_size` setter, a
 *   delivery's `update(settled, state)`.
 * On a rhea upgrade, recheck each of these in rhea's source, then
 * test/unit/hub/amqp-rhea-internals.test.ts, which fails while any is missing or the batched
 * frames differ from rhea's own.
 */
export const RHEA_VERSION = '3.0.5';

const isFunction = (o: unknown, name: string) => typeof (o as Record<string, unknown> | undefined)?.[name] === 'function';

/** The internals above that `connection` (and `session`, when given) lack; empty when all are there. */
export function missingRheaInternals(connection: Connection, session?: Session): string[] {
  const missing: string[] = [];
  const c = connection as unknown as Record<string, unknown>;
  if (!isFunction(c, 'output')) missing.push('connection.output()');
  if (!isFunction(c, 'input')) missing.push('connection.input()');
  if (!isFunction(c, '_write_frame') || !String(c._write_frame).includes('amqp_transport.encode')) missing.push('connection._write_frame() calling amqp_transport.encode');
  const transport = c.amqp_transport as Record<string, unknown> | undefined;
  if (!transport) missing.push('connection.amqp_transport');
  else {
    for (const f of ['encode', 'has_writes_pending', 'write']) if (!isFunction(transport, f)) missing.push(`amqp_transport.${f}()`);
    if (typeof transport.protocol_id !== 'number') missing.push('amqp_transport.protocol_id');
    if (!('header_sent' in transport)) missing.push('amqp_transport.header_sent');
  }
  if (session) {
    const incoming = (session as unknown as { incoming?: unknown }).incoming;
    if (!isFunction(incoming, 'on_transfer')) missing.push('session.incoming.on_transfer()');
    if (!isFunction(incoming, 'update')) missing.push('session.incoming.update()');
    if (!isFunction((incoming as { deliveries?: unknown } | undefined)?.deliveries, 'push')) missing.push('session.incoming.deliveries.push()');
  }
  return missing;
}
