import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { newFrameScan, scanFrames } from '../../../runtime/hub/amqp/frame-guard.js';
import { FRAMES_PER_TURN, limitFramesPerTurn } from '../../../runtime/hub/amqp/frames-per-turn.js';

const header = (id: number) => Buffer.from([0x41, 0x4d, 0x51, 0x50, id, 1, 0, 0]);
/** A frame of `size` bytes whose body bytes are `tag`. */
const frame = (size: number, tag = 0) => {
  const b = Buffer.alloc(size, tag);
  b.writeUInt32BE(size, 0);
  return b;
};

describe('scanning AMQP frames', () => {
  it('counts protocol headers and frames that end in a piece, whatever the split', () => {
    const stream = Buffer.concat([header(3), frame(40), header(0), frame(100), frame(8), frame(1024)]);
    for (const step of [1, 2, 5, 13, 64, stream.length]) {
      const scan = newFrameScan();
      let units = 0;
      for (let i = 0; i < stream.length; i += step) units += scanFrames(scan, stream.subarray(i, i + step), 0, Infinity, 1024).units;
      expect(units, `split every ${step} bytes`).toBe(6);
      expect(scan.failed).toBeUndefined();
    }
  });

  it('stops right after the n-th frame and goes on from there', () => {
    const chunk = Buffer.concat([header(0), frame(10), frame(20), frame(30)]);
    const scan = newFrameScan();
    expect(scanFrames(scan, chunk, 0, 2, 1024)).toEqual({ offset: 18, units: 2 });
    expect(scanFrames(scan, chunk, 18, 5, 1024)).toEqual({ offset: chunk.length, units: 2 });
  });

  it('stops at once when asked for no frame', () => {
    expect(scanFrames(newFrameScan(), header(0), 0, 0, 1024)).toEqual({ offset: 0, units: 0 });
  });
});

/** rhea's reader, recording what it is handed per turn. */
function fakeRhea() {
  const turns: Buffer[][] = [[]];
  return {
    turns,
    input(buff: Buffer) {
      turns.at(-1)!.push(Buffer.from(buff));
    },
    nextTurn() {
      turns.push([]);
    },
  };
}

/** A fake rhea reader behind the limiter, on a stream of its own. */
function limited(framesPerTurn?: number) {
  const rhea = fakeRhea();
  const stream = new PassThrough();
  limitFramesPerTurn(rhea, stream, 1024, framesPerTurn);
  return { rhea, stream };
}

describe('handing rhea at most 32 frames of a connection per event-loop turn', () => {
  it('splits one read of a header and 100 frames into turns of 32, 32, 32 and 5, in order, pausing the socket meanwhile', async () => {
    const { rhea, stream } = limited();
    const frames = Array.from({ length: 100 }, (_, i) => frame(12, i));
    const all = Buffer.concat([header(0), ...frames]);
    rhea.input(all); // header + 100 frames = 101 units
    expect(stream.isPaused()).toBe(true);
    for (let i = 0; i < 4; i++) {
      rhea.nextTurn(); // the limiter's next turn runs before this test's awaited one
      await nextTurn();
    }
    const perTurn = rhea.turns.map((t) => Buffer.concat(t).length);
    expect(perTurn).toEqual([8 + 31 * 12, 32 * 12, 32 * 12, 5 * 12, 0]);
    expect(Buffer.concat(rhea.turns.flat()).equals(all)).toBe(true);
    expect(stream.isPaused()).toBe(false);
  });

  it('counts the frames of every read in a turn together, and a frame split across reads once', async () => {
    const { rhea, stream } = limited(4);
    const bytes = Buffer.concat([header(0), frame(10), frame(10), frame(10), frame(10), frame(10)]);
    rhea.input(bytes.subarray(0, 13)); // header + 5 bytes of the first frame
    rhea.input(bytes.subarray(13, 33)); // the rest of frame 1, frame 2, 3 bytes of frame 3
    expect(Buffer.concat(rhea.turns[0]!).length).toBe(33);
    rhea.input(bytes.subarray(33)); // frame 3 completes the 4 of this turn; 4 and 5 wait
    expect(Buffer.concat(rhea.turns[0]!).length).toBe(38);
    expect(stream.isPaused()).toBe(true);
    await nextTurn();
    expect(Buffer.concat(rhea.turns.flat()).equals(bytes)).toBe(true);
    expect(stream.isPaused()).toBe(false);
  });

  it('keeps the order of what arrives while a rest is held', async () => {
    const { rhea } = limited(2);
    const first = Buffer.concat([header(0), frame(9, 1), frame(9, 2), frame(9, 3)]);
    const later = frame(9, 4);
    rhea.input(first);
    rhea.input(later); // arrived before the pause took effect
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(Buffer.concat(rhea.turns.flat()).equals(Buffer.concat([first, later]))).toBe(true);
  });

  it('passes a malformed stream on as it came (the frame guard closes it)', () => {
    const { rhea, stream } = limited();
    rhea.input(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(Buffer.concat(rhea.turns[0]!).toString()).toBe('GET / HTTP/1.1\r\n');
    expect(stream.isPaused()).toBe(false);
  });

  it('is 32 frames, as the MQTT head is 32 packets', () => {
    expect(FRAMES_PER_TURN).toBe(32);
  });
});
