/**
 * Event Hubs-compatible endpoint read throughput (`npm run bench -- event-hubs`), in one process
 * (the rhea receiver included, so CPU figures are hub + client): a store pre-filled with
 * BENCH_EVENTS telemetry messages from BENCH_DEVICES devices spread over the 4 partitions, then
 * 1. one partition read from the earliest event by one receiver (credit 1000), 2. the same
 * partition read again from the middle (a checkpointed sequence number), 3. a partition that holds
 * one device's few messages behind everyone else's (a sparse partition). Short by default; the
 * issue's aim is ≥ 50,000 events/s on one core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import rhea, { type EventContext } from 'rhea';
import { startHub } from '../runtime/hub/start-hub.js';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import { ConnectionTable } from '../runtime/hub/connection-table.js';
import { encodeUriComponentStrict, signSasText } from '../runtime/hub/sas.js';
import { partitionOf } from '../runtime/hub/amqp/event-position.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { systemClock } from '../runtime/clock.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 40_000);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 64);
const PARTITIONS = 4;
const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-eh-bench-'));
const connections = new ConnectionTable({ clock: systemClock, logger: silentLogger() });
const store = openHubStore({ stateDir: dir, connectionState: (r) => connections.isConnected(r), maxMessages: EVENTS * 2 });
const hub = await startHub({ stateDir: dir, store, connections, bindAddress: '127.0.0.1', mqttsPort: 0, amqpsPort: 0 });
const payload = Buffer.from(JSON.stringify({ temperature: 21.5, humidity: 40, pad: 'x'.repeat(100) }));

// Devices spread over the partitions; the sparse device is alone in the partition none of the others use.
const devices = Array.from({ length: DEVICES * 4 }, (_, i) => `bench-dev-${i}`);
const sparse = devices.find((d) => partitionOf(d, PARTITIONS) === 3)!;
const busy = devices.filter((d) => partitionOf(d, PARTITIONS) !== 3).slice(0, DEVICES);
const SPARSE_EVENTS = 100;
const now = new Date().toISOString();
const message = (deviceId: string, i: number) => ({ endpoint: '$upstream', message: { deviceId, body: payload, systemProperties: { mid: String(i), ct: 'application/json' }, properties: { n: String(i) }, enqueuedTimeUtc: now } });
for (let off = 0; off < EVENTS; off += 1000) store.messages.appendMany(Array.from({ length: Math.min(1000, EVENTS - off) }, (_, i) => message(busy[(off + i) % busy.length]!, off + i)));
store.messages.appendMany(Array.from({ length: SPARSE_EVENTS }, (_, i) => message(sparse, i)));

const policy = store.identities.servicePolicy();
const audience = `sb://localhost/${hub.eventHubName}`;
const expiry = Math.floor(Date.now() / 1000) + 3600;
// Event Hubs clients sign sb:// audiences with the key's text (runtime/hub/sas.ts).
const encoded = encodeUriComponentStrict(audience);
const token = `SharedAccessSignature sr=${encoded}&sig=${encodeUriComponentStrict(signSasText(encoded, policy.primaryKey, expiry, 'utf8'))}&se=${expiry}&skn=${policy.name}`;

async function connect() {
  const connection = rhea.create_container().connect({ host: '127.0.0.1', port: hub.amqpsPort!, transport: 'tls', ca: hub.caCert, servername: 'localhost', reconnect: false } as never);
  connection.on('disconnected', () => {});
  await new Promise<void>((resolve, reject) => {
    connection.open_receiver('$cbs').on('message', (c: EventContext) => {
      const status = c.message?.application_properties?.['status-code'] as number;
      if (status === 200) resolve();
      else reject(new Error(`put-token refused: ${String(c.message?.application_properties?.['status-description'])}`));
    });
    const s = connection.open_sender('$cbs');
    s.once('sendable', () => s.send({ message_id: 'p', reply_to: 'cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience }, body: token }));
  });
  return connection;
}

/** Reads `count` events of `partition` after `selector`; events/s and CPU µs per event. */
async function read(partition: number, selector: string, count: number) {
  const connection = await connect();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let lastSeq = 0;
  await new Promise<void>((resolve) => {
    let got = 0;
    const receiver = connection.open_receiver({
      source: { address: `${hub.eventHubName}/ConsumerGroups/$Default/Partitions/${partition}`, filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described(selector, 0x468c00000004) } },
      credit_window: 1000,
    });
    receiver.on('message', (c: EventContext) => {
      if (got >= count) return; // messages already in the socket's last chunk, after the count
      lastSeq = Number(c.message!.message_annotations!['x-opt-sequence-number']);
      if (++got >= count) resolve();
    });
  });
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  connection.close();
  return { perSecond: Math.round((count / ms) * 1000), cpuUs: Math.round((used.user + used.system) / count), ms: Math.round(ms), lastSeq };
}

const inPartition = (p: number) => busy.filter((d) => partitionOf(d, PARTITIONS) === p).length;
const target = [0, 1, 2].sort((a, b) => inPartition(b) - inPartition(a))[0]!;
const targetEvents = Array.from({ length: EVENTS }, (_, i) => busy[i % busy.length]!).filter((d) => partitionOf(d, PARTITIONS) === target).length;
process.stderr.write(`event hubs read: ${EVENTS} events, partition ${target} holds ${targetEvents}\n`);
const earliest = await read(target, "amqp.annotation.x-opt-offset > '-1'", targetEvents);
const half = Math.floor(targetEvents / 2);
const firstHalf = await read(target, "amqp.annotation.x-opt-offset > '-1'", half);
const resumed = await read(target, `amqp.annotation.x-opt-sequence-number > ${firstHalf.lastSeq}`, targetEvents - half);
const sparseRead = await read(3, "amqp.annotation.x-opt-offset > '-1'", SPARSE_EVENTS);

const rows = [
  [`one partition from earliest (${targetEvents} of ${EVENTS} stored events)`, `${earliest.perSecond} events/s`, `${earliest.cpuUs} µs CPU/event`, `${earliest.ms} ms`],
  [`the same partition from a checkpointed sequence number (${targetEvents - half} events)`, `${resumed.perSecond} events/s`, `${resumed.cpuUs} µs CPU/event`, `${resumed.ms} ms`],
  [`a sparse partition from earliest (${SPARSE_EVENTS} events behind ${EVENTS} others)`, `${sparseRead.perSecond} events/s`, `${sparseRead.cpuUs} µs CPU/event`, `${sparseRead.ms} ms`],
];
process.stdout.write('| Event Hubs read | throughput | CPU (hub + client) | wall time |\n| --- | --- | --- | --- |\n');
for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
await hub.close();
store.close();
rmSync(dir, { recursive: true, force: true });
// A closed rhea client connection can leave its heartbeat timer armed; the benchmark is done.
process.exit(0);
