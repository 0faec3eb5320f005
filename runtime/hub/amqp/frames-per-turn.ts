import type { Duplex } from 'node:stream';
import { newFrameScan, scanFrames } from './frame-guard.js';

/** Frames (and protocol headers) of one AMQP connection handed to rhea per event-loop turn. */
export const FRAMES_PER_TURN = 32;

/** What of rhea's `Connection` the limiter replaces: the reader `init` binds to the socket's 'data' (lib/connection.js). */
export interface RheaInput {
  input(buff: Buffer): void;
}

/**
 * A connection's bytes reach rhea at most `framesPerTurn` frames per event-loop turn, as the
 * MQTT head handles at most 32 packets of one connection per turn: rhea decodes and dispatches
 * every frame of a read at once, so a peer packing hundreds of frames into one TLS record would
 * hold the loop while all of them are handled (500 token-less link attaches in one tick held it
 * up to 98 ms, docs/hub.md "Limits"). The rest of a read waits for the next turn, the socket paused
 * meanwhile (its buffer and TCP hold what the peer sends), so frames still reach rhea in the
 * order sent. Install before `connection.accept(stream)`: `init` binds `this.input`.
 */
export function limitFramesPerTurn(connection: RheaInput, stream: Duplex, maxFrameBytes: number, framesPerTurn = FRAMES_PER_TURN): void {
  const input = connection.input.bind(connection);
  const scan = newFrameScan();
  let used = 0;
  let turnScheduled = false;
  let rest: Buffer | undefined;

  const nextTurn = () => {
    used = 0;
    turnScheduled = false;
    if (rest === undefined) return;
    const held = rest;
    rest = undefined;
    feed(held);
    if (rest === undefined && !stream.destroyed) stream.resume();
  };

  const feed = (chunk: Buffer) => {
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(nextTurn);
    }
    const { offset, units } = scanFrames(scan, chunk, 0, framesPerTurn - used, maxFrameBytes);
    used += units;
    // A malformed stream is the frame guard's to close; rhea gets it as it came.
    if (offset >= chunk.length || scan.failed !== undefined) {
      input(chunk);
      return;
    }
    if (offset > 0) input(chunk.subarray(0, offset));
    rest = chunk.subarray(offset);
    stream.pause();
  };

  connection.input = (chunk: Buffer) => {
    if (rest !== undefined) {
      // Read before the pause took effect: it goes after what is held.
      rest = Buffer.concat([rest, chunk]);
      stream.pause();
      return;
    }
    feed(chunk);
  };
}
