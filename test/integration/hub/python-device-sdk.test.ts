import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { sdkClient } from '../../helpers/service-sdk.js';
import { startConnectProxy, type ConnectProxy } from '../../helpers/connect-proxy.js';
import { spawnProbe, type SdkProbe } from '../../helpers/sdk-probe.js';
import { ensurePythonSdk, PYTHON_DEVICE_SDK, PYTHON_PROGRAMS } from '../../helpers/python-sdk.js';

/*
 * The unmodified Python device SDK (azure-iot-device 2.14, from PyPI into a cached virtual
 * environment) against the hub: MQTT over TLS, SAS from the connection string. The SDK always
 * dials 8883 (docs/hub.md "Which SDK works how"), so it reaches this test's free port through its
 * own HTTP proxy support and test/helpers/connect-proxy.ts; TLS and MQTT are end to end.
 */
let t: TestHub;
let api: ServiceApi;
let proxy: ConnectProxy;
let probe: SdkProbe;
let service: ReturnType<typeof sdkClient>;

beforeAll(async () => {
  const python = await ensurePythonSdk();
  t = await startTestHub();
  api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
  const policy = t.hub.store.identities.servicePolicy();
  service = sdkClient(`HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, api.port, t.hub.caCert);
  proxy = await startConnectProxy({ 8883: t.hub.mqttsPort });
  t.createDevice('py-dev');
  t.hub.store.twins.patchDesired({ deviceId: 'py-dev' }, { telemetryInterval: 10 });
  const identity = t.hub.store.identities.get({ deviceId: 'py-dev' })!;
  probe = spawnProbe(python, [path.join(PYTHON_PROGRAMS, 'device_probe.py')], {
    // HostName without a port: the Python SDK would not use one anyway.
    EDGEMU_CONNECTION_STRING: `HostName=localhost;DeviceId=py-dev;SharedAccessKey=${identity.primaryKey}`,
    EDGEMU_CA_FILE: t.hub.caFile,
    EDGEMU_PROXY_PORT: String(proxy.port),
  });
}, 300_000);
afterAll(async () => {
  probe?.kill();
  await proxy?.close();
  await api?.close();
  await t?.close();
});

describe(`a device using the unmodified Python SDK (${PYTHON_DEVICE_SDK.name} ${PYTHON_DEVICE_SDK.version}) over MQTT/TLS`, () => {
  it('connects on the port it always dials and reads its twin with the desired properties', async () => {
    const twin = (await probe.next('twin')) as { desired: Record<string, unknown>; reported: Record<string, unknown> };
    expect(twin.desired).toMatchObject({ telemetryInterval: 10, $version: 2 });
    expect(twin.reported).toMatchObject({ $version: 1 });
    expect(proxy.requests).toEqual(['localhost:8883']);
  });

  it('patches its reported properties, which the hub stores with a new $version', async () => {
    const reported = (await probe.next('reported')) as Record<string, unknown>;
    expect(reported).toMatchObject({ sdk: 'python', firmware: { version: '2.14', ok: true }, $version: 2 });
    expect(t.hub.store.twins.get({ deviceId: 'py-dev' })!.properties.reported).toMatchObject({ sdk: 'python', firmware: { ok: true }, $version: 2 });
  });

  it('receives a desired patch with its $version', async () => {
    await probe.next('ready');
    await waitFor(() => t.hub.store.sessions.filters('py-dev').has('$iothub/twin/PATCH/properties/desired/#'), 10_000, 'the SDK subscribes to desired patches');
    t.hub.store.twins.patchDesired({ deviceId: 'py-dev' }, { telemetryInterval: 20 });
    expect(await probe.next('desired')).toMatchObject({ telemetryInterval: 20, $version: 3 });
  });

  it('answers a direct method invoked through the service API with the azure-iothub SDK', async () => {
    await waitFor(() => t.hub.store.sessions.filters('py-dev').has('$iothub/methods/POST/#'), 10_000, 'the SDK subscribes to methods');
    const { result } = await service.invokeDeviceMethod('py-dev', { methodName: 'echo', payload: { n: 1, s: 'x' }, responseTimeoutInSeconds: 15 });
    expect(result).toEqual({ status: 200, payload: { echo: { n: 1, s: 'x' }, sdk: 'python' } });
    expect(await probe.next('method')).toEqual({ name: 'echo', payload: { n: 1, s: 'x' } });
  });

  it('passes the status the device chose for an unknown method, and stops on request', async () => {
    const { result } = await service.invokeDeviceMethod('py-dev', { methodName: 'nope', payload: null, responseTimeoutInSeconds: 15 });
    expect(result).toEqual({ status: 404, payload: { unknown: 'nope' } });
    const stopped = await service.invokeDeviceMethod('py-dev', { methodName: 'stop', payload: null, responseTimeoutInSeconds: 15 });
    expect(stopped.result.status).toBe(200);
    expect(await probe.exited).toBe(0);
  });
});
