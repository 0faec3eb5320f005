import { describe, expect, it } from 'vitest';
import { createFrameGuard } from '../../../runtime/hub/amqp/frame-guard.js';

const header = (id: number) => Buffer.from([0x41, 0x4d, 0x51, 0x50, id, 1, 0, 0]);
const frame = (size: number) => {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(size, 0);
  return b;
};

describe('the AMQP frame guard', () => {
  it('passes a SASL header, frames, the AMQP header and frames, split at any byte', () => {
    const stream = Buffer.concat([header(3), frame(40), header(0), frame(100), frame(1024)]);
    for (const step of [1, 3, 7, 64, stream.length]) {
      const guard = createFrameGuard(1024);
      for (let i = 0; i < stream.length; i += step) expect(guard(stream.subarray(i, i + step))).toBeUndefined();
    }
  });

  it('closes on a frame larger than the announced max-frame-size', () => {
    const guard = createFrameGuard(1024);
    expect(guard(header(0))).toBeUndefined();
    expect(guard(frame(1025).subarray(0, 4))).toMatch(/exceeds the announced max-frame-size of 1024/);
  });

  it('closes on garbage, a TLS protocol header and a frame below 8 bytes', () => {
    expect(createFrameGuard(1024)(Buffer.from('GET / HTTP/1.1\r\n'))).toMatch(/did not start with an AMQP protocol header/);
    expect(createFrameGuard(1024)(header(2))).toMatch(/unsupported protocol header/);
    const guard = createFrameGuard(1024);
    guard(header(0));
    expect(guard(Buffer.from([0, 0, 0, 4]))).toMatch(/below the AMQP minimum/);
    expect(guard(frame(8))).toMatch(/below the AMQP minimum/);
  });
});
