/**
 * AMQP benchmarks (`npm run bench -- amqp`), like for like: `edgemu hub` in its own process
 * (bench/hub-process.ts), the clients in this one, so the hub's CPU (/proc/PID/stat) and the
 * load generator's (process.cpuUsage) are reported apart, and a load generator above 85 % of a
 * core is marked the bottleneck. 1. Telemetry ingest over TLS, AMQP (rhea client, CBS, 100
 * unsettled) next to MQTT (MQTT.js, QoS 1, 100 in flight), and the unmodified device SDKs
 * (azure-iot-device-amqp and -mqtt, 100 sendEvent calls in flight each), BENCH_ROUNDS (2)
 * interleaved rounds of BENCH_MESSAGES (5000) each, every message acknowledged only once
 * durable; 2. the Event
 * Hubs-compatible endpoint's read throughput from a store pre-filled before the hub starts (one
 * partition receiver from earliest, credit 1000): a rhea receiver that decodes each message and
 * a counting one that does not (a lighter load generator), interleaved, two runs each.
 * BENCH_AMQP_ONLY=ingest skips the Event Hubs read; BENCH_HUB_CPU_PROF=<dir> starts the hub with
 * `--cpu-prof --cpu-prof-dir=<dir>` (a .cpuprofile written when it exits) for profiling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import rhea, { type EventContext, type Receiver } from 'rhea';
import mqtt from 'mqtt';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import { createSasToken } from '../runtime/hub/sas.js';
import { partitionOf } from '../runtime/hub/amqp/event-position.js';
import { eventHubName } from '../runtime/hub/connection-string.js';
import deviceSdk, { type Client } from 'azure-iot-device';
import deviceAmqp from 'azure-iot-device-amqp';
import deviceMqtt from 'azure-iot-device-mqtt';
import { formatDeviceConnectionString } from '../runtime/hub/connection-string.js';
import { cbsConnection, eventHubsToken } from './amqp-cbs.js';
import { startHubProcess, stopHubProcess } from './hub-process.js';
import { procCpuMicros } from './mqtt-load.js';

const N = Number(process.env.BENCH_MESSAGES ?? 5000);
/** Messages in flight (unsettled AMQP transfers, unacknowledged MQTT PUBLISHes, pending sendEvent calls). */
const INFLIGHT = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const EH = N * 4;
const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-amqp-bench-'));
const expiry = Math.floor(Date.now() / 1000) + 3600;
const payload = JSON.stringify({ temperature: 21.5, humidity: 40, pad: 'x'.repeat(100) });

// Identities and the Event Hubs read's events go into the hub's store before the hub starts.
const reader = 'bench-eh';
const setup = openHubStore({ stateDir: dir });
const keys = new Map(['bench-amqp', 'bench-mqtt', 'bench-sdk-amqp', 'bench-sdk-mqtt'].map((d) => [d, setup.identities.createDevice(d).primaryKey]));
const enqueued = new Date().toISOString();
for (let off = 0; off < EH; off += 1000) {
  setup.messages.appendMany(Array.from({ length: Math.min(1000, EH - off) }, (_, i) => ({ endpoint: '$upstream', message: { deviceId: reader, body: Buffer.from(payload), systemProperties: { mid: String(off + i) }, properties: {}, enqueuedTimeUtc: enqueued } })));
}
const policy = setup.identities.servicePolicy();
setup.close();
const profileDir = process.env.BENCH_HUB_CPU_PROF;
const hub = await startHubProcess(dir, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const entity = eventHubName(hub.hostName);

interface Measured {
  perSecond: number;
  hubUs: number;
  clientUs: number;
  clientShare: number;
}
const measure = async (count: number, run: () => Promise<void>): Promise<Measured> => {
  const hub0 = procCpuMicros(hub.pid);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const client = used.user + used.system;
  return { perSecond: (count / ms) * 1000, hubUs: (procCpuMicros(hub.pid) - hub0) / count, clientUs: client / count, clientShare: client / (ms * 1000) };
};

const amqpIngest = () =>
  measure(N, async () => {
    const connection = await cbsConnection({ port: hub.amqpsPort, ca: hub.ca, audience: 'localhost/devices/bench-amqp', token: createSasToken('localhost/devices/bench-amqp', keys.get('bench-amqp')!, expiry) });
    const sender = connection.open_sender({ target: { address: '/devices/bench-amqp/messages/events' } });
    await new Promise<void>((resolve) => {
      let sent = 0;
      let done = 0;
      const pump = () => {
        while (sent < N && sent - done < INFLIGHT && sender.sendable()) {
          sender.send({ message_id: String(sent++), content_type: 'application/json', body: rhea.message.data_section(Buffer.from(payload)) });
        }
      };
      sender.on('sendable', pump);
      sender.on('accepted', () => {
        if (++done === N) resolve();
        else pump();
      });
    });
    connection.close();
  });

const mqttIngest = () =>
  measure(N, async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${hub.mqttsPort}`, {
      ca: hub.ca,
      servername: 'localhost',
      clientId: 'bench-mqtt',
      username: 'localhost/bench-mqtt/?api-version=2021-04-12',
      password: createSasToken('localhost/devices/bench-mqtt', keys.get('bench-mqtt')!, expiry),
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        await client.publishAsync('devices/bench-mqtt/messages/events/', payload, { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    await client.endAsync();
  });

/** The unmodified device SDK over `protocol`, INFLIGHT sendEvent calls at a time. */
const sdkIngest = async (protocol: 'amqp' | 'mqtt') => {
  const deviceId = `bench-sdk-${protocol}`;
  const port = protocol === 'amqp' ? hub.amqpsPort : hub.mqttsPort;
  const client: Client = deviceSdk.Client.fromConnectionString(formatDeviceConnectionString({ hostName: `localhost:${port}`, deviceId, key: keys.get(deviceId)! }), protocol === 'amqp' ? deviceAmqp.Amqp : deviceMqtt.Mqtt);
  await client.setOptions({ ca: hub.ca });
  await client.open();
  const result = await measure(N, async () => {
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        await client.sendEvent(new deviceSdk.Message(payload));
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
  });
  await client.close();
  return result;
};

/**
 * One partition receiver from earliest, credit 1000. `decode`: rhea decodes every message (what
 * a client does); otherwise the receiver only counts transfers — rhea still parses each frame
 * and keeps the session and link state, the message is not decoded and credit is granted back
 * 500 at a time — a lighter load generator, so the hub rather than the client is the limit.
 */
const ehRead = async (decode: boolean) => {
  const { audience, token } = eventHubsToken(policy, entity, expiry);
  const connection = await cbsConnection({ port: hub.amqpsPort, ca: hub.ca, audience, token });
  const result = await measure(EH, async () => {
    await new Promise<void>((resolve) => {
      let got = 0;
      const receiver = connection.open_receiver({
        source: { address: `${entity}/ConsumerGroups/$Default/Partitions/${partitionOf(reader, 4)}`, filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x468c00000004) } },
        credit_window: decode ? 1000 : 0,
      });
      if (decode) {
        receiver.on('message', (_c: EventContext) => {
          if (++got === EH) resolve();
        });
        return;
      }
      countTransfers(receiver, () => {
        if (++got === EH) resolve();
      });
      receiver.once('receiver_open', () => receiver.add_credit(1000));
    });
  });
  connection.close();
  return result;
};

/**
 * Counts the receiver's pre-settled transfers without decoding them: what rhea 3.0.5's
 * `Incoming.on_transfer` (lib/session.js) does for a complete pre-settled delivery, minus the
 * message decode and dispatch (the hub's runtime/hub/amqp/rhea-internals.ts lists the internals).
 */
function countTransfers(receiver: Receiver, onMessage: () => void): void {
  const incoming = (receiver.session as unknown as { incoming: { next_transfer_id: number; on_transfer(frame: { performative: { more?: boolean } }, r: Receiver): void } }).incoming;
  const onTransfer = incoming.on_transfer;
  const r = receiver as unknown as { credit: number; delivery_count: number };
  let sinceFlow = 0;
  incoming.on_transfer = function (frame, link) {
    if (link !== receiver) return onTransfer.call(this, frame, link);
    this.next_transfer_id++;
    if (frame.performative.more) return;
    r.credit--;
    r.delivery_count++;
    if (++sinceFlow === 500) {
      sinceFlow = 0;
      receiver.add_credit(500);
    }
    onMessage();
  };
}

const load0 = loadavg();
const runs: Array<{ name: string; unit: string; m: Measured }> = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`round ${round + 1}: ingest over AMQP and MQTT, raw clients and SDKs\n`);
    // Alternate the order so neither protocol always runs on a warmer hub.
    const order = round % 2 === 0 ? (['AMQP', 'MQTT', 'SDK-MQTT', 'SDK-AMQP'] as const) : (['MQTT', 'AMQP', 'SDK-AMQP', 'SDK-MQTT'] as const);
    const names = {
      AMQP: `telemetry ingest, AMQP (rhea, ${INFLIGHT} unsettled)`,
      MQTT: `telemetry ingest, MQTT (MQTT.js QoS 1, ${INFLIGHT} in flight)`,
      'SDK-AMQP': `telemetry ingest, azure-iot-device-amqp (${INFLIGHT} sendEvent in flight)`,
      'SDK-MQTT': `telemetry ingest, azure-iot-device-mqtt (${INFLIGHT} sendEvent in flight)`,
    };
    const run = { AMQP: amqpIngest, MQTT: mqttIngest, 'SDK-AMQP': () => sdkIngest('amqp'), 'SDK-MQTT': () => sdkIngest('mqtt') };
    for (const p of order) runs.push({ name: names[p], unit: 'msg', m: await run[p]() });
  }
  process.stderr.write('event hubs read\n');
  // Interleaved: the decoding receiver and the counting one, twice each.
  for (const decode of process.env.BENCH_AMQP_ONLY === 'ingest' ? [] : [true, false, false, true]) {
    runs.push({ name: `Event Hubs read, one partition, ${EH} stored events, ${decode ? 'rhea receiver (decodes each message)' : 'counting receiver (no decode)'}`, unit: 'event', m: await ehRead(decode) });
  }
} finally {
  const how = await stopHubProcess(hub);
  if (how === 'killed') process.stderr.write('the hub process did not exit within 5 s of SIGTERM; killed\n');
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg();
process.stdout.write(`load average ${load0.map((x) => x.toFixed(1)).join(' ')} before, ${load1.map((x) => x.toFixed(1)).join(' ')} after; ${new Date().toISOString()}; ${ROUNDS} rounds × ${N} messages\n`);
process.stdout.write('| benchmark | throughput | hub CPU | load generator CPU | load generator share of a core |\n| --- | --- | --- | --- | --- |\n');
for (const r of runs) {
  const share = `${Math.round(r.m.clientShare * 100)} %${r.m.clientShare > 0.85 ? ' (bottleneck)' : ''}`;
  process.stdout.write(`| ${r.name} | ${Math.round(r.m.perSecond)} ${r.unit}/s | ${r.m.hubUs.toFixed(1)} µs/${r.unit} | ${r.m.clientUs.toFixed(1)} µs/${r.unit} | ${share} |\n`);
}
// A closed rhea client connection can leave its heartbeat timer armed; the benchmark is done.
process.exit(0);
