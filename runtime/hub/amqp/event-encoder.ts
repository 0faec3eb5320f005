import type { StoredMessage } from '../store/message-store.js';

/**
 * A stored message as the bytes of one AMQP 1.0 message (§3.2 "Message Format") for the Event
 * Hubs-compatible endpoint, written straight from the stored fields: message annotations
 * (`x-opt-sequence-number`, `x-opt-offset`, `x-opt-enqueued-time`, `x-opt-partition-key` and
 * IoT Hub's system properties, learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin),
 * the properties section, application properties, the body as one data section. The same
 * message `toEventHubMessage` (event-hub-reader.ts) describes for rhea's encoder, without its
 * per-field wrapper objects: the reader's hot path, one scratch buffer, constant keys encoded once.
 */
export function encodeEventHubMessage(m: StoredMessage, partitionKey: string): Buffer {
  const w = writer;
  w.pos = 0;
  const sys = m.systemProperties;
  const enqueuedMs = isoMs(m.enqueuedTimeUtc);

  // message-annotations (§3.2.3): a map of symbol keys.
  w.raw(SECTION_ANNOTATIONS);
  const annotations = w.openCompound(MAP32);
  let entries = 0;
  w.raw(KEY.sequenceNumber);
  w.long(m.seq);
  w.raw(KEY.offset);
  w.str(String(m.seq));
  w.raw(KEY.enqueuedTime);
  w.timestamp(enqueuedMs);
  w.raw(KEY.partitionKey);
  w.str(partitionKey);
  w.raw(KEY.deviceId);
  w.str(sys.cdid ?? m.deviceId);
  entries += 5;
  const moduleId = sys.cmid ?? m.moduleId;
  if (moduleId !== undefined) {
    w.raw(KEY.moduleId);
    w.str(moduleId);
    entries++;
  }
  w.raw(CONSTANT_ANNOTATIONS_BEFORE_TIME);
  w.raw(KEY.iothubEnqueuedTime);
  w.timestamp(enqueuedMs);
  w.raw(CONSTANT_ANNOTATIONS_AFTER_TIME);
  entries += 3;
  if (sys.ifid !== undefined) {
    w.raw(KEY.interfaceId);
    w.str(sys.ifid);
    entries++;
  }
  if (sys.sub !== undefined) {
    w.raw(KEY.subject);
    w.str(sys.sub);
    entries++;
  }
  w.closeCompound(annotations, entries * 2);

  // properties (§3.2.4): a list up to its last field present, absent ones null.
  const fields = [sys.mid, sys.uid, sys.to, undefined, undefined, sys.cid, sys.ct, sys.ce, sys.exp, sys.ctime];
  let last = -1;
  for (let i = 0; i < fields.length; i++) if (fields[i] !== undefined && !(i >= 8 && Number.isNaN(Date.parse(fields[i]!)))) last = i;
  if (last >= 0) {
    w.raw(SECTION_PROPERTIES);
    const list = w.openCompound(LIST32);
    for (let i = 0; i <= last; i++) {
      const v = fields[i];
      if (v === undefined) w.u8(NULL);
      else if (i === 1) w.binary(Buffer.from(v));
      else if (i === 6 || i === 7) w.sym(v);
      else if (i >= 8) {
        const ms = Date.parse(v);
        if (Number.isNaN(ms)) w.u8(NULL);
        else w.timestamp(ms);
      } else w.str(v);
    }
    w.closeCompound(list, last + 1);
  }

  // application-properties (§3.2.5): string keys, here string values.
  let props = 0;
  for (const _ in m.properties) props++;
  if (props > 0) {
    w.raw(SECTION_APPLICATION_PROPERTIES);
    const map = w.openCompound(MAP32);
    for (const k in m.properties) {
      w.str(k);
      w.str(m.properties[k]!);
    }
    w.closeCompound(map, props * 2);
  }

  // data (§3.2.6): the body as it was sent.
  w.raw(SECTION_DATA);
  w.binary(m.body);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// AMQP 1.0 §1.6 type codes.
const NULL = 0x40;
const VBIN8 = 0xa0;
const VBIN32 = 0xb0;
const STR8 = 0xa1;
const STR32 = 0xb1;
const SYM8 = 0xa3;
const SYM32 = 0xb3;
const LONG = 0x81;
const TIMESTAMP = 0x83;
const LIST32 = 0xd0;
const MAP32 = 0xd1;

/** A described section: 0x00, then the descriptor as a smallulong (0x53), then the code (§1.5, §3.2). */
const section = (code: number) => Buffer.from([0x00, 0x53, code]);
const SECTION_ANNOTATIONS = section(0x72);
const SECTION_PROPERTIES = section(0x73);
const SECTION_APPLICATION_PROPERTIES = section(0x74);
const SECTION_DATA = section(0x75);

class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  raw(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** A 64-bit value from a non-negative safe integer. */
  private u64(v: number): void {
    this.room(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000) >>> 0, this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }

  long(v: number): void {
    this.u8(LONG);
    if (v >= 0) this.u64(v);
    else {
      this.room(8);
      this.buf.writeBigInt64BE(BigInt(v), this.pos);
      this.pos += 8;
    }
  }

  timestamp(ms: number): void {
    this.u8(TIMESTAMP);
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(ms), this.pos);
    this.pos += 8;
  }

  private text(s: string, code8: number, code32: number): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.room(5 + n);
    if (n <= 0xff) {
      this.buf[this.pos++] = code8;
      this.buf[this.pos++] = n;
    } else {
      this.buf[this.pos++] = code32;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  str(s: string): void {
    this.text(s, STR8, STR32);
  }

  sym(s: string): void {
    this.text(s, SYM8, SYM32);
  }

  binary(b: Buffer): void {
    this.room(5 + b.length);
    if (b.length <= 0xff) {
      this.buf[this.pos++] = VBIN8;
      this.buf[this.pos++] = b.length;
    } else {
      this.buf[this.pos++] = VBIN32;
      this.buf.writeUInt32BE(b.length, this.pos);
      this.pos += 4;
    }
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** A list32 or map32 (§1.6.22–1.6.24): code, size and count patched by `closeCompound`. */
  openCompound(code: number): number {
    this.room(9);
    this.buf[this.pos] = code;
    const at = this.pos + 1;
    this.pos += 9;
    return at;
  }

  closeCompound(at: number, count: number): void {
    this.buf.writeUInt32BE(this.pos - at - 4, at);
    this.buf.writeUInt32BE(count, at + 4);
  }
}

const writer = new Writer();

/** Bytes encoded once with a writer of their own (keys and constant entries). */
const encoded = (f: (w: Writer) => void): Buffer => {
  const w = new Writer();
  f(w);
  return Buffer.from(w.buf.subarray(0, w.pos));
};
const symbol = (s: string) => encoded((w) => w.sym(s));
const KEY = {
  sequenceNumber: symbol('x-opt-sequence-number'),
  offset: symbol('x-opt-offset'),
  enqueuedTime: symbol('x-opt-enqueued-time'),
  partitionKey: symbol('x-opt-partition-key'),
  deviceId: symbol('iothub-connection-device-id'),
  moduleId: symbol('iothub-connection-module-id'),
  iothubEnqueuedTime: symbol('iothub-enqueuedtime'),
  interfaceId: symbol('iothub-interface-id'),
  subject: symbol('dt-subject'),
};
/** IoT Hub stamps telemetry with how the device authenticated and where the message came from. */
export const AUTH_METHOD = '{"scope":"device","type":"sas","issuer":"iothub"}';
export const MESSAGE_SOURCE = 'Telemetry';
const CONSTANT_ANNOTATIONS_BEFORE_TIME = encoded((w) => {
  w.sym('iothub-connection-auth-method');
  w.str(AUTH_METHOD);
});
const CONSTANT_ANNOTATIONS_AFTER_TIME = encoded((w) => {
  w.sym('iothub-message-source');
  w.str(MESSAGE_SOURCE);
});

let lastIso = '';
let lastMs = 0;
/** Milliseconds of an ISO time, parsed once for a run of messages enqueued in the same millisecond. */
const isoMs = (iso: string): number => {
  if (iso !== lastIso) {
    lastIso = iso;
    const ms = Date.parse(iso);
    lastMs = Number.isFinite(ms) ? ms : 0;
  }
  return lastMs;
};
