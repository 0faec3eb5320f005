/**
 * The one load generator of the hub benchmark, run as its own process (`mqtt-load.ts`, driven
 * by JSON lines on stdin/stdout) so that the broker measured and the load share nothing but
 * the machine. It speaks just enough MQTT 3.1.1 on raw sockets — CONNECT, SUBSCRIBE,
 * QoS 1 PUBLISH (MQTT 3.1.1 §3.1, §3.8, §3.3) — because MQTT.js spends more CPU per message
 * than the brokers measured, and on 2 cores it would measure itself. The same bytes go to
 * every broker: same client ids, topics, 128 B payloads.
 *
 * Commands (one JSON object per line), each answered by one line:
 * - `connect {url, ca?, clients: [{clientId, username?, password?, topic, subscribe?}]}` →
 *   `{connected, ms, cipher}` once every CONNACK (and SUBACK) has arrived;
 * - `publish {seconds, warmup, window, payloadBytes, brokerPid}` → every client keeps `window`
 *   QoS 1 PUBLISHes unacknowledged; after `warmup` s it counts PUBACKs for `seconds` s and
 *   answers `{acked, ms, p50, p99, brokerCpuMicros, loadCpuMicros}` (latency = PUBLISH written →
 *   PUBACK read, in ms; CPU from /proc/<pid>/stat and process.cpuUsage over the same window);
 * - `publish {total, window}` → exactly `total` PUBLISHes over all clients (no warm-up), answered
 *   `{acked, ms}` once every one is acknowledged (for instruction counts of a fixed workload);
 * - `route {total, window, brokerPid}` → exactly `total` PUBLISHes from the senders, answered once
 *   every one is acknowledged *and* delivered to a receiver: `{acked, received, ackMs, deliverMs,
 *   p50, p99, max, brokerCpuMicros, loadCpuMicros}` (latency = PUBLISH written → delivery read);
 * - `paced {rate, seconds, brokerPid}` → the senders publish `rate` messages per second in all for
 *   `seconds` s (no window), answered once all are delivered: `{sent, received, p50, p99, max, brokerCpuMicros}`;
 * - `close` → `{closed}` after every socket ended.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface LoadClient {
  clientId: string;
  username?: string;
  password?: string;
  /** The topic PUBLISHes go to. */
  topic: string;
  /** Filters to SUBSCRIBE (QoS 1) after the CONNACK, as an SDK client does. */
  subscribe?: string[];
  /** Only receives: never publishes, acknowledges every QoS 1 PUBLISH it is sent (MQTT 3.1.1 §3.4). */
  receiver?: boolean;
}

/**
 * The body placeholder a `connect {body}` template may carry: each PUBLISH gets its send time
 * written into these 15 digits (µs of `performance.now()` plus 10^14, a JSON number), and a
 * receiver reads it back for the delivery latency.
 */
export const TS_PLACEHOLDER = '"ts":100000000000000';

const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
const connectPacket = (c: LoadClient): Buffer => {
  // clean session 0, keepalive 180 s: what the Azure IoT SDKs send.
  const flags = (c.username ? 0x80 : 0) | (c.password ? 0x40 : 0);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 180]), str(c.clientId), ...(c.username ? [str(c.username)] : []), ...(c.password ? [str(c.password)] : [])]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
};
const subscribePacket = (filters: string[]): Buffer => {
  const body = Buffer.concat([Buffer.from([0, 1]), ...filters.map((f) => Buffer.concat([str(f), Buffer.from([1])]))]);
  return Buffer.concat([Buffer.from([0x82]), varint(body.length), body]);
};

interface Conn {
  socket: net.Socket;
  receiver: boolean;
  /** Offset of the send-time digits in `template`, or -1. */
  tsOffset: number;
  /** One QoS 1 PUBLISH with packet id 0 at `idOffset`, copied for every send. */
  template: Buffer;
  idOffset: number;
  nextId: number;
  inflight: number;
  sentAt: Float64Array;
  pending: Buffer;
}

let conns: Conn[] = [];
let payloadBytes = 128;
/** The body of every PUBLISH when given to `connect` (else `payloadBytes` of 'x'). */
let bodyTemplate: Buffer | undefined;
/** Deliveries read by receivers while counting, and their latencies (ms). */
let received = 0;
let deliveries: number[] = [];
let onAllDelivered: (() => void) | undefined;
let deliveryTarget = Number.POSITIVE_INFINITY;
let window = 32;
let running = false;
let counting = false;
let acked = 0;
let latencies: number[] = [];
/** PUBLISHes still to send in a fixed-count run (`publish {total}`); Infinity in a timed run. */
let budget = Number.POSITIVE_INFINITY;
let onAllAcked: (() => void) | undefined;
let target = 0;

function publishTemplate(topic: string): { template: Buffer; idOffset: number; tsOffset: number } {
  const t = str(topic);
  const body = bodyTemplate ?? Buffer.alloc(payloadBytes, 'x');
  const head = Buffer.concat([Buffer.from([0x32]), varint(t.length + 2 + body.length), t]);
  const ts = body.indexOf(TS_PLACEHOLDER);
  return { template: Buffer.concat([head, Buffer.alloc(2), body]), idOffset: head.length, tsOffset: ts < 0 ? -1 : head.length + 2 + ts + TS_PLACEHOLDER.length - 15 };
}

const stamp = (out: Buffer, at: number, now: number): void => void out.write(String(1e14 + Math.round(now * 1000)), at, 15, 'latin1');
const sentTimeOf = (payload: Buffer): number => {
  const at = payload.indexOf('"ts":');
  return at < 0 ? Number.NaN : (Number(payload.toString('latin1', at + 5, at + 20)) - 1e14) / 1000;
};

function pump(c: Conn): void {
  const n = Math.min(window - c.inflight, budget);
  if (!running || n <= 0 || c.receiver) return;
  const len = c.template.length;
  const out = Buffer.allocUnsafe(n * len);
  const now = performance.now();
  for (let k = 0; k < n; k++) {
    const id = c.nextId;
    c.nextId = id === 65535 ? 1 : id + 1;
    c.template.copy(out, k * len);
    out.writeUInt16BE(id, k * len + c.idOffset);
    if (c.tsOffset >= 0) stamp(out, k * len + c.tsOffset, now);
    c.sentAt[id] = now;
  }
  c.inflight += n;
  budget -= n;
  c.socket.write(out);
}

/** Splits what arrived into MQTT packets; `onPacket(type, body)` per complete packet. */
function readPackets(c: Conn, data: Buffer, onPacket: (type: number, body: Buffer, flags: number) => void): void {
  let buf = c.pending.length ? Buffer.concat([c.pending, data]) : data;
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    let len = 0;
    let mul = 1;
    let i = off + 1;
    let byte = 0x80;
    while (byte & 0x80) {
      if (i >= buf.length) break;
      byte = buf[i++]!;
      len += (byte & 0x7f) * mul;
      mul *= 128;
    }
    if (byte & 0x80 || i + len > buf.length) break;
    onPacket(buf[off]! >> 4, buf.subarray(i, i + len), buf[off]! & 0x0f);
    off = i + len;
  }
  buf = buf.subarray(off);
  c.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
}

async function connectAll(url: string, ca: string | undefined, clients: LoadClient[]): Promise<{ connected: number; ms: number; cipher: string }> {
  const { hostname, port, protocol } = new URL(url);
  const secure = protocol === 'mqtts:';
  const t0 = performance.now();
  let cipher = 'none (plain TCP)';
  const connectOne = (spec: LoadClient) =>
    new Promise<Conn>((resolve, reject) => {
      const socket: net.Socket = secure ? tls.connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }) : net.connect(Number(port), hostname);
      socket.setNoDelay(true);
      const { template, idOffset, tsOffset } = publishTemplate(spec.topic);
      const c: Conn = { socket, receiver: spec.receiver === true, tsOffset, template, idOffset, nextId: 1, inflight: 0, sentAt: new Float64Array(65536), pending: Buffer.alloc(0) };
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        if (secure) {
          const s = socket as tls.TLSSocket;
          cipher = `${s.getProtocol()} ${s.getCipher().name} ${s.getPeerCertificate().pubkey?.length === 65 ? 'EC P-256' : ''}`.trim();
        }
        socket.write(connectPacket(spec));
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`${spec.clientId}: connection closed before CONNACK`)));
      const onData = (d: Buffer) =>
        readPackets(c, d, (type, body) => {
          if (type === 2) {
            if (body[1] !== 0) return reject(new Error(`${spec.clientId}: CONNACK return code ${body[1]}`));
            if (spec.subscribe?.length) socket.write(subscribePacket(spec.subscribe));
            else done();
          } else if (type === 9) done();
        });
      const done = () => {
        socket.off('data', onData);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        socket.on('data', (d: Buffer) => onTraffic(c, d));
        resolve(c);
      };
      socket.on('data', onData);
    });
  const out: Conn[] = new Array<Conn>(clients.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, clients.length) }, async () => {
      while (next < clients.length) {
        const i = next++;
        out[i] = await connectOne(clients[i]!);
      }
    }),
  );
  conns = out;
  return { connected: conns.length, ms: performance.now() - t0, cipher };
}

function onTraffic(c: Conn, data: Buffer): void {
  if (c.receiver) return onDeliveries(c, data);
  readPackets(c, data, (type, body) => {
    if (type !== 4) return;
    c.inflight--;
    if (counting) {
      acked++;
      latencies.push(performance.now() - c.sentAt[body.readUInt16BE(0)]!);
      if (acked === target) onAllAcked?.();
    }
  });
  pump(c);
}

/** A receiver's PUBLISHes: each QoS 1 one acknowledged (the PUBACKs of one read leave in one write), counted, its latency taken. */
function onDeliveries(c: Conn, data: Buffer): void {
  c.socket.cork();
  readPackets(c, data, (type, body, flags) => {
    if (type !== 3) return;
    const topicEnd = 2 + body.readUInt16BE(0);
    const qos = (flags >> 1) & 3;
    const payload = body.subarray(qos > 0 ? topicEnd + 2 : topicEnd);
    if (qos > 0) c.socket.write(Buffer.from([0x40, 2, body[topicEnd]!, body[topicEnd + 1]!]));
    if (!counting) return;
    received++;
    deliveries.push(performance.now() - sentTimeOf(payload));
    if (received === deliveryTarget) onAllDelivered?.();
  });
  c.socket.uncork();
}

/** user+system CPU time of a process in µs, from /proc/<pid>/stat (fields 14 and 15, clock ticks). */
export const procCpuMicros = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};

/** Exactly `total` PUBLISHes spread over the clients, counted from the first; resolves once all are acknowledged. */
async function publishCount(o: { total: number; window: number }) {
  window = o.window;
  acked = 0;
  latencies = [];
  target = o.total;
  budget = o.total;
  counting = true;
  running = true;
  const t0 = performance.now();
  const all = new Promise<void>((resolve) => (onAllAcked = resolve));
  for (const c of conns) pump(c);
  await all;
  const ms = performance.now() - t0;
  counting = false;
  running = false;
  onAllAcked = undefined;
  budget = Number.POSITIVE_INFINITY;
  return { acked, ms };
}

async function publish(o: { seconds: number; warmup: number; window: number; payloadBytes: number; brokerPid: number; total?: number }) {
  if (o.total !== undefined) return publishCount({ total: o.total, window: o.window });
  window = o.window;
  if (o.payloadBytes !== payloadBytes) throw new Error('payloadBytes must be given to connect (templates are built there)');
  running = true;
  for (const c of conns) pump(c);
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  acked = 0;
  latencies = [];
  const broker0 = procCpuMicros(o.brokerPid);
  const load0 = process.cpuUsage();
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  counting = false;
  const ms = performance.now() - t0;
  const brokerCpuMicros = procCpuMicros(o.brokerPid) - broker0;
  const l = process.cpuUsage(load0);
  running = false;
  // Let the window drain so the next run starts from an idle broker.
  const end = Date.now() + 10_000;
  while (conns.some((c) => c.inflight > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);
  return { acked, ms, p50: pct(0.5), p99: pct(0.99), brokerCpuMicros, loadCpuMicros: l.user + l.system };
}

const percentiles = (xs: number[]) => {
  const sorted = Float64Array.from(xs).sort();
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN);
  return { p50: pct(0.5), p99: pct(0.99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
};

/** Exactly `total` PUBLISHes from the senders; resolves once all are acknowledged and delivered to the receivers. */
async function route(o: { total: number; window: number; brokerPid: number; timeoutMs?: number }) {
  window = o.window;
  acked = 0;
  latencies = [];
  received = 0;
  deliveries = [];
  target = o.total;
  deliveryTarget = o.total;
  budget = o.total;
  const broker0 = procCpuMicros(o.brokerPid);
  const load0 = process.cpuUsage();
  const t0 = performance.now();
  let ackMs = 0;
  let deliverMs = 0;
  const allAcked = new Promise<void>((resolve) => (onAllAcked = () => ((ackMs = performance.now() - t0), resolve())));
  const allDelivered = new Promise<void>((resolve) => (onAllDelivered = () => ((deliverMs = performance.now() - t0), resolve())));
  counting = true;
  running = true;
  for (const c of conns) pump(c);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`route: ${acked} acknowledged, ${received} delivered of ${o.total} after ${o.timeoutMs ?? 120_000} ms`)), o.timeoutMs ?? 120_000)));
  try {
    await Promise.race([Promise.all([allAcked, allDelivered]), timeout]);
  } finally {
    clearTimeout(timer);
    counting = false;
    running = false;
    onAllAcked = onAllDelivered = undefined;
    budget = Number.POSITIVE_INFINITY;
    deliveryTarget = Number.POSITIVE_INFINITY;
  }
  const brokerCpuMicros = procCpuMicros(o.brokerPid) - broker0;
  const l = process.cpuUsage(load0);
  return { acked, received, ackMs, deliverMs, ...percentiles(deliveries), brokerCpuMicros, loadCpuMicros: l.user + l.system };
}

/** `rate` PUBLISHes per second from the senders in turn for `seconds` s, no window; resolves once all are delivered. */
async function paced(o: { rate: number; seconds: number; brokerPid: number }) {
  const senders = conns.filter((c) => !c.receiver);
  const total = Math.round(o.rate * o.seconds);
  received = 0;
  deliveries = [];
  deliveryTarget = total;
  const allDelivered = new Promise<void>((resolve) => (onAllDelivered = resolve));
  const broker0 = procCpuMicros(o.brokerPid);
  counting = true;
  window = 65535;
  running = true;
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * o.rate) + 1);
    for (; sent < due; sent++) {
      const c = senders[sent % senders.length]!;
      budget = 1;
      const w = window;
      window = c.inflight + 1;
      pump(c);
      window = w;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  running = false; // a PUBACK must not start more sends
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allDelivered, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
  clearTimeout(timer);
  budget = Number.POSITIVE_INFINITY;
  counting = false;
  onAllDelivered = undefined;
  deliveryTarget = Number.POSITIVE_INFINITY;
  return { sent, received, ...percentiles(deliveries), brokerCpuMicros: procCpuMicros(o.brokerPid) - broker0 };
}

async function closeAll() {
  await Promise.all(conns.map((c) => new Promise<void>((r) => (c.socket.destroyed ? r() : c.socket.end(() => r())))));
  for (const c of conns) c.socket.destroy();
  conns = [];
  return { closed: true };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const msg = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
    let answer: unknown;
    try {
      if (msg.cmd === 'connect') {
        payloadBytes = (msg.payloadBytes as number | undefined) ?? 128;
        bodyTemplate = typeof msg.body === 'string' ? Buffer.from(msg.body) : undefined;
        answer = await connectAll(msg.url as string, msg.ca as string | undefined, msg.clients as LoadClient[]);
      } else if (msg.cmd === 'publish') answer = await publish(msg as never);
      else if (msg.cmd === 'route') answer = await route(msg as never);
      else if (msg.cmd === 'paced') answer = await paced(msg as never);
      else if (msg.cmd === 'close') answer = await closeAll();
      else answer = { error: `unknown command ${msg.cmd}` };
    } catch (error) {
      answer = { error: (error as Error).message };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
  process.exit(0);
}
