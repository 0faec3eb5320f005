import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Aedes, AedesPublishPacket, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../../log/create-logger.js';
import { MqttPacketBoundaries, readRemainingLength } from '../limits/packet-boundaries.js';

/** IoT Hub's maximum device-to-cloud message size (edgeHub `MaxInboundMessageSize` 262144). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Largest MQTT packet read at all: the message limit plus room for topic and property bag. */
const MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;
const BROKER_ID = 'edgemu-hub';

/** A client PUBLISH as the hub sees it (RETAIN already cleared: the broker never retains). */
export interface ClientPublish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** The RETAIN flag the client set. */
  retained: boolean;
  /** The client's will message, published by the broker because the connection was lost. */
  isWill: boolean;
}

/** What the MQTT head decides; the broker (aedes) does the MQTT 3.1.1 protocol work. */
export interface BrokerHooks {
  /** CONNECT: accept, or refuse with a CONNACK return code (MQTT 3.1.1 §3.2.2.3). */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined): { ok: true } | { ok: false; returnCode: number; reason: string };
  /** The CONNACK was sent (the client may now be written to). */
  clientReady(client: Client): void;
  clientDisconnected(client: Client): void;
  /** Whether a SUBSCRIBE filter is granted (refused ones get 0x80 in the SUBACK, §3.9.3); no side effects. */
  authorizeSubscribe(client: Client, filter: string): boolean;
  /**
   * The filters the persistent session of `clientId` holds (a CONNECT with clean session 0,
   * MQTT 3.1.1 §3.1.2.4): the broker restores them through `authorizeSubscribe` and answers the
   * CONNACK with session present set when there are any (§3.2.2.2).
   */
  storedFilters(clientId: string): Iterable<string>;
  /** A filter was granted (before the SUBACK is sent). */
  subscriptionGranted(client: Client, filter: string): void;
  /** After the SUBACK: the filters that were granted. */
  subscribed(client: Client, granted: string[]): void;
  unsubscribed(client: Client, filters: string[]): void;
  /** Whether a topic the broker would forward may reach this client (only the hub's own deliveries). */
  mayReceive(client: Client, topic: string): boolean;
  /**
   * A client PUBLISH; `done()` lets the broker send the PUBACK (§3.4), `done(error)` closes the
   * connection without acknowledging. (A callback, not a promise: this is the hot path.)
   */
  publish(client: Client, packet: ClientPublish, done: (error?: Error | null) => void): void;
  /** The client acknowledged the hub's QoS 1 delivery `messageId`. */
  puback(client: Client, messageId: number): void;
}

/** The broker as the MQTT head uses it. */
export interface Broker {
  /** Speaks MQTT with one client over `stream`. */
  handle(stream: Duplex): Client;
  /** QoS 0 to exactly this client, whatever it subscribed to; `done` once the socket took it (after a drain when its buffer was full). */
  sendQos0(client: Client, topic: string, payload: Buffer, done?: (error?: Error) => void): void;
  /** QoS 1 to exactly this client with the hub's own packet id; `done` reports a write failure. */
  sendQos1(client: Client, topic: string, payload: Buffer, messageId: number, done: (error?: Error) => void): void;
  close(): Promise<void>;
}

// ---- aedes internals the hub replaces (aedes is pinned exactly in package.json for them) -----

type Done = (error?: Error) => void;
interface PatchablePersistence {
  outgoingEnqueue(...args: unknown[]): Promise<void>;
  outgoingUpdate(...args: unknown[]): Promise<void>;
  addSubscriptions(client: Client, subs: Array<{ topic: string }>): Promise<unknown>;
  removeSubscriptions(client: Client, topics: string[]): Promise<unknown>;
  subscriptionsByClient(client: { id: string }): Promise<Array<{ topic: string; qos: number }>>;
  outgoingClearMessageId(client: Client, packet: { messageId?: number }): Promise<unknown>;
}
interface PatchableAedes {
  persistence: PatchablePersistence;
  publish(packet: unknown, client: unknown, done?: Done): void;
  subscribe(topic: string, func: unknown, done?: () => void): void;
  unsubscribe(topic: string, func: unknown, done?: () => void): void;
}
interface ParsedPacket {
  cmd: string;
  subscriptions?: Array<{ qos: number }>;
  keepalive?: number;
  protocolVersion?: number;
  bridgeMode?: boolean;
}
interface MqttParser {
  /** The aedes client reading through this parser (aedes sets it). */
  client: Client;
  /** An unfinished QoS 1 PUBLISH or PUBACK the previous read ended in (`publishReader`). */
  hubTail?: Buffer | undefined;
  /** Where this connection's packets end, for `turnLimiter`. */
  hubBoundaries?: MqttPacketBoundaries;
  /** The rest of a read left for the next event-loop turn (`turnLimiter`). */
  hubRest?: Buffer | undefined;
  /** The parse that `turnLimiter` hands at most `PACKETS_PER_TURN` packets at a time. */
  hubParse?: (this: MqttParser, buf: Buffer) => number;
  _parseLength: (this: MqttParser) => boolean;
  packet: { length: number };
  _emitError: (e: Error) => void;
  parse(this: MqttParser, buf: Buffer): number;
  _list: { length: number };
  _stateCounter: number;
  /** What mqtt-packet reads of the connection's CONNECT (`protocolVersion`, `bridgeMode`). */
  settings: unknown;
  prependListener(event: 'packet', listener: (this: MqttParser, packet: ParsedPacket) => void): void;
}
interface ClientInternals {
  will?: unknown;
  /** aedes' own record of the client's subscriptions (topic → its delivery function). */
  subscriptions: Record<string, unknown>;
  /** Stops `finished(conn, close)` (node:stream) that aedes set up; called by `close()`. */
  _eos: () => void;
  _parser?: MqttParser;
  connackSent?: boolean;
  connected?: boolean;
  closed?: boolean;
  /** Packets read and not yet finished; aedes reads the socket again when it drops to 0. */
  _parsingBatch: number;
  /** Finishes one packet (with an error: closes the connection); reads on at 0. */
  _nextBatch: (error?: Error) => void;
  _keepaliveInterval?: number;
  _keepaliveTimer?: { refresh(): void } | null;
  waitForDrain?(callback: () => void): void;
  emit(event: 'error', error: Error): boolean;
}
const internalsOf = (broker: Aedes): PatchableAedes => broker as unknown as PatchableAedes;
const clientInternals = (client: Client): ClientInternals => client as unknown as ClientInternals;

/**
 * aedes set up for the hub, with every change to its behaviour in this one file:
 * - hub→client QoS 1 deliveries are tracked by the hub itself (C2D in SQLite, inputs by
 *   routing's queues) and written by it (`sendQos1`): aedes keeps no outgoing copies, and every
 *   PUBACK is reported to `puback`;
 * - complete QoS 1 PUBLISHes and PUBACKs are read by the hub itself from the socket's bytes
 *   (`readPublishes`), everything else by mqtt-packet and aedes, in the order received;
 * - aedes keeps no subscription state (no persistence entries, no topic trie, no
 *   `client.subscriptions`): the hub's hooks hold the granted filters, and a persistent session's
 *   filters are restored from `storedFilters`;
 * - per-client state aedes and mqtt-packet create but the hub never uses is dropped or shared
 *   when a connection starts (`lightenClient`, and the parser forgets the CONNECT);
 * - every client publish is fully handled (and stored) in `publish`, and the hub writes to
 *   clients directly, so aedes' own fan-out of client publishes is skipped;
 * - the hub numbers its QoS 1 packets itself, to match PUBACKs to deliveries;
 * - the packet parser closes a connection announcing a packet larger than the hub accepts before
 *   buffering it, and lowers a QoS 2 SUBSCRIBE to QoS 1 (IoT Hub grants at most QoS 1:
 *   learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).
 */
/** CONNECTs authenticated per event-loop turn (see `broker.authenticate` below). */
const CONNECTS_PER_TURN = 8;
/** Packets of one connection parsed and handled per event-loop turn (see `turnLimiter`). */
export const PACKETS_PER_TURN = 32;

export async function createBroker(hooks: BrokerHooks, logger: Logger, options: { maxKeepAliveSecs?: number } = {}): Promise<Broker> {
  loadPacketCodec();
  const { Aedes } = await import('aedes');
  const broker: Aedes = await Aedes.createBroker({ id: BROKER_ID, connectTimeout: 30_000 });
  const internals = internalsOf(broker);
  const persistence = internals.persistence;

  persistence.outgoingEnqueue = () => Promise.resolve();
  persistence.outgoingUpdate = () => Promise.resolve();
  // No subscription state in aedes: the hub keeps each client's filters itself (`subscriptionGranted`,
  // the store for persistent sessions) and writes every delivery itself, so aedes' two copies
  // — its persistence's per-client map and topic trie, and mqemitter's trie of delivery
  // functions — were never read. A persistent session's filters come from `storedFilters`.
  persistence.addSubscriptions = () => Promise.resolve();
  persistence.removeSubscriptions = () => Promise.resolve();
  persistence.subscriptionsByClient = ({ id }) => Promise.resolve(Array.from(hooks.storedFilters(id), (topic) => ({ topic, qos: 1 })));
  // mqemitter calls `done` in the next turn (setImmediate); so do these.
  internals.subscribe = (_topic, _func, done) => void (done && setImmediate(done));
  internals.unsubscribe = (_topic, _func, done) => void (done && setImmediate(done));
  persistence.outgoingClearMessageId = (client, packet) => {
    if (packet.messageId !== undefined) hooks.puback(client, packet.messageId);
    return Promise.resolve(undefined);
  };
  const brokerPublish = internals.publish.bind(broker);
  // The publishes finished during one loop turn, completed together in the next one.
  let finished: Done[] = [];
  const finishAll = () => {
    const todo = finished;
    finished = [];
    for (const done of todo) done();
  };
  internals.publish = (packet, client, done) => {
    if (client && typeof client === 'object') {
      // The next loop turn on purpose: aedes reads the connection's next packets only after
      // this, so more messages arrive per loop turn and share a commit. process.nextTick here
      // measured 17 % more instructions per ingested message (callgrind, docs/benchmarks.md).
      // One setImmediate for all of a turn's publishes, not one each.
      if (done && finished.push(done) === 1) setImmediate(finishAll);
      return;
    }
    brokerPublish(packet, client, done);
  };

  // A burst of CONNECTs (a fleet reconnecting) is authenticated CONNECTS_PER_TURN per
  // event-loop turn: each one's SAS check, store reads and session setup run synchronously,
  // and between turns the loop serves the connected clients' traffic.
  const waiting: Array<() => void> = [];
  const authenticateSome = () => {
    for (let i = 0; i < CONNECTS_PER_TURN && waiting.length > 0; i++) waiting.shift()!();
    if (waiting.length > 0) setImmediate(authenticateSome);
  };
  broker.authenticate = (client, username, password, done) => {
    if (waiting.push(() => {
      const result = hooks.authenticate(client, username, password);
      if (result.ok) return done(null, true);
      done(Object.assign(new Error(result.reason), { returnCode: result.returnCode }) as AuthenticateError, false);
    }) === 1) setImmediate(authenticateSome);
  };
  broker.on('clientReady', (client) => hooks.clientReady(client));
  broker.on('clientDisconnect', (client) => hooks.clientDisconnected(client));
  broker.on('clientError', (client, error) => logger.debug({ clientId: client?.id, err: error.message }, 'client error; connection closed'));
  broker.on('connectionError', (_client, error) => logger.debug({ err: error.message }, 'connection error; connection closed'));
  broker.authorizeSubscribe = (client, sub, done) => {
    if (!hooks.authorizeSubscribe(client, sub.topic)) {
      logger.info({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      return;
    }
    hooks.subscriptionGranted(client, sub.topic);
    done(null, sub);
  };
  // aedes emits this after queueing the SUBACK, with refused filters at QoS 128.
  broker.on('subscribe', (subs, client) => hooks.subscribed(client, subs.filter((s) => (s.qos as number) !== 128).map((s) => s.topic)));
  broker.on('unsubscribe', (topics, client) => hooks.unsubscribed(client, topics));
  broker.authorizeForward = (client, packet: AedesPublishPacket) => (hooks.mayReceive(client, packet.topic) ? packet : null);
  broker.authorizePublish = (client, packet, done) => {
    if (!client) return done(null);
    const retained = packet.retain;
    packet.retain = false; // RETAIN is never stored (IoT Hub keeps no retained messages)
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    hooks.publish(client, { topic: packet.topic, payload, qos: packet.qos, retained, isWill: clientInternals(client).will === packet }, done);
  };

  // The QoS 1 PUBLISHes the hub reads itself (`readPublishes`): the PUBACK (§3.4) once `hooks.publish`
  // is done, then the packet is finished like aedes finishes its own — in the next loop turn.
  const acknowledge = (client: Client, messageId: number, error?: Error | null): void => {
    const c = clientInternals(client);
    if (error) return c._nextBatch(error);
    const conn = client.conn;
    if (c.connected && !c.closed && !conn.destroyed && !conn.write(pubackOf(messageId)) && c.waitForDrain) {
      c.waitForDrain(() => finishLater(c._nextBatch));
      return;
    }
    finishLater(c._nextBatch);
  };
  const finishLater = (done: Done): void => {
    if (finished.push(done) === 1) setImmediate(finishAll);
  };
  // One reader and one parser guard for all clients (they find their client through the parser):
  // per-client closures cost their context and function objects on every idle connection.
  const readPublishes = publishReader({
    publish: (client, packet, messageId) => hooks.publish(client, packet, (error) => acknowledge(client, messageId, error)),
    puback: (client, messageId) => hooks.puback(client, messageId),
  });
  const guardParser = parserGuard(logger, options.maxKeepAliveSecs ?? 0);
  const limitTurns = turnLimiter();

  return {
    handle(stream) {
      const client = broker.handle(stream);
      lightenClient(client);
      guardParser(client);
      readPublishes(client);
      limitTurns(client);
      return client;
    },
    sendQos0(client, topic, payload, done) {
      client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, (error) => done?.(error ?? undefined));
    },
    sendQos1(client, topic, payload, messageId, done) {
      // Written by the hub itself, not through aedes' outgoing pipeline (its packet object,
      // persistence promises and a setImmediate per delivery): aedes keeps no outgoing copies
      // for the hub anyway, and the deliveries of one loop turn leave in one write per connection.
      const c = clientInternals(client);
      if (!c.connected || c.closed || client.conn.destroyed) return process.nextTick(done, new Error('connection closed'));
      if (!hooks.mayReceive(client, topic)) return process.nextTick(done);
      corkForThisTick(client.conn);
      client.conn.write(publishQos1Of(topic, payload, messageId), (error?: Error | null) => done(error ?? undefined));
    },
    close: () => new Promise<void>((resolve) => broker.close(() => resolve())),
  };
}

// The writes of one tick to a connection (the PUBACKs one commit releases, the deliveries one
// batch sends) leave in one write — one TLS record, one syscall — instead of one per packet:
// the stream is corked while they are written and uncorked once this tick's writes are out.
const corked = new Set<Duplex>();
const uncorkAll = (): void => {
  for (const stream of corked) stream.uncork();
  corked.clear();
};
export function corkForThisTick(stream: Duplex): void {
  if (corked.has(stream) || stream.destroyed) return;
  if (corked.size === 0) process.nextTick(uncorkAll);
  stream.cork();
  corked.add(stream);
}

const noDebug = (): void => {};
/** `bl`'s BufferList (the buffer list without the stream), as mqtt-packet loads it. */
let BufferList: (new () => { length: number }) | undefined;

type WriteToStream = ((packet: { cmd: string; messageId?: number }, stream: Duplex, opts?: unknown) => boolean) & { cacheNumbers?: boolean };
interface PacketCodec {
  writeToStream: WriteToStream;
}

/**
 * mqtt-packet (aedes' packet parser and writer), loaded before aedes and changed in two ways
 * that cost nothing in behaviour and measurably less CPU per acknowledged message
 * (docs/benchmarks.md):
 * - it calls its `debug` loggers (npm `debug`) some twenty times per PUBLISH read and PUBACK
 *   written; disabled, each call still costs a rest-argument array and the `enabled` getter.
 *   While mqtt-packet loads, `debug` hands namespaces that are not enabled at start-up a no-op
 *   (`DEBUG=mqtt-packet:*` still enables them); `debug` is restored at once for every other module;
 * - a PUBACK aedes writes (MQTT 3.1.1 §3.4: 0x40, remaining length 2, packet id) goes to the
 *   socket as one 4-byte write instead of three writes and a cork/uncork per packet. Only calls
 *   without options (aedes' own, MQTT 3.1.1) take that path; MQTT.js in the same process passes
 *   its options and keeps mqtt-packet's writer.
 * - its packet-id number cache (65,536 Buffers) is turned off.
 * When mqtt-packet was already loaded, only the PUBACK path is added (its loggers stay).
 */
/**
 * Marks the wrapper, so a second call leaves it alone. A registered symbol, not the function's
 * name: a bundler may rename a function (bin/cli-bundle.js bundles runtime/ with esbuild, which
 * renames colliding identifiers), and a second copy of this module shares the registry.
 */
const WRAPPED = Symbol.for('edgemu.writePubackFast');

function loadPacketCodec(): void {
  const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
  const codecPath = fromAedes.resolve('mqtt-packet');
  const fromCodec = createRequire(codecPath);
  if (!fromCodec.cache[codecPath]) {
    const debugPath = fromCodec.resolve('debug');
    const createDebug = fromCodec('debug') as ((namespace: string) => unknown) & { enabled(namespace: string): boolean };
    const entry = fromCodec.cache[debugPath];
    if (entry) entry.exports = new Proxy(createDebug, { apply: (target, self, args: [string]) => (createDebug.enabled(args[0]) ? Reflect.apply(target, self, args) : noDebug) });
    try {
      fromCodec(codecPath);
    } finally {
      if (entry) entry.exports = createDebug;
    }
  }
  const codec = fromCodec(codecPath) as PacketCodec;
  BufferList ??= (fromCodec('bl') as { BufferList?: new () => { length: number } }).BufferList;
  if (WRAPPED in codec.writeToStream) return;
  const writeToStream = codec.writeToStream;
  // Without this, mqtt-packet's first write (the first CONNACK/SUBACK) builds a cache of 65,536
  // two-byte packet-id Buffers and the object holding them — ≈ 9 MB of heap (heap snapshot,
  // docs/hub.md "Performance") to save a 2-byte allocation per SUBACK; the hub writes
  // its own PUBACKs and deliveries. MQTT.js in the same process may set it again (`writeCache`).
  writeToStream.cacheNumbers = false;
  const writePubackFast: WriteToStream = function writePubackFast(packet, stream, opts) {
    const id = packet.messageId;
    if (opts !== undefined || packet.cmd !== 'puback' || typeof id !== 'number' || !(id > 0 && id <= 0xffff)) return writeToStream(packet, stream, opts);
    return stream.write(pubackOf(id));
  };
  // MQTT.js sets `writeToStream.cacheNumbers` (its `writeCache` option) on the shared module.
  Object.defineProperty(writePubackFast, 'cacheNumbers', {
    get: () => writeToStream.cacheNumbers,
    set: (v: boolean) => void (writeToStream.cacheNumbers = v),
  });
  Object.defineProperty(writePubackFast, WRAPPED, { value: true });
  codec.writeToStream = writePubackFast;
}

/** A QoS 1 PUBLISH (MQTT 3.1.1 §3.3: 0x32, remaining length, topic, packet id, payload) as one buffer. */
function publishQos1Of(topic: string, payload: Buffer, messageId: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  let remaining = 2 + topicBytes + 2 + payload.length;
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  const b = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  b[0] = 0x32;
  let i = 1;
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    b[i++] = byte;
  } while (remaining > 0);
  b[i++] = topicBytes >> 8;
  b[i++] = topicBytes & 0xff;
  i += b.write(topic, i, 'utf8');
  b[i++] = messageId >> 8;
  b[i++] = messageId & 0xff;
  payload.copy(b, i);
  return b;
}

/** A PUBACK (MQTT 3.1.1 §3.4: 0x40, remaining length 2, packet id) as one 4-byte buffer. */
function pubackOf(id: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b[0] = 0x40;
  b[1] = 2;
  b[2] = id >> 8;
  b[3] = id & 0xff;
  return b;
}

/** aedes' limit on topic levels (its `maxTopicLevels` default), kept for the PUBLISHes the hub reads itself. */
const MAX_TOPIC_LEVELS = 100;
/** An unfinished QoS 1 PUBLISH at the end of a read is kept for the next read up to this size; a larger one goes to mqtt-packet. */
const MAX_TAIL_BYTES = 64 * 1024;

/**
 * The hub's own reader for the packets that are nearly all of its traffic: complete QoS 1
 * PUBLISHes (MQTT 3.1.1 §3.3) read straight from the socket's bytes and handed to `onPublish`
 * with their packet id, without mqtt-packet's buffer list and packet objects or aedes' publish
 * pipeline (its authorize/enqueue series, PUBACK object and one `setImmediate` per PUBACK).
 * Every other packet — CONNECT, SUBSCRIBE, PUBACK, PINGREQ, QoS 0 and 2 PUBLISHes, anything
 * malformed or larger than `MAX_PACKET_BYTES` — and everything read while mqtt-packet holds a
 * partial packet goes to mqtt-packet and aedes as before, in the order received, so the
 * handling order and PUBACK order (§4.6) are the client's. The client's flow control is aedes':
 * each packet counts in `_parsingBatch` and the socket is read again once all are finished.
 * As aedes does, a PUBLISH topic that is empty, has a wildcard (§3.3.2.1) or more than 100
 * levels closes the connection; so does packet identifier 0 (§2.3.1).
 */
function publishReader(on: { publish(client: Client, packet: ClientPublish, messageId: number): void; puback(client: Client, messageId: number): void }): (client: Client) => void {
  let parse: ((this: MqttParser, buf: Buffer) => number) | undefined;
  // One function for every connection's parser (`this`); its client is `parser.client` (set by
  // aedes) and the unfinished packet of the previous read is kept in `parser.hubTail`.
  function readSome(this: MqttParser, chunk: Buffer): number {
    return readFrom(this, chunk);
  }
  function readFrom(parser: MqttParser, chunk: Buffer): number {
    const client = parser.client;
    const c = clientInternals(client);
    let buf = chunk;
    const tail = parser.hubTail;
    if (tail) {
      buf = Buffer.concat([tail, chunk]);
      parser.hubTail = undefined;
    }
    if (!c.connackSent || c.closed || parser._list.length > 0 || parser._stateCounter !== 0 || parser.packet.length !== -1) return parse!.call(parser, buf);
    const end = buf.length;
    let off = 0;
    let read = 0;
    while (off < end) {
      const b0 = buf[off]!;
      if (b0 === 0x40 && off + 1 < end && buf[off + 1] === 2) {
        // PUBACK of a hub delivery (§3.4); the hub, not aedes, tracks those (see `sendQos1`)
        if (off + 4 > end) {
          parser.hubTail = buf.subarray(off);
          off = end;
          break;
        }
        on.puback(client, (buf[off + 2]! << 8) | buf[off + 3]!);
        off += 4;
        read++;
        if (c.closed) return 0;
        continue;
      }
      if ((b0 & 0xf6) !== 0x32) break; // not PUBLISH (type 3) at QoS 1, whatever DUP and RETAIN
      const remaining = readRemainingLength(buf, off + 1, end);
      if (remaining === 'malformed') break; // mqtt-packet reports it
      if (remaining === 'short') {
        parser.hubTail = buf.subarray(off); // the read ended inside the remaining length
        off = end;
        break;
      }
      const { length: len, next: i } = remaining;
      if (len > MAX_PACKET_BYTES) break; // refused by the size guard in mqtt-packet's reader
      const packetEnd = i + len;
      if (packetEnd > end) {
        if (packetEnd - off > MAX_TAIL_BYTES) break;
        parser.hubTail = buf.subarray(off);
        off = end;
        break;
      }
      if (len < 4) break;
      const topicEnd = i + 2 + ((buf[i]! << 8) | buf[i + 1]!);
      if (topicEnd + 2 > packetEnd) break; // topic or packet id runs past the packet: malformed
      const messageId = (buf[topicEnd]! << 8) | buf[topicEnd + 1]!;
      const topic = buf.toString('utf8', i + 2, topicEnd);
      off = packetEnd;
      read++;
      c._parsingBatch++;
      // A QoS 1 PUBLISH must carry a non-zero packet identifier (MQTT 3.1.1 §2.3.1).
      const refused = messageId === 0 ? 'QoS 1 PUBLISH without a packet identifier' : topicProblem(topic);
      if (refused) {
        c._nextBatch(new Error(refused));
        return 0;
      }
      on.publish(client, { topic, payload: buf.subarray(topicEnd + 2, packetEnd), qos: 1, retained: (b0 & 1) === 1, isWill: false }, messageId);
      if (c.closed) return 0;
    }
    if (read > 0 && c._keepaliveInterval! > 0) c._keepaliveTimer?.refresh();
    return off < end ? parse!.call(parser, off === 0 ? buf : buf.subarray(off)) : 0;
  }
  return (client) => {
    const parser = clientInternals(client)._parser;
    if (!parser || typeof parser.parse !== 'function') return;
    parse ??= parser.parse;
    parser.hubTail = undefined;
    parser.parse = readSome;
  };
}

/**
 * A connection's reads are parsed and handled at most `PACKETS_PER_TURN` packets per event-loop
 * turn: a client that sends thousands of requests in one write (one 16 KB TLS record holds ~470
 * twin GETs) cannot hold the loop while all of them are parsed and answered. The rest of a read
 * waits for the next turn as one more unfinished packet (`_parsingBatch`), and until it is
 * handled aedes reads nothing more from the socket (the socket's buffer and TCP hold what the
 * client sends meanwhile), so packets are still handled in the order received.
 */
function turnLimiter(): (client: Client) => void {
  // Shared functions for every connection, as in `publishReader`: the state lives on the parser
  // (`hubBoundaries`, `hubRest`, `hubParse`) and on the stream (`hubRead`), no closures per connection.
  function limitedParse(this: MqttParser, chunk: Buffer): number {
    const end = this.hubBoundaries!.afterPackets(chunk, PACKETS_PER_TURN);
    if (end >= chunk.length) return this.hubParse!.call(this, chunk);
    this.hubRest = chunk.subarray(end);
    const left = this.hubParse!.call(this, chunk.subarray(0, end));
    // Counted after the packets before it: aedes handles a connection's first packet (CONNECT) only while it is the one unfinished.
    clientInternals(this.client)._parsingBatch++;
    setImmediate(resume, this);
    return left;
  }
  function resume(parser: MqttParser): void {
    const buf = parser.hubRest!;
    parser.hubRest = undefined;
    const c = clientInternals(parser.client);
    if (c.closed) return;
    parser.parse(buf);
    c._nextBatch();
  }
  // aedes reads with read(null) (its `nextBatch`); the stream's own read(0) calls pass.
  function limitedRead(this: LimitedStream, size?: number | null): unknown {
    const parser = this.client && clientInternals(this.client)._parser;
    return parser?.hubRest !== undefined && size === null ? null : this.hubRead!.call(this, size as number);
  }
  return (client) => {
    const parser = clientInternals(client)._parser;
    if (!parser || typeof parser.parse !== 'function') return;
    const conn = client.conn as LimitedStream;
    parser.hubBoundaries = new MqttPacketBoundaries();
    parser.hubParse = parser.parse;
    parser.parse = limitedParse;
    conn.hubRead = conn.read;
    conn.read = limitedRead as Duplex['read'];
  };
}
type LimitedStream = Duplex & { client?: Client; hubRead?: Duplex['read'] };

/** Why aedes would refuse a PUBLISH topic (it closes the connection), or undefined. */
function topicProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic not allowed in PUBLISH';
  if (topic.includes('#')) return '# is not allowed in PUBLISH';
  if (topic.includes('+')) return '+ is not allowed in PUBLISH';
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  return levels > MAX_TOPIC_LEVELS ? 'topic has too many levels' : undefined;
}

/**
 * The packet-size guard, QoS 2 SUBSCRIBE lowering and keep-alive cap (a CONNECT asking for no
 * keep-alive or a longer one gets `maxKeepAliveSecs`), applied where aedes parses packets: one
 * `packet` listener and one `_parseLength` for every parser (`this`), none per connection.
 */
function parserGuard(logger: Logger, maxKeepAliveSecs: number): (client: Client) => void {
  let parseLength: ((this: MqttParser) => boolean) | undefined;
  function onPacket(this: MqttParser, packet: ParsedPacket): void {
    if (packet.cmd === 'subscribe') for (const s of packet.subscriptions ?? []) if (s.qos > 1) s.qos = 1;
    if (packet.cmd !== 'connect') return;
    if (maxKeepAliveSecs > 0 && (!packet.keepalive || packet.keepalive > maxKeepAliveSecs)) packet.keepalive = maxKeepAliveSecs;
    // mqtt-packet keeps the CONNECT as its settings for the rest of the connection, SAS token
    // (password) included; it reads only these two fields of it.
    this.settings = settingsOf(packet.protocolVersion, packet.bridgeMode === true);
  }
  function guardedParseLength(this: MqttParser): boolean {
    const ok = parseLength!.call(this);
    if (ok && this.packet.length > MAX_PACKET_BYTES) {
      logger.info({ bytes: this.packet.length }, 'MQTT packet larger than the hub accepts; closing the connection');
      this._emitError(new Error('packet too large'));
      return false;
    }
    return ok;
  }
  return (client) => {
    const parser = clientInternals(client)._parser;
    if (!parser || typeof parser._parseLength !== 'function') return;
    parser.prependListener('packet', onPacket);
    parseLength ??= parser._parseLength;
    parser._parseLength = guardedParseLength;
  };
}

/** mqtt-packet's parser settings after a CONNECT (the fields it reads), one frozen object per kind. */
interface ParserSettings {
  protocolVersion: number | undefined;
  bridgeMode: boolean;
}
const parserSettings = new Map<string, Readonly<ParserSettings>>();
function settingsOf(protocolVersion: number | undefined, bridgeMode: boolean): Readonly<ParserSettings> {
  const key = `${protocolVersion}|${bridgeMode}`;
  const known = parserSettings.get(key);
  if (known) return known;
  const settings = Object.freeze({ protocolVersion, bridgeMode });
  parserSettings.set(key, settings);
  return settings;
}

// aedes' per-client state the hub never uses, dropped or shared when a connection starts.
/** Every client's `subscriptions`: reads find nothing, writes are dropped (see `createBroker`: aedes keeps no subscription state). */
const NO_SUBSCRIPTIONS: Record<string, unknown> = new Proxy(Object.create(null) as Record<string, unknown>, { set: () => true, defineProperty: () => true });
function closeClientOfStream(this: Duplex & { client?: Client }): void {
  this.client?.close();
}
const noop = (): void => {};

/**
 * Per connection, aedes creates state the hub does without:
 * - `client.subscriptions`: the hub keeps the filters (NO_SUBSCRIPTIONS above);
 * - `finished(conn, close)` (node:stream), seven listeners and their closures, to close the
 *   client when the socket ends or fails: aedes closes it on `end` and on `error` already, so one
 *   shared `close` listener is the rest of it;
 * - mqtt-packet's buffer list as a stream (`bl`'s BufferListStream: a Duplex with its readable
 *   and writable state): the parser uses only its BufferList methods (append, consume, slice,
 *   readUInt8, length), so it gets a plain BufferList.
 */
function lightenClient(client: Client): void {
  const c = clientInternals(client);
  c.subscriptions = NO_SUBSCRIPTIONS;
  if (typeof c._eos === 'function') {
    c._eos();
    c._eos = noop;
    client.conn.once('close', closeClientOfStream);
  }
  const parser = c._parser;
  if (parser && BufferList && parser._list.length === 0) parser._list = new BufferList();
}
