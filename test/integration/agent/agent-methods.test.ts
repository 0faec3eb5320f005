import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { systemClock } from '../../../runtime/clock.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startHubServiceApi } from '../../../runtime/service-api/start-hub-service-api.js';
import type { ServiceApi } from '../../../runtime/service-api/start-service-api.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventually } from '../../helpers/k8s.js';
import { deadCluster } from '../../helpers/dead-cluster.js';
import { sdkClient } from '../../helpers/service-sdk.js';

let t: TestHub;
let api: ServiceApi;
let host: AgentHost;
let client: ReturnType<typeof sdkClient>;

beforeAll(async () => {
  t = await startTestHub();
  api = await startHubServiceApi({ hub: t.hub, stateDir: t.stateDir, httpsPort: 0, bindAddress: '127.0.0.1' });
  const policy = t.hub.store.identities.servicePolicy();
  client = sdkClient(`HostName=localhost:${api.port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}`, api.port, t.hub.caCert);
  t.createDevice('edge-1', { edge: true });
  // No cluster: the methods that need one must say so, the others must not care.
  const kc = await deadCluster();
  host = new AgentHost({
    store: t.hub.store,
    hub: { hostName: 'localhost', mqttsPort: t.hub.mqttsPort, caCert: t.hub.caCert },
    kube: new ClientNodeKubeApi(kc, { requestTimeoutMs: 2_000 }),
    clock: systemClock,
    logger: silentLogger(),
    agentOptions: { errorBackoffBaseMs: 1_000, errorBackoffMaxMs: 5_000 },
  });
  host.start();
  await host.scan();
  await eventually(async () => t.hub.isConnected({ deviceId: 'edge-1', moduleId: '$edgeAgent' }), { timeoutMs: 15_000, what: '$edgeAgent connected' });
});
afterAll(async () => {
  await host?.stop();
  await api?.close();
  await t?.close();
});

const invoke = (methodName: string, payload: unknown) =>
  client.invokeDeviceMethod('edge-1', '$edgeAgent', { methodName, payload, responseTimeoutInSeconds: 20, connectTimeoutInSeconds: 5 }).then((r) => r.result as { status: number; payload: unknown });

describe("$edgeAgent's direct methods through the hub (azure-iothub Client.invokeDeviceMethod)", () => {
  it('answers ping 200 with no payload, in any case of the name', async () => {
    expect(await invoke('ping', null)).toEqual({ status: 200, payload: null });
    expect(await invoke('PING', null)).toEqual({ status: 200, payload: null });
  });

  it("answers an unknown command 400 with edgeAgent's message listing the supported commands", async () => {
    expect(await invoke('reboot', null)).toEqual({
      status: 400,
      payload: { message: "Command 'reboot' not found. The supported commands are - ping,RestartModule,GetModuleLogs" },
    });
  });

  it.each([
    ['RestartModule', null, 'Request payload not found'],
    ['RestartModule', { id: 'filter' }, 'schemaVersion: required'],
    ['RestartModule', { schemaVersion: '1.0', id: 'edgeHub' }, 'edgeHub cannot be restarted'],
    ['GetModuleLogs', { schemaVersion: '1.0', items: Array.from({ length: 100 }, () => ({ id: 'x' })) }, 'items: at most'],
    ['GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'x', filter: { tail: 1e15 } }] }, 'items[0].filter.tail'],
    ['GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'x', filter: { regex: '(?<=a)b' } }] }, 'items[0].filter.regex'],
  ])('refuses a bad %s payload %j with 400 naming the problem', async (name, payload, message) => {
    const result = await invoke(name, payload);
    expect(result.status).toBe(400);
    expect((result.payload as { message: string }).message).toContain(message);
  });

  it('answers 500 with the reason when the cluster cannot be reached, and keeps answering', async () => {
    const result = await invoke('RestartModule', { schemaVersion: '1.0', id: 'filter' });
    expect(result.status).toBe(500);
    expect((result.payload as { message: string }).message).toMatch(/Kubernetes API (unreachable|did not answer)/);
    expect(await invoke('ping', null)).toEqual({ status: 200, payload: null });
  });
});
