import { describe, expect, it } from 'vitest';
import { MqttPacketBoundaries } from '../../../../runtime/hub/limits/packet-boundaries.js';

/** A packet with fixed-header byte `type` and `bodyBytes` bytes after its remaining length. */
function mqttPacket(type: number, bodyBytes: number): Buffer {
  const length: number[] = [];
  let n = bodyBytes;
  do {
    length.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...length]), Buffer.alloc(bodyBytes, 0x61)]);
}

describe('MqttPacketBoundaries', () => {
  it('ends a chunk after the given number of whole packets, and the rest starts at a packet boundary', () => {
    const packets = [mqttPacket(0x30, 33), mqttPacket(0xc0, 0), mqttPacket(0x32, 200), mqttPacket(0x40, 2)];
    const stream = Buffer.concat(packets);
    const b = new MqttPacketBoundaries();
    const first = b.afterPackets(stream, 2);
    expect(first).toBe(packets[0]!.length + packets[1]!.length);
    // The rest is given again: the next two packets, then nothing is left.
    const rest = stream.subarray(first);
    expect(b.afterPackets(rest, 2)).toBe(rest.length);
    expect(b.afterPackets(rest.subarray(0, 0), 2)).toBe(0);
  });

  it('follows packets, and remaining lengths of one to four bytes, split anywhere across chunks', () => {
    const small = [mqttPacket(0x30, 127), mqttPacket(0x30, 128), mqttPacket(0xd0, 0), mqttPacket(0x30, 16_384), mqttPacket(0x40, 2)];
    // Remaining lengths of 1, 2, 3 and 4 bytes (§2.2.3: up to 127, 16,383, 2,097,151, more).
    const large = [mqttPacket(0x30, 127), mqttPacket(0x30, 16_383), mqttPacket(0x30, 16_384), mqttPacket(0x30, 2_097_152), mqttPacket(0xc0, 0)];
    for (const [packets, sizes] of [
      [small, [1, 2, 3, 7, 1000]],
      [large, [1000, 65_536, Number.POSITIVE_INFINITY]],
    ] as const) {
      check(packets, sizes);
    }
  });

  function check(packets: readonly Buffer[], sizes: readonly number[]): void {
    const stream = Buffer.concat(packets);
    const packetEnds = packets.map((_, i) => packets.slice(0, i + 1).reduce((a, p) => a + p.length, 0));
    for (const size of sizes) {
      const b = new MqttPacketBoundaries();
      // One packet at a time: an offset short of the chunk's end is where a packet ends; a packet
      // that ends with a chunk is not told apart from one that goes on (nothing is left to hand on).
      const ends: number[] = [];
      const chunkEnds = new Set<number>();
      let offset = 0;
      while (offset < stream.length) {
        const chunk = stream.subarray(offset, offset + size);
        const end = b.afterPackets(chunk, 1);
        offset += end;
        if (end < chunk.length) ends.push(offset);
        else chunkEnds.add(offset);
      }
      expect(ends).toEqual(packetEnds.filter((e) => !chunkEnds.has(e)));
    }
  }

  it('never ends a chunk early after a remaining length longer than four bytes', () => {
    const b = new MqttPacketBoundaries();
    const malformed = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0xc0, 0x00, 0xc0, 0x00]);
    expect(b.afterPackets(malformed, 1)).toBe(malformed.length);
    expect(b.afterPackets(Buffer.from([0xc0, 0x00, 0xc0, 0x00]), 1)).toBe(4);
  });
});
