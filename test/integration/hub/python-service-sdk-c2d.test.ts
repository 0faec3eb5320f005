import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Message } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { fixedPortNamespace, type FixedPortNamespace } from '../../helpers/fixed-port-namespace.js';
import { spawnProbe } from '../../helpers/sdk-probe.js';
import { ensurePythonSdk, PYTHON_PROGRAMS, PYTHON_SERVICE_SDK } from '../../helpers/python-sdk.js';
import { formatServiceConnectionString } from '../../../runtime/hub/connection-string.js';

/*
 * The unmodified Python service SDK (azure-iot-hub 2.7, from PyPI into a cached virtual
 * environment) sending cloud-to-device messages: `IoTHubRegistryManager.send_c2d_message` speaks
 * AMQP through uamqp, which ignores a port in HostName and always dials 5671 (docs/hub.md "Which
 * SDK works how"), so the probe runs in a network namespace of its own whose 127.0.0.1:5671 leads
 * to this test's free AMQP port (test/helpers/fixed-port-namespace.ts); TLS and AMQP are end to
 * end. uamqp's OpenSSL trusts the hub CA through SSL_CERT_FILE. A Node MQTT device receives the
 * message; the Python SDK has no AMQP feedback receiver (only an HTTPS one the service API does
 * not serve), so the feedback the Python sender asked for is read with the Node azure-iothub
 * feedback receiver.
 */
const STEP_MS = 90_000;
const FEEDBACK = fileURLToPath(new URL('./fixtures/service-feedback.mjs', import.meta.url));
let t: TestHub;
let python: string;
let device: Client;
const netns: FixedPortNamespace[] = [];

beforeAll(async () => {
  python = await ensurePythonSdk();
  t = await startTestHub({ amqpsPort: 0 });
  device = await t.deviceClient('py-c2d-dev');
}, 300_000);
afterAll(async () => {
  for (const n of netns) await n.close();
  await t?.close();
});

async function run(...steps: string[]): Promise<Record<string, unknown>> {
  const policy = t.hub.store.identities.servicePolicy();
  const ns = await fixedPortNamespace(5671, t.hub.amqpsPort!, python, [path.join(PYTHON_PROGRAMS, 'service_probe.py'), ...steps]);
  netns.push(ns);
  const probe = spawnProbe(ns.command, ns.args, {
    // As `edgemu connection-string` prints it with the default ports: uamqp ignores the (HTTPS) port and dials 5671.
    EDGEMU_CONNECTION_STRING: `HostName=localhost:8443;SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`,
    SSL_CERT_FILE: t.hub.caFile,
    EDGEMU_DEVICE_ID: 'py-c2d-dev',
  });
  const results: Record<string, unknown> = {};
  try {
    for (const step of steps) results[step] = await probe.next(step, STEP_MS);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${probe.stderr()}`, { cause: error });
  }
  expect(await probe.exited).toBe(0);
  return results;
}

describe(`the unmodified Python service SDK (${PYTHON_SERVICE_SDK.name} ${PYTHON_SERVICE_SDK.version}) sending cloud-to-device messages over AMQP`, { timeout: 120_000 }, () => {
  it('sends a message with system and application properties that the device receives and completes, and the full feedback reports Success', async () => {
    const policy = t.hub.store.identities.servicePolicy();
    const feedback = spawnProbe(process.execPath, [FEEDBACK], {
      SERVICE_CONNECTION_STRING: formatServiceConnectionString({ hostName: `localhost:${t.hub.amqpsPort!}`, policyName: policy.name, key: policy.primaryKey }),
      NODE_EXTRA_CA_CERTS: t.hub.caFile,
    });
    try {
      await feedback.next('ready', STEP_MS);
      const received = new Promise<Message>((resolve) => device.on('message', (m: Message) => resolve(m)));

      expect(await run('c2d')).toEqual({ c2d: { sent: true } });
      const m = await received;
      expect(JSON.parse(m.data.toString())).toEqual({ from: 'python' });
      expect(m.messageId).toBe('py-c2d-1');
      expect(m.correlationId).toBe('py-corr-1');
      expect(m.contentType).toBe('application/json');
      expect(m.contentEncoding).toBe('utf-8');
      expect(m.properties.getValue('origin')).toBe('python-sdk');
      await device.complete(m);

      const { contentType, records } = (await feedback.next('feedback', STEP_MS)) as { contentType: string; records: unknown[] };
      expect(contentType).toBe('application/vnd.microsoft.iothub.feedback.json');
      expect(records).toEqual([expect.objectContaining({ originalMessageId: 'py-c2d-1', statusCode: 'Success', deviceId: 'py-c2d-dev' })]);
      expect(await feedback.exited).toBe(0);
    } finally {
      feedback.kill();
    }
  });

  it('raises the SDK error for a device that does not exist, and the hub keeps serving', async () => {
    const { 'c2d-unknown': refused } = await run('c2d-unknown');
    expect(refused).toEqual({ refused: 'Exception', message: 'C2D message send failure' });
    await waitFor(() => t.hub.isConnected({ deviceId: 'py-c2d-dev' }));
    expect(t.hub.store.c2d.pending('no-such-device')).toEqual([]);
  });
});
