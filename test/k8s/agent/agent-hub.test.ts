import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { systemClock } from '../../../runtime/clock.js';
import { startHub, type Hub } from '../../../runtime/hub/start-hub.js';
import { openHubStore, type HubStore } from '../../../runtime/hub/store/hub-store.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { applyConfigurationContent } from '../../../runtime/service-api/apply-configuration.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, uniqueDevice } from './agent-harness.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const manifest = (): Obj => JSON.parse(readFileSync(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8'));

let kc: KubeConfig;
let testHub: TestHub;
let store: HubStore;
let stateDir: string;
let restarted: Hub | undefined;
let host: AgentHost;
const devices = [uniqueDevice('hub-a'), uniqueDevice('hub-b')];

const reported = (deviceId: string): Obj => (store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.reported ?? {}) as Obj;
const converged = (deviceId: string, names: string[], version?: number) => {
  const r = reported(deviceId);
  return r.lastDesiredStatus?.code === 200 &&
    (version === undefined || r.lastDesiredVersion === version) &&
    names.every((n) => r.modules?.[n]?.runtimeStatus === 'running')
    ? r
    : undefined;
};

function startHost(): AgentHost {
  const h = new AgentHost({
    store,
    hub: { hostName: 'localhost', mqttsPort: testHub.hub.mqttsPort, caCert: testHub.hub.caCert },
    kube: new ClientNodeKubeApi(kc),
    clock: systemClock,
    logger: silentLogger(),
    agentOptions: { resyncMs: 1_000, readyTimeoutMs: 10_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 1_000 },
  });
  h.start();
  return h;
}

beforeAll(async () => {
  kc = kubeConfig();
  stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-agent-hub-'));
  // One store shared by the hub and the agents, so the hub can be restarted under them.
  store = openHubStore({ stateDir });
  testHub = await startTestHub({ stateDir, store });
  for (const d of devices) testHub.createDevice(d, { edge: true });
  host = startHost();
});
afterAll(async () => {
  await host?.stop();
  await testHub?.close();
  await restarted?.close();
  store?.close();
  rmSync(stateDir, { recursive: true, force: true });
  await Promise.all(devices.map((d) => deleteDeviceNamespace(kc, d)));
});

describe('the edge agent with the embedded hub and a real cluster', () => {
  it('connects as $edgeAgent over MQTT, applies a deployment written by deploy and reports it into the twin', async () => {
    const [a, b] = devices as [string, string];
    expect(applyConfigurationContent(store, a, manifest())).toMatchObject({ applied: true });
    expect(applyConfigurationContent(store, b, manifest())).toMatchObject({ applied: true });
    const version = (store.twins.get({ deviceId: a, moduleId: '$edgeAgent' })!.properties.desired.$version as number);
    const r = await eventually(async () => converged(a, ['SimulatedTemperatureSensor', 'filter'], version), { timeoutMs: 30_000, what: 'device a reported' });
    expect(r).toMatchObject({ schemaVersion: '1.0', systemModules: { edgeHub: { runtimeStatus: 'running' } }, modules: { filter: { version: '1.0', status: 'running' } } });
    await eventually(async () => converged(b, ['SimulatedTemperatureSensor', 'filter']), { timeoutMs: 30_000, what: 'device b reported' });
    expect(testHub.hub.isConnected({ deviceId: a, moduleId: '$edgeAgent' })).toBe(true);
    // Module identities exist so the pods' connection strings carry real keys.
    expect(store.identities.get({ deviceId: a, moduleId: 'filter' })).toBeDefined();
  });

  it('follows a desired patch: a changed image rolls out and is reported', async () => {
    const [a] = devices as [string];
    const m = manifest();
    m.modulesContent.$edgeAgent['properties.desired'].modules.filter.settings.image = 'edgemu/filter:0.2.0';
    m.modulesContent.$edgeAgent['properties.desired'].modules.filter.version = '2.0';
    applyConfigurationContent(store, a, m);
    const version = store.twins.get({ deviceId: a, moduleId: '$edgeAgent' })!.properties.desired.$version as number;
    const r = await eventually(async () => {
      const c = converged(a, ['filter'], version);
      return c?.modules.filter.version === '2.0' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'rollout reported' });
    expect(r.modules.filter.settings.image).toBe('edgemu/filter:0.2.0');
    const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'filter', namespace: deviceNamespace(a) });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('edgemu/filter:0.2.0');
  });

  it('reports an invalid $edgeAgent desired section as 400 and touches nothing', async () => {
    const [a] = devices as [string];
    const apps = kc.makeApiClient(AppsV1Api);
    // generation (spec) and edgemu's apply time, not resourceVersion: controllers keep writing status.
    const fingerprint = async () =>
      (await apps.listNamespacedDeployment({ namespace: deviceNamespace(a) })).items.map((d) => [
        d.metadata?.name,
        d.metadata?.generation,
        d.metadata?.managedFields?.find((f) => f.manager === 'edgemu' && f.operation === 'Apply')?.time?.toISOString(),
      ]);
    const before = await fingerprint();
    const desired = manifest().modulesContent.$edgeAgent['properties.desired'];
    desired.modules.filter.restartPolicy = 'sometimes';
    store.twins.replaceDesired({ deviceId: a, moduleId: '$edgeAgent' }, desired);
    const version = store.twins.get({ deviceId: a, moduleId: '$edgeAgent' })!.properties.desired.$version;
    const r = await eventually(async () => (reported(a).lastDesiredStatus?.code === 400 && reported(a).lastDesiredVersion === version ? reported(a) : undefined), {
      timeoutMs: 15_000,
      what: '400 reported',
    });
    expect(r.lastDesiredStatus.description).toMatch(/restartPolicy/);
    expect(await fingerprint()).toEqual(before);
  });

  it('reports an empty desired section as 417', async () => {
    const [b] = devices.slice(1) as [string];
    store.twins.replaceDesired({ deviceId: b, moduleId: '$edgeAgent' }, {});
    await eventually(async () => (reported(b).lastDesiredStatus?.code === 417 ? true : undefined), { timeoutMs: 15_000, what: '417 reported' });
  });

  it('reconnects after the hub restarts and picks up a deployment made while it was away', async () => {
    const [a] = devices as [string];
    const port = testHub.hub.mqttsPort;
    await testHub.hub.close();
    // While the hub is down, a deployment lands in the store (as `edgemu deploy` would write it).
    const m = manifest();
    delete m.modulesContent.$edgeAgent['properties.desired'].modules.SimulatedTemperatureSensor;
    delete m.modulesContent.$edgeHub['properties.desired'].routes.sensorToFilter;
    expect(applyConfigurationContent(store, a, m)).toMatchObject({ applied: true });
    restarted = await startHub({ stateDir, store, bindAddress: '127.0.0.1', mqttsPort: port });
    await eventually(async () => {
      const r = reported(a);
      return r.lastDesiredStatus?.code === 200 && r.modules?.filter?.runtimeStatus === 'running' && r.modules?.SimulatedTemperatureSensor === undefined ? true : undefined;
    }, { timeoutMs: 45_000, what: 'pruned deployment reported after hub restart' });
    expect(restarted.isConnected({ deviceId: a, moduleId: '$edgeAgent' })).toBe(true);
  });
});
