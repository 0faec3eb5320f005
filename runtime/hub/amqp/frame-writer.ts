import { createRequire } from 'node:module';
import type { Connection } from 'rhea';
import type { Duplex } from 'node:stream';
import { missingRheaInternals } from './rhea-internals.js';

/** rhea's AMQP type writer (lib/types.js), the one its own frame encoder uses. */
interface RheaWriter {
  buffer: Buffer;
  position: number;
  skip(bytes: number): void;
  write_uint(value: number, width: number): void;
  write(value: unknown): void;
  write_bytes(bytes: Buffer): void;
}
const rheaTypes = createRequire(import.meta.url)('rhea/lib/types.js') as { Writer: new (buffer?: Buffer) => RheaWriter };

/** What rhea 3.0.5 keeps on a connection and its AMQP transport (lib/connection.js, lib/transport.js; rhea-internals.ts lists and checks them). */
interface RheaFrame {
  channel: number;
  type: number;
  performative?: unknown;
  payload?: Buffer;
}
interface RheaTransport {
  protocol_id: number;
  header_sent: unknown;
  encode(frame: RheaFrame): void;
  has_writes_pending(): boolean;
  write(socket: Duplex): void;
}
interface RheaConnectionInternals {
  output(): void;
  amqp_transport: RheaTransport;
}

/** AMQP 1.0 §2.3.1 frame types. */
const TYPE_AMQP = 0x00;

/** A value as rhea's type layer wraps it (lib/types.js `Typed`): its type code, value, descriptor. */
interface RheaTyped {
  type?: { typecode: number };
  value?: unknown;
  descriptor?: { value?: unknown };
}
/** AMQP 1.0 §2.7.5: the transfer performative's descriptor code. */
const TRANSFER = 0x14;

/**
 * A transfer performative — one per delivery, the frame an Event Hubs read sends most — written
 * without rhea's generic encoder, byte for byte as rhea writes it (lib/types.js: descriptor as
 * smallulong, the fields as a list32 of uint0/smalluint/uint, vbin8, booleans and nulls, §1.6);
 * false (nothing written) for anything else, which rhea's encoder writes.
 */
function writeTransfer(writer: RheaWriter, performative: unknown): boolean {
  const p = performative as RheaTyped;
  if (p.descriptor?.value !== TRANSFER || p.type?.typecode !== 0xd0 || !Array.isArray(p.value)) return false;
  const fields = p.value as Array<RheaTyped | null | undefined>;
  const start = writer.position;
  writer.skip(12 + fields.length * 5 + 256); // room for every field at its largest (a vbin8 up to 255 bytes)
  const b = writer.buffer;
  let at = start;
  b[at++] = 0x00;
  b[at++] = 0x53;
  b[at++] = TRANSFER;
  b[at++] = 0xd0;
  const sizeAt = at;
  at += 4;
  b.writeUInt32BE(fields.length, at);
  at += 4;
  for (const f of fields) {
    const code = f?.type?.typecode ?? 0x40;
    b[at++] = code;
    if (code === 0x40 || code === 0x41 || code === 0x42 || code === 0x43) continue;
    const v = f!.value;
    if (code === 0x52 && typeof v === 'number') b[at++] = v;
    else if (code === 0x70 && typeof v === 'number') {
      b.writeUInt32BE(v, at);
      at += 4;
    } else if (code === 0xa0 && Buffer.isBuffer(v) && v.length <= 0xff) {
      b[at++] = v.length;
      at += v.copy(b, at);
    } else {
      writer.position = start;
      return false;
    }
  }
  b.writeUInt32BE(at - sizeAt - 4, sizeAt);
  writer.position = at;
  return true;
}

/**
 * Sends a connection's frames in one socket write per turn of the event loop. rhea writes each
 * frame the moment it is made — its own buffer (zero-filled, 1 KB at least), its own socket
 * write, so its own TLS record, and a heartbeat timer re-armed per frame — which under an Event
 * Hubs read or a burst of dispositions costs more than making the frames. Here `output` runs
 * once at the end of the tick for everything rhea queued, and the AMQP transport encodes each
 * frame as it is queued, back to back into one reused buffer (AMQP 1.0 §2.3: a frame is its
 * 4-byte size, data offset 2, type, channel, the performative, then the payload — what rhea's
 * `frames.write_frame` writes), handing the socket one chunk. Frame order is rhea's. Returns
 * false, changing nothing (rhea writes as it always does), when the rhea internals this relies
 * on are not there (rhea-internals.ts: what to recheck on a rhea upgrade).
 */
export function batchFrameWrites(connection: Connection): boolean {
  if (missingRheaInternals(connection).length > 0) return false;
  const c = connection as unknown as RheaConnectionInternals;
  const output = c.output;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    output.call(c);
  };
  c.output = () => {
    if (scheduled) return;
    scheduled = true;
    process.nextTick(flush);
  };
  const transport = c.amqp_transport;
  let writer = new rheaTypes.Writer(Buffer.allocUnsafe(64 * 1024));
  writer.position = 0;
  let failed: unknown;
  // Encoded when rhea queues the frame, as its own encoder does (rhea changes a performative
  // after queuing it, e.g. a close's error); only the write waits for the end of the tick.
  transport.encode = (frame: RheaFrame) => {
    const start = writer.position;
    try {
      writer.skip(4);
      writer.write_uint(2, 1);
      writer.write_uint(frame.type, 1);
      writer.write_uint(frame.type === TYPE_AMQP ? frame.channel : 0, 2);
      if (frame.performative) {
        if (!writeTransfer(writer, frame.performative)) writer.write(frame.performative);
        if (frame.payload) writer.write_bytes(frame.payload);
      }
      writer.buffer.writeUInt32BE(writer.position - start, start);
    } catch (error) {
      // Raised from `write`, inside rhea's output, which reports it and ends the socket as before.
      writer.position = start;
      failed ??= error;
    }
  };
  transport.has_writes_pending = function (this: RheaTransport) {
    return writer.position > 0 || !this.header_sent;
  };
  transport.write = function (this: RheaTransport, socket: Duplex) {
    if (!this.header_sent) {
      // AMQP 1.0 §2.2: "AMQP", protocol id, version 1.0.0.
      socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, this.protocol_id, 1, 0, 0]));
      this.header_sent = { protocol_id: this.protocol_id, major: 1, minor: 0, revision: 0 };
    }
    if (failed !== undefined) {
      const error = failed;
      failed = undefined;
      throw error;
    }
    if (writer.position === 0) return;
    const chunk = Buffer.allocUnsafe(writer.position);
    writer.buffer.copy(chunk, 0, 0, writer.position);
    socket.write(chunk);
    writer.position = 0;
    // A buffer grown for a burst of large frames is not kept.
    if (writer.buffer.length > 1024 * 1024) writer = new rheaTypes.Writer(Buffer.allocUnsafe(64 * 1024));
  };
  return true;
}
