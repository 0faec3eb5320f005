/**
 * The device and consumer side of the end-to-end latency run of bench/event-hubs.bench.ts, its
 * own process so that `NODE_EXTRA_CA_CERTS` (read by Node at start; `@azure/event-hubs` takes no CA
 * option) trusts the hub's CA. Argument: a JSON {@link LatencySpec}. For each device (one over
 * azure-iot-device-mqtt, one over azure-iot-device-amqp), after a warm-up that waits until the
 * consumer sees the device's messages: `rate` msg/s for `seconds` s, each with its send time in
 * the application property `sentAt`; an `EventHubConsumerClient` subscribed from the latest
 * event records receive time − send time per event when `processEvents` hands it over, and a raw
 * rhea receiver on the same partition (`x-opt-offset > '@latest'`) when the hub's transfer
 * arrives — the difference is the SDK's own batching. Prints one JSON line of results.
 */
import rhea, { type EventContext } from 'rhea';
import deviceSdk from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import deviceAmqp from 'azure-iot-device-amqp';
import { EventHubConsumerClient, latestEventPosition } from '@azure/event-hubs';
import { procCpuMicros } from './mqtt-load.js';
import { cbsConnection } from './amqp-cbs.js';

export interface LatencySpec {
  hubPid: number;
  ca: string;
  amqpsPort: number;
  eventHubName: string;
  /** sb:// audience token for the raw receiver's CBS put-token. */
  eventHubsToken: string;
  eventHubsConnectionString: string;
  rate: number;
  seconds: number;
  devices: Array<{ protocol: 'mqtt' | 'amqp'; deviceId: string; connectionString: string; partition: number }>;
}

export interface LatencyResult {
  protocol: string;
  sent: number;
  sdk: number[];
  raw: number[];
  sendMs: number;
  hubCpuMicros: number;
  selfCpuMicros: number;
}

const spec = JSON.parse(process.argv[2]!) as LatencySpec;
const run = `r${process.pid}`;
const payload = JSON.stringify({ temperature: 21.5, humidity: 40, pad: 'x'.repeat(100) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Sink = (sentAt: number, received: number) => void;
const sinks = { sdk: new Map<string, Sink>(), raw: new Map<string, Sink>() };
const deliver = (to: Map<string, Sink>, properties: Record<string, unknown> | undefined, received: number) => {
  if (properties?.run !== run) return;
  to.get(String(properties.device))?.(Number(properties.sentAt), received);
};

const consumer = new EventHubConsumerClient('$Default', spec.eventHubsConnectionString);
const subscription = consumer.subscribe(
  {
    processEvents: async (events) => {
      const now = performance.now();
      for (const e of events) deliver(sinks.sdk, e.properties, now);
    },
    processError: async (error) => {
      process.stderr.write(`consumer: ${String(error)}\n`);
    },
  },
  { startPosition: latestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 1 },
);

// The raw receivers: one rhea connection, CBS put-token, one link per measured partition.
const connection = await cbsConnection({ port: spec.amqpsPort, ca: spec.ca, audience: `sb://localhost/${spec.eventHubName}`, token: spec.eventHubsToken });
for (const partition of new Set(spec.devices.map((d) => d.partition))) {
  const receiver = connection.open_receiver({
    source: { address: `${spec.eventHubName}/ConsumerGroups/$Default/Partitions/${partition}`, filter: { 'apache.org:selector-filter:string': rhea.types.wrap_described("amqp.annotation.x-opt-offset > '@latest'", 0x468c00000004) } },
    credit_window: 1000,
  });
  receiver.on('message', (c: EventContext) => deliver(sinks.raw, c.message?.application_properties as Record<string, unknown> | undefined, performance.now()));
}

const results: LatencyResult[] = [];
for (const d of spec.devices) {
  const client = deviceSdk.Client.fromConnectionString(d.connectionString, d.protocol === 'mqtt' ? deviceMqtt.Mqtt : deviceAmqp.Amqp);
  await client.setOptions({ ca: spec.ca });
  await client.open();
  const send = (sentAt: number, body = payload) => {
    const m = new deviceSdk.Message(body);
    m.properties.add('run', run);
    m.properties.add('device', d.deviceId);
    m.properties.add('sentAt', String(sentAt));
    return client.sendEvent(m);
  };
  // Warm-up: both consumers must see this device's messages before the clock starts (latest
  // means "from when the link attached", so earlier messages would not count anyway).
  const seen = { sdk: false, raw: false };
  sinks.sdk.set(d.deviceId, () => (seen.sdk = true));
  sinks.raw.set(d.deviceId, () => (seen.raw = true));
  for (let i = 0; !(seen.sdk && seen.raw); i++) {
    if (i > 300) throw new Error(`warm-up: the consumers never saw ${d.deviceId} (sdk ${seen.sdk}, raw ${seen.raw})`);
    await send(performance.now(), 'warm-up');
    await sleep(100);
  }
  await sleep(500);
  const sdk: number[] = [];
  const raw: number[] = [];
  sinks.sdk.set(d.deviceId, (sentAt, received) => sdk.push(received - sentAt));
  sinks.raw.set(d.deviceId, (sentAt, received) => raw.push(received - sentAt));
  const n = spec.rate * spec.seconds;
  const hub0 = procCpuMicros(spec.hubPid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const pending: Array<Promise<unknown>> = [];
  // A steady rate: every 2 ms, send what is due by now (timers on a loaded machine are late; this catches up).
  for (let i = 0; i < n; ) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) * spec.rate) / 1000) + 1);
    for (; i < due; i++) pending.push(send(performance.now()).catch((e: unknown) => process.stderr.write(`send: ${String(e)}\n`)));
    await sleep(2);
  }
  await Promise.allSettled(pending);
  const sendMs = performance.now() - t0;
  for (let waited = 0; (sdk.length < n || raw.length < n) && waited < 10_000; waited += 50) await sleep(50);
  const hubCpuMicros = procCpuMicros(spec.hubPid) - hub0;
  const self = process.cpuUsage(self0);
  results.push({ protocol: d.protocol, sent: n, sdk, raw, sendMs, hubCpuMicros, selfCpuMicros: self.user + self.system });
  sinks.sdk.delete(d.deviceId);
  sinks.raw.delete(d.deviceId);
  await client.close();
}
await subscription.close();
await consumer.close();
connection.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
