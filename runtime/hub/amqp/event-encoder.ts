import type { EventRow } from '../store/event-partition-index.js';
import { JsonStringPairs } from './json-string-pairs.js';

/**
 * A stored message as the bytes of one AMQP 1.0 message (§3.2 "Message Format") for the Event
 * Hubs-compatible endpoint, written straight from the stored row (store/event-partition-index.ts
 * `readRows`): message annotations (`x-opt-sequence-number`, `x-opt-offset`,
 * `x-opt-enqueued-time`, `x-opt-partition-key` and IoT Hub's system properties,
 * learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-read-builtin), the properties
 * section, application properties, the body as one data section. The same message
 * `fromHubProperties` (amqp-message.ts) describes for rhea's encoder, without its per-field
 * wrapper objects and without parsing the stored property JSON into objects: the reader's hot
 * path, one scratch buffer, constant keys encoded once.
 */
export function encodeEventHubMessage(row: EventRow, partitionKey: string): Buffer {
  const w = writer;
  w.pos = 0;
  const [seq, deviceId, storedModuleId, , enqueuedAt, systemProps, appProps, body] = row;
  const enqueuedMs = isoMs(enqueuedAt);
  // Where each system property the encoder places is among the stored ones (-1: absent).
  const sys = sysPairs.read(systemProps);
  at.fill(-1);
  for (let i = 0; i < sys.length; i += 2) {
    for (let f = 0; f < SYSTEM_KEYS.length; f++) {
      if (sys.is(i, SYSTEM_KEYS[f]!)) {
        at[f] = i + 1;
        break;
      }
    }
  }

  // message-annotations (§3.2.3): a map of symbol keys.
  w.raw(SECTION_ANNOTATIONS);
  const annotations = w.openCompound(MAP32);
  let entries = 0;
  w.raw(KEY.sequenceNumber);
  w.long(seq);
  w.raw(KEY.offset);
  w.str(String(seq));
  w.raw(KEY.enqueuedTime);
  w.timestamp(enqueuedMs);
  w.raw(KEY.partitionKey);
  w.str(partitionKey);
  w.raw(KEY.deviceId);
  if (at[CDID]! >= 0) w.entry(sys, at[CDID]!, STR8, STR32);
  else w.str(deviceId);
  entries += 5;
  if (at[CMID]! >= 0 || storedModuleId !== null) {
    w.raw(KEY.moduleId);
    if (at[CMID]! >= 0) w.entry(sys, at[CMID]!, STR8, STR32);
    else w.str(storedModuleId!);
    entries++;
  }
  w.raw(CONSTANT_ANNOTATIONS_BEFORE_TIME);
  w.raw(KEY.iothubEnqueuedTime);
  w.timestamp(enqueuedMs);
  w.raw(CONSTANT_ANNOTATIONS_AFTER_TIME);
  entries += 3;
  if (at[IFID]! >= 0) {
    w.raw(KEY.interfaceId);
    w.entry(sys, at[IFID]!, STR8, STR32);
    entries++;
  }
  if (at[SUB]! >= 0) {
    w.raw(KEY.subject);
    w.entry(sys, at[SUB]!, STR8, STR32);
    entries++;
  }
  w.closeCompound(annotations, entries * 2);

  // properties (§3.2.4): a list up to its last field present, absent ones (and unparseable
  // times) null.
  const expMs = at[EXP]! >= 0 ? Date.parse(sys.text(at[EXP]!)) : NaN;
  const ctimeMs = at[CTIME]! >= 0 ? Date.parse(sys.text(at[CTIME]!)) : NaN;
  let last = !Number.isNaN(ctimeMs) ? 9 : !Number.isNaN(expMs) ? 8 : -1;
  for (let f = 7; last < 0 && f >= 0; f--) if (PROPERTY_FIELDS[f]! >= 0 && at[PROPERTY_FIELDS[f]!]! >= 0) last = f;
  if (last >= 0) {
    w.raw(SECTION_PROPERTIES);
    const list = w.openCompound(LIST32);
    for (let f = 0; f <= last; f++) {
      const e = PROPERTY_FIELDS[f]! >= 0 ? at[PROPERTY_FIELDS[f]!]! : -1;
      if (f === 8) w.timestampOrNull(expMs);
      else if (f === 9) w.timestampOrNull(ctimeMs);
      else if (e < 0) w.u8(NULL);
      else if (f === 1) w.binary(Buffer.from(sys.text(e)));
      else if (f === 6 || f === 7) w.entry(sys, e, SYM8, SYM32);
      else w.entry(sys, e, STR8, STR32);
    }
    w.closeCompound(list, last + 1);
  }

  // application-properties (§3.2.5): string keys, here string values.
  const props = appPairs.read(appProps);
  if (props.length > 0) {
    w.raw(SECTION_APPLICATION_PROPERTIES);
    const map = w.openCompound(MAP32);
    for (let i = 0; i < props.length; i++) w.entry(props, i, STR8, STR32);
    w.closeCompound(map, props.length);
  }

  // data (§3.2.6): the body as it was sent.
  w.raw(SECTION_DATA);
  w.binary(body);
  // A copy of its own (the scratch buffer is reused): allocUnsafe takes small ones from Node's pool.
  const out = Buffer.allocUnsafe(w.pos);
  w.buf.copy(out, 0, 0, w.pos);
  return out;
}

/** System properties by wire name (message-store.ts HubMessage) the encoder places, and their slots. */
const SYSTEM_KEYS = ['mid', 'uid', 'to', 'cid', 'ct', 'ce', 'exp', 'ctime', 'cdid', 'cmid', 'ifid', 'sub'] as const;
const [MID, UID, TO, CID, CT, CE, EXP, CTIME, CDID, CMID, IFID, SUB] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
/**
 * The properties section's fields in order (§3.2.4: message-id, user-id, to, subject, reply-to,
 * correlation-id, content-type, content-encoding, absolute-expiry-time, creation-time) as system
 * property slots; -1: never set from a stored message.
 */
const PROPERTY_FIELDS = [MID, UID, TO, -1, -1, CID, CT, CE, EXP, CTIME];
const at = new Int32Array(SYSTEM_KEYS.length);
const sysPairs = new JsonStringPairs();
const appPairs = new JsonStringPairs();

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
    if (ms >= 0) {
      this.u8(TIMESTAMP);
      this.u64(ms);
      return;
    }
    this.u8(TIMESTAMP);
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(ms), this.pos);
    this.pos += 8;
  }

  /**
   * Entry `i` of `pairs` as a str or sym, copied from where it lies in the stored JSON (no
   * string made for short ASCII text).
   */
  entry(pairs: JsonStringPairs, i: number, code8: number, code32: number): void {
    const s = pairs.source[i]!;
    const from = pairs.from[i]!;
    const n = pairs.to[i]! - from;
    if (!this.ascii(s, from, n, code8)) this.text(from === 0 && n === s.length ? s : pairs.text(i), code8, code32);
  }

  /**
   * `s` from `from`, `n` chars, as a str8/sym8 when it is ASCII and short: written char by char
   * (no native call for a few bytes); false, nothing written, otherwise.
   */
  private ascii(s: string, from: number, n: number, code8: number): boolean {
    if (n > 0xff) return false;
    this.room(2 + n);
    const buf = this.buf;
    let p = this.pos + 2;
    const end = from + n;
    for (let k = from; k < end; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) return false;
      buf[p++] = c;
    }
    buf[this.pos] = code8;
    buf[this.pos + 1] = n;
    this.pos = p;
    return true;
  }

  private text(s: string, code8: number, code32: number): void {
    if (this.ascii(s, 0, s.length, code8)) return;
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

  timestampOrNull(ms: number): void {
    if (Number.isNaN(ms)) this.u8(NULL);
    else this.timestamp(ms);
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
