/**
 * Event Hubs-compatible endpoint read throughput (`npm run bench -- event-hubs`), in one process
 * (the rhea receiver included, so CPU figures are hub + client): a store pre-filled with
 * BENCH_EVENTS telemetry messages from BENCH_DEVICES devices spread over the 4 partitions, then
 * 1. one partition read from the earliest event by one receiver (credit 1000), 2. the same
 * partition read again from the middle (a checkpointed sequence number), 3. a partition that holds
 * one device's few messages behind everyone else's (a sparse partition). Short by default; the
 * aim is ≥ 50,000 events/s on one core.
 * 4. End-to-end latency device → consumer, like for like: `edgemu hub` in its own process, one
 * more process (bench/event-hubs-latency-child.ts) with the devices (azure-iot-device-mqtt, then
 * azure-iot-device-amqp) sending BENCH_RATE msg/s (200) for BENCH_LATENCY_SECONDS (10) each, an
 * `@azure/event-hubs` EventHubConsumerClient from latest and a raw rhea receiver; p50/p99/max of
 * receive − send time, the hub's CPU per message (/proc/PID/stat) and the load process's CPU share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import rhea, { type EventContext } from 'rhea';
import { startHub } from '../runtime/hub/start-hub.js';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import { ConnectionTable } from '../runtime/hub/connection-table.js';
import { eventHubName, formatDeviceConnectionString, formatEventHubsConnectionString } from '../runtime/hub/connection-string.js';
import { partitionOf } from '../runtime/hub/amqp/event-position.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { systemClock } from '../runtime/clock.js';
import { startHubProcess, stopHubProcess } from './hub-process.js';
import { cbsConnection, eventHubsToken } from './amqp-cbs.js';
import type { LatencyResult, LatencySpec } from './event-hubs-latency-child.js';

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

const expiry = Math.floor(Date.now() / 1000) + 3600;
const { audience, token } = eventHubsToken(store.identities.servicePolicy(), hub.eventHubName, expiry);

const connect = () => cbsConnection({ port: hub.amqpsPort!, ca: hub.caCert, audience, token });

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

// 4. End-to-end latency, the hub in its own process (identities made on its store before it starts).
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const latencyDir = mkdtempSync(path.join(tmpdir(), 'edgemu-eh-latency-'));
const setup = openHubStore({ stateDir: latencyDir });
const latencyDevices = (['mqtt', 'amqp'] as const).map((protocol) => ({ protocol, deviceId: `latency-${protocol}`, key: setup.identities.createDevice(`latency-${protocol}`).primaryKey }));
const latencyPolicy = setup.identities.servicePolicy();
setup.close();
const hubProcess = await startHubProcess(latencyDir);
const load0 = loadavg();
try {
  const entity = eventHubName(hubProcess.hostName);
  const spec: LatencySpec = {
    hubPid: hubProcess.pid,
    ca: hubProcess.ca,
    amqpsPort: hubProcess.amqpsPort,
    eventHubName: entity,
    eventHubsToken: eventHubsToken(latencyPolicy, entity, expiry).token,
    eventHubsConnectionString: formatEventHubsConnectionString({ hostName: 'localhost', amqpsPort: hubProcess.amqpsPort, policyName: latencyPolicy.name, key: latencyPolicy.primaryKey, entity }),
    rate: RATE,
    seconds: SECONDS,
    devices: latencyDevices.map((d) => ({
      protocol: d.protocol,
      deviceId: d.deviceId,
      partition: partitionOf(d.deviceId, PARTITIONS),
      connectionString: formatDeviceConnectionString({ hostName: `localhost:${d.protocol === 'mqtt' ? hubProcess.mqttsPort : hubProcess.amqpsPort}`, deviceId: d.deviceId, key: d.key }),
    })),
  };
  process.stderr.write(`end-to-end latency: ${RATE} msg/s × ${SECONDS} s per device, hub pid ${hubProcess.pid}\n`);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), path.join(here, 'event-hubs-latency-child.ts'), JSON.stringify(spec)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: hubProcess.caFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the latency process exited with ${code}`);
  const results = JSON.parse(out.trim().split('\n').at(-1)!) as LatencyResult[];
  const pct = (xs: number[], q: number) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length === 0 ? NaN : a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))]!;
  };
  const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const load1 = loadavg();
  process.stdout.write(`\nload average ${load0.map((x) => x.toFixed(1)).join(' ')} before, ${load1.map((x) => x.toFixed(1)).join(' ')} after; ${new Date().toISOString()}\n`);
  process.stdout.write('| device → consumer | received / sent | p50 ms | p99 ms | max ms | hub CPU µs/msg | hub CPU | load process CPU |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
  for (const r of results) {
    const hub = `${Math.round(r.hubCpuMicros / r.sent)} µs | ${Math.round((r.hubCpuMicros / (r.sendMs * 1000)) * 100)} %`;
    const share = r.selfCpuMicros / (r.sendMs * 1000);
    const self = `${Math.round(share * 100)} %${share > 0.85 ? ' (bottleneck)' : ''}`;
    for (const [who, xs] of [['EventHubConsumerClient', r.sdk], ['raw rhea receiver', r.raw]] as const) {
      process.stdout.write(`| ${r.protocol.toUpperCase()} device, ${RATE} msg/s → ${who} | ${xs.length} / ${r.sent} | ${ms(pct(xs, 0.5))} | ${ms(pct(xs, 0.99))} | ${ms(Math.max(...xs))} | ${hub} | ${self} |\n`);
    }
  }
} finally {
  if ((await stopHubProcess(hubProcess)) === 'killed') process.stderr.write('the hub process did not exit within 5 s of SIGTERM; killed\n');
  rmSync(latencyDir, { recursive: true, force: true });
}
// A closed rhea client connection can leave its heartbeat timer armed; the benchmark is done.
process.exit(0);
