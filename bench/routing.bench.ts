/**
 * Routing benchmark (`npm run bench -- routing`; docs/routing.md "Benchmark"): module-to-module
 * messages through `edgemu hub` — its own process, started as a user starts it, with edgeHub
 * routing wired by the composition root — over MQTT/TLS on 127.0.0.1, QoS 1, 1 KB JSON bodies,
 * ten routes with conditions on the sender's output (an application property and `$body`;
 * every message evaluates all ten, one matches), store-and-forward always on: each message is
 * stored in routing.db before the sender's PUBACK and deleted after the receiver's PUBACK.
 *
 * The load is the hub benchmark's generator (bench/mqtt-load.ts, raw MQTT 3.1.1 in its own
 * process): a sender module publishing with up to WINDOW unacknowledged and a receiver module
 * acknowledging every input delivery; the send time travels in the body, so latency is sender
 * write → receiver read. Reported, as medians with min–max of ROUTING_BENCH_ROUNDS runs:
 * 1. throughput: N messages, rate = N / (first send → last delivery); the hub process's CPU µs
 *    per routed message (/proc/PID/stat) and the load generator's own CPU share, flagged as the
 *    bottleneck above 85 % of a core;
 * 2. latency at 1,000 msg/s for 5 s: p50/p99/max, and the hub's CPU per message at that rate;
 * 3. the same at 200 msg/s with the unmodified Azure IoT SDK ModuleClients
 *    (`sendOutputEvent` → `inputMessage`), in this process;
 * 4. the routing core alone, in this process without MQTT/TLS (match ten routes, store,
 *    deliver to a fake hub, remove), for what the protocol layers add.
 * Knobs: ROUTING_BENCH_MESSAGES (30000), ROUTING_BENCH_ROUNDS (3), ROUTING_BENCH_PROFILE=DIR
 * (the hub process writes a `--cpu-prof` profile there), ROUTING_BENCH_ONLY=throughput (only
 * part 1: a profile of the hub at full load, not blended with the paced and SDK runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import iotDevice from 'azure-iot-device';
import iotDeviceMqtt from 'azure-iot-device-mqtt';
import { createSasToken, formatDeviceConnectionString } from '../runtime/hub/index.js';
import { EdgeRouter } from '../runtime/routing/edge-router.js';
import { openHubStore, type HubMessage } from '../runtime/hub/index.js';
import { startHubProcess, stopHubProcess, type HubProcess } from './hub-process.js';
import { lineChild } from './line-child.js';
import { TS_PLACEHOLDER, type LoadClient } from './mqtt-load.js';

// CommonJS packages: named ESM imports are not available under plain Node.
const { ModuleClient, Message } = iotDevice;
const { Mqtt } = iotDeviceMqtt;
type Message = InstanceType<typeof Message>;

const here = path.dirname(fileURLToPath(import.meta.url));
const EDGE = 'bench-edge';
const N = Number(process.env.ROUTING_BENCH_MESSAGES ?? 30_000);
const ROUNDS = Number(process.env.ROUTING_BENCH_ROUNDS ?? 3);
const WINDOW = 1000;
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = 5;
const SDK_RATE = 200;
const SDK_SECONDS = 5;
const ONLY = process.env.ROUTING_BENCH_ONLY;
if (ONLY !== undefined && ONLY !== 'throughput') throw new Error(`ROUTING_BENCH_ONLY=${ONLY}: the only value is "throughput"`);

const routes: Record<string, string> = {};
for (let i = 0; i < 9; i += 1) {
  routes[`other${i}`] = `FROM /messages/modules/sender/outputs/data WHERE kind = 'other${i}' AND $body.value > ${i} INTO BrokeredEndpoint("/modules/receiver/inputs/other${i}")`;
}
routes.main = `FROM /messages/modules/sender/outputs/data WHERE kind = 'bench' AND $body.value > 10 AND IS_NUMBER($body.ts) INTO BrokeredEndpoint("/modules/receiver/inputs/in")`;

const pad = 'x'.repeat(1024);
/** A ~1 KB JSON body carrying its send time. */
const body = (ts: number): Buffer => {
  const head = JSON.stringify({ value: 42, ts, pad: '' });
  return Buffer.from(JSON.stringify({ value: 42, ts, pad: pad.slice(0, 1024 - head.length) }));
};
/** The same 1 KB body for the load generator, the send time stamped into TS_PLACEHOLDER. */
const bodyTemplate = (): string => {
  const head = `{"value":42,${TS_PLACEHOLDER},"pad":""}`;
  return `{"value":42,${TS_PLACEHOLDER},"pad":"${pad.slice(0, 1024 - head.length)}"}`;
};
const OUTPUT_TOPIC = `devices/${EDGE}/modules/sender/messages/events/${encodeURIComponent('$.on')}=data&${encodeURIComponent('$.ct')}=${encodeURIComponent('application/json')}&${encodeURIComponent('$.ce')}=utf-8&kind=bench/`;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[], digits: number) => (xs.length === 1 ? fmt(xs[0]!, digits) : `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`);

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The edge device, its two modules and the ten routes, written to the state dir before the hub starts; the modules' keys. */
function prepare(dir: string): Record<'sender' | 'receiver', string> {
  const store = openHubStore({ stateDir: dir });
  try {
    store.identities.createDevice(EDGE, { edge: true });
    const keys = { sender: store.identities.createModule(EDGE, 'sender').primaryKey, receiver: store.identities.createModule(EDGE, 'receiver').primaryKey };
    store.twins.replaceDesired({ deviceId: EDGE, moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } });
    return keys;
  } finally {
    store.close();
  }
}

/** A module as the load generator connects it (IoT Hub's MQTT username and SAS token). */
const loadClient = (moduleId: string, key: string, extra: Partial<LoadClient>): LoadClient => ({
  clientId: `${EDGE}/${moduleId}`,
  username: `localhost/${EDGE}/${moduleId}/?api-version=2021-04-12`,
  password: createSasToken(`localhost/devices/${EDGE}/modules/${moduleId}`, key, Math.floor(Date.now() / 1000) + 7200),
  topic: OUTPUT_TOPIC,
  ...extra,
});

/**
 * The routing core alone, no MQTT/TLS: `route()` (match ten routes, group-commit to
 * routing.db) then live delivery to a fake hub that acknowledges at once, and the delete.
 */
async function routerCore(n: number): Promise<{ perSecond: number; cpuPerMessageUs: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-routing-core-'));
  const store = openHubStore({ stateDir: dir });
  let delivered = 0;
  const router = new EdgeRouter({
    store,
    stateDir: dir,
    connections: {
      deliverToModuleInput: async () => {
        delivered += 1;
      },
      onConnectionChanged: () => () => {},
      onInputsSubscribed: () => () => {},
      connections: () => [],
    },
  });
  try {
    store.identities.createDevice(EDGE, { edge: true });
    for (const m of ['sender', 'receiver']) store.identities.createModule(EDGE, m);
    store.twins.replaceDesired({ deviceId: EDGE, moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes });
    router.inputsReady({ deviceId: EDGE, moduleId: 'receiver' });
    await new Promise((r) => setTimeout(r, 50));
    const message = (): HubMessage => ({
      deviceId: EDGE,
      moduleId: 'sender',
      outputName: 'data',
      body: body(performance.now()),
      systemProperties: { on: 'data', ct: 'application/json', ce: 'utf-8' },
      properties: { kind: 'bench' },
      enqueuedTimeUtc: new Date().toISOString(),
    });
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let sent = 0; sent < n; sent += WINDOW) {
      await Promise.all(Array.from({ length: Math.min(WINDOW, n - sent) }, () => router.route(message())));
    }
    await until(() => delivered >= n, 60_000, 'core deliveries');
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: n / ((performance.now() - start) / 1000), cpuPerMessageUs: (cpu.user + cpu.system) / n };
  } finally {
    router.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sdkLatency(hub: HubProcess, keys: Record<'sender' | 'receiver', string>): Promise<number[]> {
  const cs = (moduleId: 'sender' | 'receiver') => formatDeviceConnectionString({ hostName: `localhost:${hub.mqttsPort}`, deviceId: EDGE, moduleId, key: keys[moduleId] });
  const receiver = ModuleClient.fromConnectionString(cs('receiver'), Mqtt);
  const sender = ModuleClient.fromConnectionString(cs('sender'), Mqtt);
  for (const c of [receiver, sender]) {
    await c.setOptions({ ca: hub.ca });
    await c.open();
  }
  const samples: number[] = [];
  receiver.on('inputMessage', (_input: string, msg: Message) => {
    samples.push(performance.now() - (JSON.parse(msg.data.toString()) as { ts: number }).ts);
  });
  await new Promise((r) => setTimeout(r, 200)); // let the inputs subscription settle
  const total = SDK_RATE * SDK_SECONDS;
  const start = performance.now();
  let sent = 0;
  const sends: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * SDK_RATE) + 1);
    while (sent < due) {
      sent += 1;
      const m = new Message(body(performance.now()));
      m.contentType = 'application/json';
      m.contentEncoding = 'utf-8';
      m.properties.add('kind', 'bench');
      sends.push(sender.sendOutputEvent('data', m));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(sends);
  await until(() => samples.length >= total, 30_000, 'SDK deliveries');
  await sender.close();
  await receiver.close();
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-routing-bench-'));
  const keys = prepare(dir);
  const profile = process.env.ROUTING_BENCH_PROFILE;
  const hub = await startHubProcess(dir, profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profile)] : []);
  const load = lineChild(spawn(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), path.join(here, 'mqtt-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const load0 = loadavg()[0]!;
  try {
    process.stdout.write(
      `machine: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start, ${new Date().toISOString()}; ` +
        `edgemu hub as its own process (pid ${hub.pid}); ${N} messages of 1 KB × ${ROUNDS} rounds, QoS 1, ${WINDOW} in flight, 10 routes with conditions\n\n`,
    );
    const receiver = loadClient('receiver', keys.receiver, { receiver: true, subscribe: [`devices/${EDGE}/modules/receiver/inputs/#`] });
    const sender = loadClient('sender', keys.sender, {});
    const connected = await load.ask({ cmd: 'connect', url: `mqtts://127.0.0.1:${hub.mqttsPort}`, ca: hub.ca, clients: [receiver, sender], body: bodyTemplate() });
    process.stdout.write(`TLS: ${String(connected.cipher)}\n`);
    await load.ask({ cmd: 'route', total: 2000, window: WINDOW, brokerPid: hub.pid }); // warm-up
    const runs: Array<{ rate: number; ackRate: number; cpu: number; loadShare: number; p99: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await load.ask({ cmd: 'route', total: N, window: WINDOW, brokerPid: hub.pid });
      const run = { rate: (N / (r.deliverMs as number)) * 1000, ackRate: (N / (r.ackMs as number)) * 1000, cpu: (r.brokerCpuMicros as number) / N, loadShare: (r.loadCpuMicros as number) / ((r.deliverMs as number) * 1000), p99: r.p99 as number };
      runs.push(run);
      process.stderr.write(`round ${round + 1}: ${fmt(run.rate, 0)} msg/s delivered, ${fmt(run.ackRate, 0)} msg/s acknowledged, hub ${fmt(run.cpu)} µs/msg, load generator ${fmt(run.loadShare * 100, 0)}% CPU\n`);
    }
    if (ONLY === 'throughput') {
      process.stdout.write(`throughput (msg/s) ${spread(runs.map((r) => r.rate), 0)}, hub CPU per routed message (µs) ${spread(runs.map((r) => r.cpu), 1)}\n`);
      return;
    }
    const lat = await load.ask({ cmd: 'paced', rate: LATENCY_RATE, seconds: LATENCY_SECONDS, brokerPid: hub.pid });
    if ((lat.received as number) < (lat.sent as number)) throw new Error(`paced run: ${String(lat.received)} of ${String(lat.sent)} delivered`);
    await load.ask({ cmd: 'close' });
    const sdk = await sdkLatency(hub, keys);
    const core = await routerCore(N);
    const share = median(runs.map((r) => r.loadShare));
    const rows = [
      ['throughput, sender → receiver (msg/s)', spread(runs.map((r) => r.rate), 0), 'aim ≥ 30,000'],
      ['throughput, sender PUBACKs (msg/s)', spread(runs.map((r) => r.ackRate), 0), ''],
      ['hub process CPU per routed message (µs)', spread(runs.map((r) => r.cpu), 1), `aim ≤ 15; = ${fmt(1e6 / median(runs.map((r) => r.cpu)), 0)} msg per CPU-second`],
      ['latency under full load, p99 (ms)', spread(runs.map((r) => r.p99), 1), `${WINDOW} in flight`],
      ['load generator CPU (share of a core)', `${fmt(share * 100, 0)}%`, share > 0.85 ? 'bottleneck: the hub was not saturated' : 'not the bottleneck'],
      [`latency at ${LATENCY_RATE} msg/s, p50 (ms)`, fmt(lat.p50 as number, 2), ''],
      [`latency at ${LATENCY_RATE} msg/s, p99 (ms)`, fmt(lat.p99 as number, 2), 'aim < 10'],
      [`latency at ${LATENCY_RATE} msg/s, max (ms)`, fmt(lat.max as number, 2), ''],
      [`hub CPU per message at ${LATENCY_RATE} msg/s (µs)`, fmt((lat.brokerCpuMicros as number) / (lat.sent as number), 1), 'includes its idle timers'],
      [`SDK ModuleClients at ${SDK_RATE} msg/s, p50 (ms)`, fmt(percentile(sdk, 50), 2), ''],
      [`SDK ModuleClients at ${SDK_RATE} msg/s, p99 (ms)`, fmt(percentile(sdk, 99), 2), ''],
      ['routing core alone, in-process, no MQTT/TLS (msg/s)', fmt(core.perSecond, 0), `${fmt(core.cpuPerMessageUs, 1)} µs CPU per message`],
    ];
    const w = Math.max(...rows.map((r) => r[0]!.length));
    process.stdout.write(`\n| ${'measure'.padEnd(w)} | value | note |\n| ${'-'.repeat(w)} | ---: | --- |\n`);
    for (const [name, value, note] of rows) process.stdout.write(`| ${name!.padEnd(w)} | ${value} | ${note} |\n`);
    process.stdout.write(`\n(throughput rows: median of ${ROUNDS} runs, min–max in brackets; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})\n`);
  } finally {
    load.child.kill();
    await stopHubProcess(hub);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
