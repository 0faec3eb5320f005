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
}

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
let window = 32;
let running = false;
let counting = false;
let acked = 0;
let latencies: number[] = [];
/** PUBLISHes still to send in a fixed-count run (`publish {total}`); Infinity in a timed run. */
let budget = Number.POSITIVE_INFINITY;
let onAllAcked: (() => void) | undefined;
let target = 0;

function publishTemplate(topic: string): { template: Buffer; idOffset: number } {
  const t = str(topic);
  const head = Buffer.concat([Buffer.from([0x32]), varint(t.length + 2 + payloadBytes), t]);
  return { template: Buffer.concat([head, Buffer.alloc(2), Buffer.alloc(payloadBytes, 'x')]), idOffset: head.length };
}

function pump(c: Conn): void {
  const n = Math.min(window - c.inflight, budget);
  if (!running || n <= 0) return;
  const len = c.template.length;
  const out = Buffer.allocUnsafe(n * len);
  const now = performance.now();
  for (let k = 0; k < n; k++) {
    const id = c.nextId;
    c.nextId = id === 65535 ? 1 : id + 1;
    c.template.copy(out, k * len);
    out.writeUInt16BE(id, k * len + c.idOffset);
    c.sentAt[id] = now;
  }
  c.inflight += n;
  budget -= n;
  c.socket.write(out);
}

/** Splits what arrived into MQTT packets; `onPacket(type, body)` per complete packet. */
function readPackets(c: Conn, data: Buffer, onPacket: (type: number, body: Buffer) => void): void {
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
    onPacket(buf[off]! >> 4, buf.subarray(i, i + len));
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
      const { template, idOffset } = publishTemplate(spec.topic);
      const c: Conn = { socket, template, idOffset, nextId: 1, inflight: 0, sentAt: new Float64Array(65536), pending: Buffer.alloc(0) };
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
        answer = await connectAll(msg.url as string, msg.ca as string | undefined, msg.clients as LoadClient[]);
      } else if (msg.cmd === 'publish') answer = await publish(msg as never);
      else if (msg.cmd === 'close') answer = await closeAll();
      else answer = { error: `unknown command ${msg.cmd}` };
    } catch (error) {
      answer = { error: (error as Error).message };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
  process.exit(0);
}
