import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Message } from 'azure-iot-device';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { amqpDeviceClient } from '../../helpers/amqp.js';
import { formatServiceConnectionString } from '../../../runtime/hub/connection-string.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'service-c2d.mjs');
let t: TestHub;
let device: Client;

beforeAll(async () => {
  t = await startTestHub({ amqpsPort: 0 });
  device = await amqpDeviceClient(t, 'dev1');
  await device.open();
});
afterAll(async () => {
  await device?.close();
  await t?.close();
});

describe('the unmodified azure-iothub service Client over AMQP', () => {
  it('sends a C2D message with ack full, the device completes it, and the feedback receiver gets Success', async () => {
    const received = new Promise<Message>((resolve) => device.on('message', (m: Message) => resolve(m)));
    received.then((m) => device.complete(m)).catch(() => {});
    const policy = t.hub.store.identities.servicePolicy();
    const connectionString = formatServiceConnectionString({ hostName: `localhost:${t.hub.amqpsPort!}`, policyName: policy.name, key: policy.primaryKey });
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [fixture], { env: { ...process.env, SERVICE_CONNECTION_STRING: connectionString, DEVICE: 'dev1', NODE_EXTRA_CA_CERTS: t.hub.caFile }, timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const m = await received;
    expect(m.data.toString()).toBe('from the service');
    expect(m.messageId).toBe('svc-1');
    expect(m.properties.getValue('origin')).toBe('service-sdk');
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as { feedback: { contentType: string; records: Array<Record<string, string>> }; unknownDevice: string };
    expect(result.feedback.contentType).toBe('application/vnd.microsoft.iothub.feedback.json');
    expect(result.feedback.records).toEqual([expect.objectContaining({ originalMessageId: 'svc-1', statusCode: 'Success', deviceId: 'dev1' })]);
    expect(result.unknownDevice).toBe('DeviceNotFoundError');
  }, 60_000);
});
