import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Client } from 'azure-iot-device';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { spawnProbe } from '../../helpers/sdk-probe.js';
import { ensurePythonSdk, PYTHON_PROGRAMS, PYTHON_SERVICE_SDK } from '../../helpers/python-sdk.js';

/*
 * The unmodified Python service SDK (azure-iot-hub 2.7, from PyPI into a cached virtual
 * environment) against the hub's service API. Its registry manager speaks HTTPS to
 * `https://<HostName>`, so a port in `HostName` works (unlike the Python device SDK); the CA comes
 * from REQUESTS_CA_BUNDLE. Cloud-to-device messages go over AMQP in this SDK, on the port it always
 * dials: python-service-sdk-c2d.test.ts.
 */
let t: TestHub;
let api: ServiceApi;
let python: string;
let device: Client;

beforeAll(async () => {
  python = await ensurePythonSdk();
  t = await startTestHub();
  api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
  device = await t.deviceClient('py-svc-dev');
  device.onDeviceMethod('echo', (request, response) => void response.send(200, { echoed: request.payload }));
  await waitFor(() => t.hub.store.sessions.filters('py-svc-dev').has('$iothub/methods/POST/#'));
}, 300_000);
afterAll(async () => {
  await api?.close();
  await t?.close();
});

async function run(...steps: string[]): Promise<Record<string, unknown>> {
  const policy = t.hub.store.identities.servicePolicy();
  const probe = spawnProbe(python, [path.join(PYTHON_PROGRAMS, 'service_probe.py'), ...steps], {
    EDGEMU_CONNECTION_STRING: `HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`,
    REQUESTS_CA_BUNDLE: t.hub.caFile,
    EDGEMU_DEVICE_ID: 'py-svc-dev',
  });
  const results: Record<string, unknown> = {};
  for (const step of steps) results[step] = await probe.next(step);
  expect(await probe.exited).toBe(0);
  return results;
}

describe(`the unmodified Python service SDK (${PYTHON_SERVICE_SDK.name} ${PYTHON_SERVICE_SDK.version}) on the service API`, () => {
  it('reads a device and its twin with the registry manager', async () => {
    const { device: d, twin } = await run('device', 'twin');
    expect(d).toEqual({ deviceId: 'py-svc-dev', status: 'enabled', connectionState: 'Connected' });
    expect(twin).toMatchObject({ device_id: 'py-svc-dev', properties: { desired: { $version: 1 }, reported: { $version: 1 } } });
  });

  it('patches the desired properties with the twin ETag, and the connected device receives them', async () => {
    const deviceTwin = await device.getTwin();
    const received = new Promise<Record<string, unknown>>((resolve) => deviceTwin.on('properties.desired', (d: Record<string, unknown>) => d.fromPython && resolve(d)));
    const { updated } = await run('updated');
    expect(updated).toMatchObject({ properties: { desired: { fromPython: { interval: 7 }, $version: 2 } } });
    expect(await received).toMatchObject({ fromPython: { interval: 7 } });
  });

  it('invokes a direct method the device answers', async () => {
    const { method } = await run('method');
    expect(method).toEqual({ status: 200, payload: { echoed: { from: 'python' } } });
  });
});
