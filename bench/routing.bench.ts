/**
 * Routing benchmark (docs/routing.md): module-to-module messages through the real hub (MQTT over TLS
 * on 127.0.0.1) and the router, QoS 1, 1 KB bodies, ten routes with conditions on the same
 * source (every message evaluates all ten; one matches).
 *
 * 1. Throughput: a sender module publishes N messages with up to WINDOW unacknowledged; the
 *    receiver module acknowledges each input delivery. Rate = N / (first send → last receipt).
 *    Each message is stored in routing.db before the sender's PUBACK and deleted after the
 *    receiver's PUBACK (store-and-forward always on).
 * 2. Latency at 1,000 msg/s: sender → receiver time per message, p50/p99/max.
 * 3. The same latency run with the unmodified Azure IoT SDK ModuleClients
 *    (`sendOutputEvent` → `inputMessage`), at a lower rate.
 *
 * Load is generated with MQTT.js speaking the same IoT Hub dialect (SAS auth, property bag)
 * because the SDK's per-message overhead would otherwise be what is measured. The load
 * generator runs in a child process (this file with `--load-generator`), as modules are
 * separate processes in real life; the hub process's own CPU time per message is reported too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, availableParallelism } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import iotDevice from 'azure-iot-device';
import iotDeviceMqtt from 'azure-iot-device-mqtt';
import { startHub, type Hub } from '../runtime/hub/start-hub.js';
import { createSasToken, formatDeviceConnectionString } from '../runtime/hub/index.js';
import { EdgeRouter } from '../runtime/routing/edge-router.js';
import { ConnectionTable, openHubStore, type HubMessage } from '../runtime/hub/index.js';
import { systemClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/log/create-logger.js';

// CommonJS packages: named ESM imports are not available under plain Node.
const { ModuleClient, Message } = iotDevice;
const { Mqtt } = iotDeviceMqtt;
type Message = InstanceType<typeof Message>;

const EDGE = 'bench-edge';
const N = Number(process.env.ROUTING_BENCH_MESSAGES ?? 30_000);
const WINDOW = 1000;
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = 5;
const SDK_RATE = 200;
const SDK_SECONDS = 5;

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
const OUTPUT_TOPIC = `devices/${EDGE}/modules/sender/messages/events/${encodeURIComponent('$.on')}=data&${encodeURIComponent('$.ct')}=${encodeURIComponent('application/json')}&${encodeURIComponent('$.ce')}=utf-8&kind=bench/`;

interface Creds {
  port: number;
  ca: string;
  username: string;
  password: string;
  clientId: string;
}

function credsOf(hub: Hub, moduleId: string): Creds {
  const identity = hub.store.identities.get({ deviceId: EDGE, moduleId });
  if (!identity) throw new Error(`no identity ${moduleId}`);
  const host = `localhost:${hub.mqttsPort}`;
  return {
    port: hub.mqttsPort,
    ca: hub.caCert,
    clientId: `${EDGE}/${moduleId}`,
    username: `${host}/${EDGE}/${moduleId}/?api-version=2021-04-12`,
    password: createSasToken(`${host}/devices/${EDGE}/modules/${moduleId}`, identity.primaryKey, Math.floor(Date.now() / 1000) + 3600),
  };
}

async function connect(c: Creds): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${c.port}`, {
    clientId: c.clientId,
    username: c.username,
    password: c.password,
    ca: c.ca,
    servername: 'localhost',
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
    keepalive: 180,
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Load generator (child process): sender and receiver modules over MQTT.js. */
async function generatorThroughput(senderCreds: Creds, receiverCreds: Creds, n: number): Promise<{ rate: number; ackRate: number; cpuPerMessageUs: number }> {
  const receiver = await connect(receiverCreds);
  let received = 0;
  let lastAt = 0;
  receiver.on('message', () => {
    received += 1;
    lastAt = performance.now();
  });
  await receiver.subscribeAsync(`devices/${EDGE}/modules/receiver/inputs/#`, { qos: 1 });
  const sender = await connect(senderCreds);
  // warm-up
  await Promise.all(Array.from({ length: 500 }, () => sender.publishAsync(OUTPUT_TOPIC, body(0), { qos: 1 })));
  await until(() => received >= 500, 30_000, 'warm-up deliveries');
  received = 0;

  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let sent = 0;
  let acked = 0;
  let ackedAt = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < n && sent - acked < WINDOW) {
        sent += 1;
        sender.publish(OUTPUT_TOPIC, body(performance.now()), { qos: 1 }, (error) => {
          if (error) return reject(error);
          acked += 1;
          if (acked === n) {
            ackedAt = performance.now();
            resolve();
          } else pump();
        });
      }
    };
    pump();
  });
  await until(() => received >= n, 120_000, 'all deliveries');
  const elapsed = (lastAt - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await sender.endAsync();
  await receiver.endAsync();
  return { rate: n / elapsed, ackRate: n / ((ackedAt - start) / 1000), cpuPerMessageUs: (cpu.user + cpu.system) / n };
}

async function generatorLatency(senderCreds: Creds, receiverCreds: Creds): Promise<number[]> {
  const receiver = await connect(receiverCreds);
  const samples: number[] = [];
  receiver.on('message', (_topic, payload: Buffer) => {
    samples.push(performance.now() - (JSON.parse(payload.toString()) as { ts: number }).ts);
  });
  await receiver.subscribeAsync(`devices/${EDGE}/modules/receiver/inputs/#`, { qos: 1 });
  const sender = await connect(senderCreds);
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * LATENCY_RATE) + 1);
    while (sent < due) {
      sent += 1;
      sender.publish(OUTPUT_TOPIC, body(performance.now()), { qos: 1 });
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => samples.length >= total, 30_000, 'latency deliveries');
  await sender.endAsync();
  await receiver.endAsync();
  return samples.sort((a, b) => a - b);
}

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

type GeneratorRequest = { cmd: 'throughput'; sender: Creds; receiver: Creds; n: number } | { cmd: 'latency'; sender: Creds; receiver: Creds };

/** Child-process entry: answers one request per IPC message. */
function runGenerator(): void {
  process.on('message', (req: GeneratorRequest) => {
    const work = req.cmd === 'throughput' ? generatorThroughput(req.sender, req.receiver, req.n) : generatorLatency(req.sender, req.receiver);
    work.then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: String(error) }),
    );
  });
  process.send?.({ ready: true });
}

function ask<T>(child: ChildProcess, req: GeneratorRequest): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: { ok?: boolean; result?: T; error?: string }) => {
      if (m.ok === undefined) return;
      child.off('message', onMessage);
      if (m.ok) resolve(m.result as T);
      else reject(new Error(m.error));
    };
    child.on('message', onMessage);
    child.send(req);
  });
}

async function sdkLatency(hub: Hub): Promise<number[]> {
  const cs = (moduleId: string) =>
    formatDeviceConnectionString({ hostName: `localhost:${hub.mqttsPort}`, deviceId: EDGE, moduleId, key: hub.store.identities.get({ deviceId: EDGE, moduleId })!.primaryKey });
  const receiver = ModuleClient.fromConnectionString(cs('receiver'), Mqtt);
  const sender = ModuleClient.fromConnectionString(cs('sender'), Mqtt);
  for (const c of [receiver, sender]) {
    await c.setOptions({ ca: hub.caCert });
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
  // Wired as the composition root wires it (runtime/server/start-server.ts).
  const connections = new ConnectionTable({ clock: systemClock, logger: silentLogger() });
  const store = openHubStore({ stateDir: dir, connectionState: (ref) => connections.isConnected(ref) });
  const router = new EdgeRouter({ store, connections, stateDir: dir });
  const hub = await startHub({ stateDir: dir, bindAddress: '127.0.0.1', mqttsPort: 0, store, connections, router });
  const here = fileURLToPath(import.meta.url);
  const child = fork(path.join(path.dirname(here), '..', 'bin', 'run-ts.js'), [here, '--load-generator'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    hub.store.identities.createDevice(EDGE, { edge: true });
    for (const m of ['sender', 'receiver']) hub.store.identities.createModule(EDGE, m);
    hub.store.twins.replaceDesired({ deviceId: EDGE, moduleId: '$edgeHub' }, { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } });
    if (router.routesOf(EDGE)?.length !== 10) throw new Error('routes were not applied');
    const sender = credsOf(hub, 'sender');
    const receiver = credsOf(hub, 'receiver');

    process.stdout.write(
      `machine: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${N} messages of 1 KB, QoS 1, 10 routes with conditions\n\n`,
    );
    const core = await routerCore(N);
    const cpuStart = process.cpuUsage();
    const t = await ask<{ rate: number; ackRate: number; cpuPerMessageUs: number }>(child, { cmd: 'throughput', sender, receiver, n: N });
    const cpu = process.cpuUsage(cpuStart);
    const hubCpuPerMessageUs = (cpu.user + cpu.system) / (N + 500);
    await until(() => router.queueDepth() === 0, 10_000, 'empty queue');
    const lat = await ask<number[]>(child, { cmd: 'latency', sender, receiver });
    const sdk = await sdkLatency(hub);
    const rows = [
      ['routing core alone, no MQTT/TLS (msg/s)', fmt(core.perSecond, 0), `${fmt(core.cpuPerMessageUs, 1)} µs CPU per message`],
      ['throughput, sender → receiver (msg/s)', fmt(t.rate, 0), 'aim ≥ 10,000'],
      ['throughput, sender PUBACKs (msg/s)', fmt(t.ackRate, 0), ''],
      ['hub process CPU per routed message (µs)', fmt(hubCpuPerMessageUs, 1), `= ${fmt(1e6 / hubCpuPerMessageUs, 0)} msg per CPU-second`],
      ['load generator CPU per message, both modules (µs)', fmt(t.cpuPerMessageUs, 1), 'MQTT.js sender + receiver, other process'],
      [`latency at ${LATENCY_RATE} msg/s, p50 (ms)`, fmt(percentile(lat, 50), 2), ''],
      [`latency at ${LATENCY_RATE} msg/s, p99 (ms)`, fmt(percentile(lat, 99), 2), 'aim < 20'],
      [`latency at ${LATENCY_RATE} msg/s, max (ms)`, fmt(lat.at(-1) ?? NaN, 2), ''],
      [`SDK ModuleClients at ${SDK_RATE} msg/s, p50 (ms)`, fmt(percentile(sdk, 50), 2), ''],
      [`SDK ModuleClients at ${SDK_RATE} msg/s, p99 (ms)`, fmt(percentile(sdk, 99), 2), ''],
    ];
    const w = Math.max(...rows.map((r) => r[0]!.length));
    process.stdout.write(`| ${'measure'.padEnd(w)} | value | note |\n| ${'-'.repeat(w)} | ---: | --- |\n`);
    for (const [name, value, note] of rows) process.stdout.write(`| ${name!.padEnd(w)} | ${value} | ${note} |\n`);
  } finally {
    child.kill();
    router.close();
    await hub.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--load-generator')) runGenerator();
else await main();
