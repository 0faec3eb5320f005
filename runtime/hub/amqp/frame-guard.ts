/**
 * Where one piece of an AMQP byte stream stands: inside a frame body, or in the bytes of the
 * next protocol header or frame size (AMQP 1.0 §2.2 protocol header: `AMQP` + protocol id +
 * version, 8 bytes; §2.3.1 frame: a 4-byte size that counts itself, then the rest).
 */
export interface FrameScan {
  /** Bytes of the current frame body still to pass. */
  skip: number;
  /** Bytes of the next header or frame size read so far (at most 8). */
  head: Buffer;
  headLength: number;
  /** A connection starts with a protocol header. */
  expectHeader: boolean;
  /** Why the stream is not AMQP the hub speaks (set once, then every scan stops at once). */
  failed: string | undefined;
}

export const newFrameScan = (): FrameScan => ({ skip: 0, head: Buffer.alloc(8), headLength: 0, expectHeader: true, failed: undefined });

const AMQP = 0x414d5150; // 'AMQP'

/**
 * Reads `chunk` from `from` and stops right after the `maxUnits`-th protocol header or frame
 * that ends in it (or at its end); returns the offset reached and how many ended. Frame sizes
 * are checked against `maxFrameBytes` and headers against what the hub speaks (protocol id 0
 * or 3 (SASL), version 1.0.0): a violation sets `scan.failed` and stops.
 */
export function scanFrames(scan: FrameScan, chunk: Buffer, from: number, maxUnits: number, maxFrameBytes: number): { offset: number; units: number } {
  let offset = from;
  let units = 0;
  while (offset < chunk.length && units < maxUnits && scan.failed === undefined) {
    if (scan.skip > 0) {
      const n = Math.min(scan.skip, chunk.length - offset);
      scan.skip -= n;
      offset += n;
      if (scan.skip === 0) units++;
      continue;
    }
    // Header bytes: 4, then 4 more when they spell AMQP (a protocol header).
    const want = scan.headLength >= 4 && scan.head.readUInt32BE(0) === AMQP ? 8 : 4;
    const take = Math.min(want - scan.headLength, chunk.length - offset);
    chunk.copy(scan.head, scan.headLength, offset, offset + take);
    scan.headLength += take;
    offset += take;
    if (scan.headLength < want) continue;
    if (want === 4 && scan.head.readUInt32BE(0) === AMQP) continue; // a protocol header: read 4 more bytes
    scan.headLength = 0;
    if (want === 8) {
      const [id, major, minor, revision] = [scan.head[4], scan.head[5], scan.head[6], scan.head[7]];
      if ((id !== 0 && id !== 3) || major !== 1 || minor !== 0 || revision !== 0) {
        scan.failed = `unsupported protocol header ${scan.head.toString('hex')} (AMQP 1.0.0, plain or SASL, is spoken here)`;
        break;
      }
      scan.expectHeader = false;
      units++;
      continue;
    }
    if (scan.expectHeader) {
      scan.failed = 'the peer did not start with an AMQP protocol header';
      break;
    }
    const size = scan.head.readUInt32BE(0);
    if (size < 8) scan.failed = `frame size ${size} is below the AMQP minimum of 8 bytes`;
    else if (size > maxFrameBytes) scan.failed = `frame of ${size} bytes exceeds the announced max-frame-size of ${maxFrameBytes}`;
    else scan.skip = size - 4;
  }
  return { offset, units };
}

/**
 * Watches the bytes a peer sends before the AMQP library reads them: every frame's size
 * (AMQP 1.0 §2.3.1: a 4-byte size, at least 8) must not exceed the `max-frame-size` the hub
 * announced, and each protocol header (§2.2: `AMQP` + protocol id 0 or 3 (SASL) + version
 * 1.0.0) must be one the hub speaks. The library itself would buffer a frame of any announced
 * size; the guard lets the head close such a peer at once. Returns the reason to close, or
 * undefined while the stream is well-formed.
 */
export function createFrameGuard(maxFrameBytes: number): (chunk: Buffer) => string | undefined {
  const scan = newFrameScan();
  return (chunk) => {
    if (scan.failed === undefined) scanFrames(scan, chunk, 0, Infinity, maxFrameBytes);
    return scan.failed;
  };
}
