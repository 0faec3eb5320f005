import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { sdkClient } from '../../helpers/service-sdk.js';

describe("edgeHub's direct methods through the service API, with the azure-iothub Client", () => {
  let t: TestHub;
  let api: ServiceApi;
  let client: ReturnType<typeof sdkClient>;

  beforeAll(async () => {
    t = await startTestHub({ routing: {} });
    api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
    const policy = t.hub.store.identities.servicePolicy();
    client = sdkClient(`HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, api.port, t.hub.caCert);
    t.createDevice('edge-1', { edge: true });
    t.createDevice('plain');
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('answers RefreshDeviceScopeIdentityCache with 200 although no client is connected as $edgeHub', async () => {
    const { result } = await client.invokeDeviceMethod('edge-1', '$edgeHub', { methodName: 'RefreshDeviceScopeIdentityCache', payload: { deviceIds: ['leaf-1'] }, responseTimeoutInSeconds: 10 });
    expect(result).toEqual({ status: 200, payload: null });
    expect(t.hub.isConnected({ deviceId: 'edge-1', moduleId: '$edgeHub' })).toBe(true);
  });

  it('answers an unsupported method 404 "Method <name> is not supported"', async () => {
    const { result } = await client.invokeDeviceMethod('edge-1', '$edgeHub', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 10 });
    expect(result).toEqual({ status: 404, payload: { message: 'Method ping is not supported' } });
  });

  it('answers a malformed refresh payload 400 naming the field', async () => {
    const { result } = await client.invokeDeviceMethod('edge-1', '$edgeHub', { methodName: 'RefreshDeviceScopeIdentityCache', payload: { deviceIds: 'leaf-1' }, responseTimeoutInSeconds: 10 });
    expect(result).toMatchObject({ status: 400, payload: { message: expect.stringContaining('"deviceIds" must be an array') as unknown } });
  });

  it('leaves a plain device with no $edgeHub to IoT Hub: 404 ModuleNotFound', async () => {
    const error = await client.invokeDeviceMethod('plain', '$edgeHub', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ response: { statusCode: 404 } });
  });
});
