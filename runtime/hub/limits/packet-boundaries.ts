/**
 * Where MQTT control packets end in a byte stream that arrives in chunks, without parsing them:
 * each packet is a fixed-header byte, its remaining length in one to four bytes (7 bits each,
 * low bits first, the high bit saying another byte follows), then that many bytes (MQTT 3.1.1
 * §2.2, §2.2.3; the same in MQTT 5 §2.1). A reader uses it to stop after a number of whole
 * packets and hand the rest of a chunk on later (docs/hub.md "Limits": packets per turn).
 *
 * Give every byte of the stream once, in order. When `afterPackets` returns an offset short of
 * the chunk's end, the rest of the chunk starts at a packet boundary and is given again, as
 * (the start of) a later chunk.
 */
/**
 * An MQTT remaining length at `at` (MQTT 3.1.1 §2.2.3: one to four bytes, 7 bits each, low bits
 * first, the high bit saying another byte follows): its value and the offset after it, `short`
 * when `end` comes first, `malformed` past four bytes.
 */
export function readRemainingLength(buf: Uint8Array, at: number, end: number): { length: number; next: number } | 'short' | 'malformed' {
  let length = 0;
  let multiplier = 1;
  for (let i = at; i < at + 4; i++) {
    if (i >= end) return 'short';
    const byte = buf[i]!;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { length, next: i + 1 };
    multiplier *= 128;
  }
  return 'malformed';
}

export class MqttPacketBoundaries {
  /** Bytes of the current packet still to come after its fixed header. */
  private body = 0;
  /** The start of a fixed header the previous chunk ended in (its type byte and some length bytes). */
  private head: Uint8Array | undefined;
  /** A remaining length longer than four bytes: no boundary can be trusted after it. */
  private malformed = false;

  /**
   * The offset in `chunk` just after the `max`-th packet that ends in it, or `chunk.length`
   * when fewer end there (or the stream is malformed: its reader closes the connection).
   */
  afterPackets(chunk: Uint8Array, max: number): number {
    const end = chunk.length;
    let at = 0;
    let ended = 0;
    while (at < end && !this.malformed) {
      if (this.body > 0) {
        const take = Math.min(this.body, end - at);
        at += take;
        this.body -= take;
        if (this.body > 0) break;
        if (++ended === max) return at;
        continue;
      }
      // A fixed header: the type byte, then the remaining length; it may have begun in the previous chunk.
      const head = this.head;
      const header = head ? Buffer.concat([head, chunk.subarray(at, at + 5 - head.length)]) : chunk;
      const start = head ? 0 : at;
      const length = readRemainingLength(header, start + 1, head ? header.length : end);
      if (length === 'malformed') {
        this.malformed = true;
        break;
      }
      if (length === 'short') {
        this.head = new Uint8Array(header.subarray(start)); // a copy: the chunk is not ours to keep
        return end;
      }
      this.head = undefined;
      at = head ? at + length.next - head.length : length.next;
      this.body = length.length;
      if (length.length === 0 && ++ended === max) return at;
    }
    return end;
  }
}
