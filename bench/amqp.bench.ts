/**
 * AMQP benchmarks (`npm run bench -- amqp`), in one process (load generator included, so CPU
 * figures are hub + client): 1. telemetry ingest over TLS, AMQP (rhea client, CBS, 100
 * unsettled) next to MQTT (MQTT.js, QoS 1, 100 in flight) in the same run, each message
 * acknowledged only once durable; 2. Event Hubs-compatible endpoint read throughput from a
 * pre-filled store (one partition receiver, credit 1000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import rhea, { type EventContext } from 'rhea';
import mqtt from 'mqtt';
import { startHub } from '../runtime/hub/start-hub.js';
import { openHubStore } from '../runtime/hub/store/hub-store.js';
import { ConnectionTable } from '../runtime/hub/connection-table.js';
import { createSasToken, encodeUriComponentStrict, signSasText } from '../runtime/hub/sas.js';
import { partitionOf } from '../runtime/hub/amqp/event-position.js';
import { silentLogger } from '../runtime/log/create-logger.js';
import { systemClock } from '../runtime/clock.js';
import { cbsConnection } from './amqp-cbs.js';

const N = Number(process.env.BENCH_MESSAGES ?? 5000);
const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-amqp-bench-'));
const connections = new ConnectionTable({ clock: systemClock, logger: silentLogger() });
const store = openHubStore({ stateDir: dir, connectionState: (r) => connections.isConnected(r) });
const hub = await startHub({ stateDir: dir, store, connections, bindAddress: '127.0.0.1', mqttsPort: 0, amqpsPort: 0 });
const key = (deviceId: string) => {
  if (!store.identities.get({ deviceId })) store.identities.createDevice(deviceId);
  return store.identities.get({ deviceId })!.primaryKey;
};
const expiry = Math.floor(Date.now() / 1000) + 3600;
const payload = JSON.stringify({ temperature: 21.5, humidity: 40, pad: 'x'.repeat(100) });

const measure = async (run: () => Promise<void>) => {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { perSecond: Math.round((N / ms) * 1000), cpuUsPerMessage: Math.round((used.user + used.system) / N) };
};

const amqpConnection = (token: string, audience: string) => cbsConnection({ port: hub.amqpsPort!, ca: hub.caCert, audience, token });

process.stderr.write('amqp ingest\n');
const amqpIngest = await measure(async () => {
  const connection = await amqpConnection(createSasToken('localhost/devices/bench-amqp', key('bench-amqp'), expiry), 'localhost/devices/bench-amqp');
  const sender = connection.open_sender({ target: { address: '/devices/bench-amqp/messages/events' } });
  await new Promise<void>((resolve) => {
    let sent = 0;
    let done = 0;
    const pump = () => {
      while (sent < N && sent - done < 100 && sender.sendable()) {
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

process.stderr.write('mqtt ingest\n');
const mqttIngest = await measure(async () => {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${hub.mqttsPort}`, {
    ca: hub.caCert,
    servername: 'localhost',
    clientId: 'bench-mqtt',
    username: 'localhost/bench-mqtt/?api-version=2021-04-12',
    password: createSasToken('localhost/devices/bench-mqtt', key('bench-mqtt'), expiry),
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
  await Promise.all(Array.from({ length: 100 }, worker));
  await client.endAsync();
});

// Event Hubs read: fill one device's partition, then read it all through one receiver.
const EH = N * 4;
const reader = 'bench-eh';
store.messages.appendMany(Array.from({ length: EH }, (_, i) => ({ endpoint: '$upstream', message: { deviceId: reader, body: Buffer.from(payload), systemProperties: { mid: String(i) }, properties: {}, enqueuedTimeUtc: new Date().toISOString() } })));
const policy = store.identities.servicePolicy();
const partition = partitionOf(reader, 4);
const audience = `sb://localhost/${hub.eventHubName}`;
// Event Hubs clients sign sb:// audiences with the key's text (runtime/hub/sas.ts).
const encodedAudience = encodeUriComponentStrict(audience);
const ehToken = `SharedAccessSignature sr=${encodedAudience}&sig=${encodeUriComponentStrict(signSasText(encodedAudience, policy.primaryKey, expiry, 'utf8'))}&se=${expiry}&skn=${policy.name}`;
const cpu = process.cpuUsage();
const t0 = performance.now();
process.stderr.write('event hubs read\n');
const ehConnection = await amqpConnection(ehToken, audience);
await new Promise<void>((resolve) => {
  let got = 0;
  const receiver = ehConnection.open_receiver({
    source: { address: `${hub.eventHubName}/ConsumerGroups/$Default/Partitions/${partition}`, filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '-1'", 0x468c00000004) } },
    credit_window: 1000,
  });
  receiver.on('message', (_c: EventContext) => {
    if (++got >= EH) resolve();
  });
});
const ehMs = performance.now() - t0;
const ehCpu = process.cpuUsage(cpu);
ehConnection.close();

const rows = [
  ['telemetry ingest, AMQP (rhea, 100 unsettled)', `${amqpIngest.perSecond} msg/s`, `${amqpIngest.cpuUsPerMessage} µs CPU/msg`],
  ['telemetry ingest, MQTT (MQTT.js QoS 1, 100 in flight)', `${mqttIngest.perSecond} msg/s`, `${mqttIngest.cpuUsPerMessage} µs CPU/msg`],
  [`Event Hubs read, one partition, ${EH} stored events`, `${Math.round((EH / ehMs) * 1000)} events/s`, `${Math.round((ehCpu.user + ehCpu.system) / EH)} µs CPU/event`],
];
process.stdout.write('| benchmark | throughput | CPU (hub + client) |\n| --- | --- | --- |\n');
for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
await hub.close();
store.close();
rmSync(dir, { recursive: true, force: true });
