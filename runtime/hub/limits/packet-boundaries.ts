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
export class MqttPacketBoundaries {
  /** Bytes of the current packet still to come after its fixed header. */
  private body = 0;
  /** Fixed-header bytes of the current packet seen so far (0: at a packet boundary). */
  private header = 0;
  private length = 0;
  private multiplier = 1;
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
        this.header = 0;
        if (++ended === max) return at;
        continue;
      }
      const byte = chunk[at++]!;
      if (this.header++ === 0) {
        // the type byte; the remaining length follows
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        if (this.header === 5) this.malformed = true;
        continue;
      }
      if (this.length > 0) {
        this.body = this.length;
        continue;
      }
      this.header = 0;
      if (++ended === max) return at;
    }
    return end;
  }
}
