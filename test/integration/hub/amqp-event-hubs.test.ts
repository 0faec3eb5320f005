import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Message } from 'azure-iot-device';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { formatEventHubsConnectionString } from '../../../runtime/hub/connection-string.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'event-hubs-consumer.mjs');
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0 });
});
afterAll(async () => {
  await t?.close();
});

interface Seen {
  properties: { name: string; partitionIds: string[] };
  partitionIds: string[];
  events: Array<{ partitionId: string; messageId: string; body: unknown; properties: Record<string, unknown>; systemProperties: Record<string, unknown>; sequenceNumber: number }>;
  resumed: number[];
  expectedResumed: number[];
  producer: string;
}

describe('the Event Hubs-compatible endpoint with the unmodified @azure/event-hubs consumer', () => {
  it('reads telemetry sent over MQTT and AMQP with body, properties and IoT Hub system properties, resumes from a sequence number, refuses producers', async () => {
    const mqtt = await t.deviceClient('mqtt-dev');
    const amqp = await amqpDeviceClient(t, 'amqp-dev');
    await amqp.open();
    for (let i = 0; i < 3; i++) {
      const m = new Message(JSON.stringify({ i, via: 'mqtt' }));
      m.messageId = `mqtt-${i}`;
      m.properties.add('seq', String(i));
      await mqtt.sendEvent(m);
    }
    const m = new Message(JSON.stringify({ via: 'amqp' }));
    m.messageId = 'amqp-0';
    m.properties.add('alert', 'yes');
    await amqp.sendEvent(m);
    await amqp.close();

    const policy = t.hub.store.identities.servicePolicy();
    const cs = formatEventHubsConnectionString({ hostName: 'localhost', amqpsPort: t.hub.amqpsPort!, policyName: policy.name, key: policy.primaryKey, entity: t.hub.eventHubName });
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [fixture], { env: { ...process.env, EVENT_HUBS_CONNECTION_STRING: cs, EXPECTED: '4', RESUME_DEVICE: 'mqtt-dev', NODE_EXTRA_CA_CERTS: t.hub.caFile }, timeout: 90_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const seen = JSON.parse(output.trim().split('\n').at(-1)!) as Seen;
    expect(seen.properties.name).toBe(t.hub.eventHubName);
    expect(seen.partitionIds).toEqual(['0', '1', '2', '3']);
    const byId = new Map(seen.events.map((e) => [e.messageId, e]));
    expect(byId.get('mqtt-1')).toMatchObject({ body: { i: 1, via: 'mqtt' }, properties: { seq: '1' }, systemProperties: { 'iothub-connection-device-id': 'mqtt-dev', 'iothub-message-source': 'Telemetry' } });
    expect(byId.get('amqp-0')).toMatchObject({ body: { via: 'amqp' }, properties: { alert: 'yes' }, systemProperties: { 'iothub-connection-device-id': 'amqp-dev' } });
    const mqttSeqs = seen.events.filter((e) => e.systemProperties['iothub-connection-device-id'] === 'mqtt-dev').map((e) => e.sequenceNumber);
    expect(mqttSeqs).toEqual([...mqttSeqs].sort((a, b) => a - b));
    expect(seen.expectedResumed.length).toBeGreaterThanOrEqual(2);
    expect(seen.resumed).toEqual(seen.expectedResumed);
    expect(seen.producer).toMatch(/Error/);
  }, 120_000);
});
