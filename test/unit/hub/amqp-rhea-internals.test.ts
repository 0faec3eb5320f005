import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import rhea, { type Connection } from 'rhea';
import { batchFrameWrites } from '../../../runtime/hub/amqp/frame-writer.js';
import { missingRheaInternals, RHEA_VERSION } from '../../../runtime/hub/amqp/rhea-internals.js';
import { takeCompleteTransfers } from '../../../runtime/hub/amqp/incoming-deliveries.js';
import { watchTransferFrames } from '../../../runtime/hub/amqp/transfer-frames.js';

/*
 * The AMQP head relies on rhea internals (runtime/hub/amqp/rhea-internals.ts lists them). This
 * fails — before any AMQP test does something odd — when rhea is no longer the pinned version,
 * when an internal is gone, or when the batched frame writer no longer writes exactly the bytes
 * rhea's own frame encoder writes.
 */
const require = createRequire(import.meta.url);
interface RheaFrames {
  TYPE_AMQP: number;
  amqp_frame(channel: number, performative: unknown, payload?: Buffer): { channel: number; type: number; performative: unknown; payload?: Buffer };
  write_frame(frame: unknown): Buffer;
  [name: string]: unknown;
}
const frames = require('rhea/lib/frames.js') as RheaFrames;
const performative = (name: string, fields: object): unknown => (frames[name] as (f: object) => { described(): unknown })(fields).described();
const transport = (c: Connection) => (c as unknown as { amqp_transport: { encode(f: unknown): void; write(s: Writable): void } }).amqp_transport;

/** A socket stand-in that keeps what is written. */
const capture = () => {
  const chunks: Buffer[] = [];
  const socket = new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk), done()) });
  return { socket, bytes: () => Buffer.concat(chunks), writes: () => chunks.length };
};

describe('the rhea internals the AMQP head relies on', () => {
  it('is the rhea version pinned exactly in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.rhea).toBe(RHEA_VERSION);
    const installed = JSON.parse(readFileSync(require.resolve('rhea/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(RHEA_VERSION);
  });

  it("finds every internal on rhea's connections and sessions, and names those an object lacks", () => {
    const connection = rhea.create_container().create_connection({} as never);
    const session = (connection as unknown as { create_session(): Parameters<typeof missingRheaInternals>[1] }).create_session();
    expect(missingRheaInternals(connection, session)).toEqual([]);
    expect(missingRheaInternals({} as Connection, {} as never)).toEqual([
      'connection.output()',
      'connection.input()',
      'connection._write_frame() calling amqp_transport.encode',
      'connection.amqp_transport',
      'session.incoming.on_transfer()',
      'session.incoming.update()',
      'session.incoming.deliveries.push()',
    ]);
    // Without the internals the head changes nothing and writes as rhea does.
    expect(batchFrameWrites({} as Connection)).toBe(false);
    expect(watchTransferFrames({} as never, () => true)).toBe(false);
    expect(takeCompleteTransfers({} as never, () => {})).toBe(false);
  });

  it("writes the frames rhea queues byte for byte as rhea's own encoder, in one socket write", () => {
    const connection = rhea.create_container().create_connection({} as never);
    expect(batchFrameWrites(connection)).toBe(true);
    const queued = [
      frames.amqp_frame(0, performative('open', { container_id: 'hub', max_frame_size: 65536, channel_max: 15, idle_time_out: 240000 })),
      frames.amqp_frame(1, performative('begin', { remote_channel: 0, next_outgoing_id: 0, incoming_window: 2048, outgoing_window: 4294967295 })),
      frames.amqp_frame(1, performative('attach', { name: 'l', handle: 0, role: true, max_message_size: 327680 })),
      frames.amqp_frame(1, performative('flow', { next_incoming_id: 0, incoming_window: 2048, next_outgoing_id: 0, outgoing_window: 10, handle: 0, delivery_count: 0, link_credit: 102 })),
      frames.amqp_frame(1, performative('transfer', { handle: 0, delivery_id: 7, delivery_tag: Buffer.from([7]), message_format: 0, settled: true, more: false }), Buffer.alloc(300, 9)),
      // Transfers (written by the head's own fast path): every width of uint, a long tag, unsettled, more.
      frames.amqp_frame(3, performative('transfer', { handle: 5, delivery_id: 70_000, delivery_tag: Buffer.alloc(32, 1), message_format: 300, settled: false, more: true }), Buffer.alloc(70_000, 3)),
      frames.amqp_frame(3, performative('transfer', { handle: 256, delivery_id: 255 })),
      frames.amqp_frame(3, performative('transfer', { handle: 1, delivery_id: 2, delivery_tag: Buffer.alloc(0), settled: true, rcv_settle_mode: 1 })),
      frames.amqp_frame(1, performative('close', { error: { condition: 'amqp:internal-error', description: 'x' } })),
      { channel: 0, type: frames.TYPE_AMQP }, // an empty frame (heartbeat)
    ];
    for (const f of queued) transport(connection).encode(f);
    const out = capture();
    transport(connection).write(out.socket);
    const header = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    expect(out.bytes().equals(Buffer.concat([header, ...queued.map((f) => frames.write_frame(f))]))).toBe(true);
    expect(out.writes()).toBe(2); // the protocol header, then every frame in one chunk
  });
});
