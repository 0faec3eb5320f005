/**
 * Watches the bytes a peer sends before the AMQP library reads them: every frame's size
 * (AMQP 1.0 §2.3.1: a 4-byte size, at least 8) must not exceed the `max-frame-size` the hub
 * announced, and each protocol header (§2.2: `AMQP` + protocol id 0 or 3 (SASL) + version
 * 1.0.0) must be one the hub speaks. The library itself would buffer a frame of any announced
 * size; the guard lets the head close such a peer at once. Returns the reason to close, or
 * undefined while the stream is well-formed.
 */
export function createFrameGuard(maxFrameBytes: number): (chunk: Buffer) => string | undefined {
  let skip = 0; // bytes of the current frame body still to pass
  let head = Buffer.alloc(0); // bytes of the next header or frame size, not yet complete
  let failed: string | undefined;
  let expectHeader = true; // a connection starts with a protocol header
  return (chunk) => {
    if (failed) return failed;
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - offset);
        skip -= n;
        offset += n;
        continue;
      }
      const want = head.length >= 4 && head.subarray(0, 4).toString('latin1') === 'AMQP' ? 8 : 4;
      const take = Math.min(want - head.length, chunk.length - offset);
      head = Buffer.concat([head, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (head.length < want) continue;
      if (want === 4 && head.toString('latin1') === 'AMQP') continue; // a protocol header: read 4 more bytes
      if (want === 8) {
        const [id, major, minor, revision] = [head[4], head[5], head[6], head[7]];
        if ((id !== 0 && id !== 3) || major !== 1 || minor !== 0 || revision !== 0) return (failed = `unsupported protocol header ${head.toString('hex')} (AMQP 1.0.0, plain or SASL, is spoken here)`);
        head = Buffer.alloc(0);
        expectHeader = false;
        continue;
      }
      if (expectHeader) return (failed = 'the peer did not start with an AMQP protocol header');
      const size = head.readUInt32BE(0);
      head = Buffer.alloc(0);
      if (size < 8) return (failed = `frame size ${size} is below the AMQP minimum of 8 bytes`);
      if (size > maxFrameBytes) return (failed = `frame of ${size} bytes exceeds the announced max-frame-size of ${maxFrameBytes}`);
      skip = size - 4;
    }
    return undefined;
  };
}
