import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { sdkClient } from '../../helpers/service-sdk.js';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';

describe('direct methods through the service API, azure-iothub Client to azure-iot-device', () => {
  let t: TestHub;
  let api: ServiceApi;
  let client: ReturnType<typeof sdkClient>;

  beforeAll(async () => {
    t = await startTestHub();
    api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
    const policy = t.hub.store.identities.servicePolicy();
    client = sdkClient(`HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, api.port, t.hub.caCert);
    const device = await t.deviceClient('dev1');
    device.onDeviceMethod('echo', (request, response) => {
      void response.send(200, { echoed: request.payload, name: request.methodName });
    });
    device.onDeviceMethod('fail', (_request, response) => {
      void response.send(418, { reason: 'teapot' });
    });
    device.onDeviceMethod('never', () => undefined);
    const mod = await t.moduleClient('dev1', 'modA');
    mod.onMethod('reset', (request, response) => {
      void response!.send(201, { module: 'modA', got: request!.payload });
    });
    t.createDevice('offline');
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('invokes a device method and returns the device status and payload', async () => {
    // connectTimeoutInSeconds covers the moment between the SDK's connect and its methods subscription.
    const { result } = await client.invokeDeviceMethod('dev1', { methodName: 'echo', payload: { n: 1 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { echoed: { n: 1 }, name: 'echo' } });
  });

  it('passes through whatever status the device chose', async () => {
    const { result } = await client.invokeDeviceMethod('dev1', { methodName: 'fail', payload: null, responseTimeoutInSeconds: 10 });
    expect(result).toEqual({ status: 418, payload: { reason: 'teapot' } });
  });

  it('invokes a module method', async () => {
    const { result } = await client.invokeDeviceMethod('dev1', 'modA', { methodName: 'reset', payload: 'now', responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 201, payload: { module: 'modA', got: 'now' } });
  });

  it('answers 504 GatewayTimeoutError when the device does not answer in time', async () => {
    await expect(client.invokeDeviceMethod('dev1', { methodName: 'never', payload: null, responseTimeoutInSeconds: 1 })).rejects.toMatchObject({
      name: 'GatewayTimeoutError',
    });
  });

  it('answers 404 when the device is not connected', async () => {
    const error = await client.invokeDeviceMethod('offline', { methodName: 'echo', payload: null, responseTimeoutInSeconds: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { statusCode: 404 } });
    expect((error as { responseBody: string }).responseBody).toContain('ErrorCode:DeviceNotOnline');
  });

  it('waits up to connectTimeoutInSeconds for an offline device to connect, then invokes it', async () => {
    t.createDevice('late');
    const late = Client.fromConnectionString(t.connectionString({ deviceId: 'late' }), Mqtt);
    await late.setOptions({ ca: t.hub.caCert });
    const invoked = client.invokeDeviceMethod('late', { methodName: 'hello', payload: null, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 });
    invoked.catch(() => undefined); // rejections surface at the await below, not as unhandled ones
    await new Promise((r) => setTimeout(r, 300));
    expect(t.hub.isConnected({ deviceId: 'late' })).toBe(false);
    // Registering a method handler makes the SDK connect (and subscribe) on its own.
    late.onDeviceMethod('hello', (_req, res) => void res.send(200, 'hi'));
    await late.open();
    try {
      const { result } = await invoked;
      expect(result).toEqual({ status: 200, payload: 'hi' });
    } finally {
      await late.close();
    }
  });

  it('answers DeviceNotFoundError for an unknown device', async () => {
    await expect(client.invokeDeviceMethod('ghost', { methodName: 'echo', payload: null, responseTimeoutInSeconds: 5 })).rejects.toMatchObject({
      name: 'DeviceNotFoundError',
    });
  });

  it('still serves the connected device after the failures above', async () => {
    const { result } = await client.invokeDeviceMethod('dev1', { methodName: 'echo', payload: [1, 2], responseTimeoutInSeconds: 10 });
    expect(result.status).toBe(200);
  });
});
