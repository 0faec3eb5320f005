import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, waitFor, type TestHub } from '../../helpers/hub.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { sdkClient } from '../../helpers/service-sdk.js';
import { fixedPortNamespace, type FixedPortNamespace } from '../../helpers/fixed-port-namespace.js';
import { spawnProbe, type SdkProbe } from '../../helpers/sdk-probe.js';
import { ensureJavaProbe, JAVA_DEVICE_SDK } from '../../helpers/java-sdk.js';

/*
 * The unmodified Java device SDK (iot-device-client 2.5 from Maven Central, built into a small
 * program by Maven and cached) against the hub over MQTT/TLS with a SAS connection string: the
 * SDK signs its token over the raw `sr` (test/integration/hub/java-sas-token.test.ts proves that
 * rule on its own). The SDK refuses a host name without a dot (`HostName=localhost`) and always
 * dials 8883 without a proxy for MQTT (docs/hub.md "Which SDK works how"), so this test names the
 * hub `127.0.0.1` (in the hub certificate's SANs) and runs the program in a network namespace of
 * its own whose 127.0.0.1:8883 leads to the free test port (test/helpers/fixed-port-namespace.ts);
 * TLS and MQTT are end to end.
 */
/** A JVM with the SDK on a loaded 2-core machine takes its time: alone a step takes ≤ 10 s, with other test files running several times that. */
const STEP_MS = 100_000;

let t: TestHub;
let api: ServiceApi;
let netns: FixedPortNamespace;
let probe: SdkProbe;
let service: ReturnType<typeof sdkClient>;

beforeAll(async () => {
  const javaArgs = await ensureJavaProbe();
  t = await startTestHub();
  api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
  const policy = t.hub.store.identities.servicePolicy();
  service = sdkClient(`HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, api.port, t.hub.caCert);
  t.createDevice('java-dev');
  t.hub.store.twins.patchDesired({ deviceId: 'java-dev' }, { telemetryInterval: 10 });
  const identity = t.hub.store.identities.get({ deviceId: 'java-dev' })!;
  netns = await fixedPortNamespace(8883, t.hub.mqttsPort, 'java', javaArgs);
  probe = spawnProbe(netns.command, netns.args, {
    EDGEMU_CONNECTION_STRING: `HostName=127.0.0.1;DeviceId=java-dev;SharedAccessKey=${identity.primaryKey}`,
    EDGEMU_CA_FILE: t.hub.caFile,
  });
}, 600_000);
afterAll(async () => {
  probe?.kill();
  await probe?.exited;
  await netns?.close();
  await api?.close();
  await t?.close();
});

describe(`a device using the unmodified Java SDK (iot-device-client ${JAVA_DEVICE_SDK.version}) over MQTT/TLS`, { timeout: 120_000 }, () => {
  it('connects with a raw-sr SAS token on the port it always dials and reads its twin', async () => {
    const twin = (await probe.next('twin', STEP_MS)) as { properties: { desired: Record<string, unknown>; reported: Record<string, unknown> } };
    expect(twin.properties.desired).toMatchObject({ telemetryInterval: 10 });
  });

  it('patches its reported properties, which the hub stores with a new $version', async () => {
    expect(await probe.next('reported', STEP_MS)).toEqual({ version: 2 });
    expect(t.hub.store.twins.get({ deviceId: 'java-dev' })!.properties.reported).toMatchObject({ sdk: 'java', firmware: { version: '2.5', ok: true }, $version: 2 });
  });

  it('receives a desired patch', async () => {
    await probe.next('ready', STEP_MS);
    await waitFor(() => t.hub.store.sessions.filters('java-dev').has('$iothub/twin/PATCH/properties/desired/#'), 10_000, 'the SDK subscribes to desired patches');
    t.hub.store.twins.patchDesired({ deviceId: 'java-dev' }, { telemetryInterval: 20 });
    expect(await probe.next('desired', STEP_MS)).toMatchObject({ telemetryInterval: 20 });
  });

  it('answers a direct method invoked through the service API with the azure-iothub SDK', async () => {
    await waitFor(() => t.hub.store.sessions.filters('java-dev').has('$iothub/methods/POST/#'), 10_000, 'the SDK subscribes to methods');
    const { result } = await service.invokeDeviceMethod('java-dev', { methodName: 'echo', payload: { n: 1, s: 'x' }, responseTimeoutInSeconds: 15 });
    expect(result).toEqual({ status: 200, payload: { echo: { n: 1, s: 'x' }, sdk: 'java' } });
    expect(await probe.next('method', STEP_MS)).toEqual({ name: 'echo', payload: { n: 1, s: 'x' } });
  });

  it('passes the status the device chose for an unknown method, and stops on request', async () => {
    const { result } = await service.invokeDeviceMethod('java-dev', { methodName: 'nope', payload: null, responseTimeoutInSeconds: 15 });
    expect(result).toEqual({ status: 404, payload: { unknown: 'nope' } });
    const stopped = await service.invokeDeviceMethod('java-dev', { methodName: 'stop', payload: null, responseTimeoutInSeconds: 15 });
    expect(stopped.result.status).toBe(200);
    expect(await probe.exited).toBe(0);
  });
});
