import type { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { systemClock } from '../../../runtime/clock.js';
import { openHubStore, type HubStore } from '../../../runtime/hub/store/hub-store.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { startAutomaticDeployments, type AutomaticDeployments } from '../../../runtime/service-api/automatic-deployments.js';
import { countMetrics, systemMetricQueries } from '../../../runtime/service-api/configuration-metrics.js';
import { twinQuerySource } from '../../../runtime/service-api/twin-query-source.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, uniqueDevice } from './agent-harness.js';

const example = (name: string) => JSON.parse(readFileSync(new URL(`../../../deployments/examples/${name}.deployment.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const layer = JSON.parse(readFileSync(new URL('../../../deployments/layers/echo.layer.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let kc: KubeConfig;
let testHub: TestHub;
let store: HubStore;
let stateDir: string;
let host: AgentHost;
let automatic: AutomaticDeployments;
const [prodA, prodB, dev] = [uniqueDevice('auto-a'), uniqueDevice('auto-b'), uniqueDevice('auto-dev')] as [string, string, string];

const metrics = (id: string, condition: string) => countMetrics(systemMetricQueries(id, condition), twinQuerySource(store));
const runningModules = (deviceId: string): string[] => {
  const modules = (store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.reported as { modules?: Record<string, { runtimeStatus?: string }> } | undefined)?.modules ?? {};
  return Object.entries(modules)
    .filter(([, m]) => m.runtimeStatus === 'running')
    .map(([n]) => n)
    .sort();
};

beforeAll(async () => {
  kc = kubeConfig();
  stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-automatic-'));
  store = openHubStore({ stateDir });
  automatic = startAutomaticDeployments({ store, logger: silentLogger() });
  testHub = await startTestHub({ stateDir, store });
  for (const [d, tags] of [
    [prodA, { env: 'prod', site: 'a' }],
    [prodB, { env: 'prod', site: 'b' }],
    [dev, { env: 'dev' }],
  ] as const) {
    testHub.createDevice(d, { edge: true });
    store.twins.update({ deviceId: d }, { tags });
  }
  host = new AgentHost({
    store,
    hub: { hostName: 'localhost', mqttsPort: testHub.hub.mqttsPort, caCert: testHub.hub.caCert },
    kube: new ClientNodeKubeApi(kc),
    clock: systemClock,
    logger: silentLogger(),
    agentOptions: { resyncMs: 1_000, readyTimeoutMs: 10_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 1_000 },
  });
  host.start();
});
afterAll(async () => {
  automatic?.close();
  await host?.stop();
  await testHub?.close();
  store?.close();
  rmSync(stateDir, { recursive: true, force: true });
  await Promise.all([prodA, prodB, dev].map((d) => deleteDeviceNamespace(kc, d)));
});

describe('automatic deployments with edge agents on a real cluster', () => {
  it('runs the base deployment on exactly the targeted devices, and reportedSuccessfulCount reaches the targeted count', async () => {
    const condition = "tags.env='prod'";
    store.configurations.put('prod', { targetCondition: condition, priority: 10, content: { modulesContent: example('temperature-filter').modulesContent } });
    await eventually(async () => (metrics('prod', condition).reportedSuccessfulCount === 2 ? true : undefined), { timeoutMs: 60_000, what: 'both prod agents reported the deployment' });
    expect(metrics('prod', condition)).toEqual({ targetedCount: 2, appliedCount: 2, reportedSuccessfulCount: 2, reportedFailedCount: 0 });
    // The agent reports status 200 once the plan is applied; the pods become running a moment later.
    await eventually(async () => (runningModules(prodA).join() === 'SimulatedTemperatureSensor,filter' ? true : undefined), { timeoutMs: 60_000, what: 'prod-a runs its modules' });
    expect(store.twins.get({ deviceId: dev, moduleId: '$edgeAgent' })?.properties.desired.modules).toBeUndefined();
  });

  it('runs a layer’s module on the device of its site only', async () => {
    const condition = "tags.site='a'";
    store.configurations.put('site-a', { targetCondition: condition, priority: 20, content: layer });
    await eventually(async () => (runningModules(prodA).includes('echo') && metrics('site-a', condition).reportedSuccessfulCount === 1 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the layer ran on site a',
    });
    await eventually(async () => (runningModules(prodB).join() === 'SimulatedTemperatureSensor,filter' ? true : undefined), { timeoutMs: 60_000, what: 'prod-b runs the base only' });
    expect(store.twins.get({ deviceId: prodB, moduleId: '$edgeAgent' })?.properties.desired.modules).not.toHaveProperty('echo');
  });

  it("counts a layer that makes the merged deployment invalid in reportedFailedCount: the agent refuses it, the modules keep running", async () => {
    const condition = "tags.site='a'";
    const clash = { modulesContent: { $edgeAgent: { 'properties.desired.modules.Filter': { version: '1.0', type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'edgemu/echo:0.1.0' } } } } };
    store.configurations.put('clash', { targetCondition: condition, priority: 30, content: clash });
    await eventually(async () => (metrics('clash', condition).reportedFailedCount === 1 ? true : undefined), { timeoutMs: 60_000, what: 'the agent reported the refusal' });
    expect((store.twins.get({ deviceId: prodA, moduleId: '$edgeAgent' })?.properties.reported as { lastDesiredStatus?: { code: number } }).lastDesiredStatus?.code).toBe(400);
    expect(runningModules(prodA)).toEqual(['SimulatedTemperatureSensor', 'echo', 'filter']);
    store.configurations.delete('clash');
    await eventually(async () => (metrics('site-a', condition).reportedSuccessfulCount === 1 ? true : undefined), { timeoutMs: 60_000, what: 'site a back to success' });
  });

  it('moves a device to the deployment its new tag matches', async () => {
    store.configurations.put('dev', { targetCondition: "tags.env='dev'", priority: 10, content: { modulesContent: example('sample-modules').modulesContent } });
    store.twins.update({ deviceId: prodB }, { tags: { env: 'dev' } });
    await eventually(async () => (runningModules(prodB).join() === 'echo,filter,sensor' ? true : undefined), { timeoutMs: 60_000, what: 'prod-b runs the dev deployment' });
    await eventually(async () => (metrics('dev', "tags.env='dev'").reportedSuccessfulCount === 2 ? true : undefined), { timeoutMs: 60_000, what: 'dev reported by both' });
    expect(metrics('prod', "tags.env='prod'")).toMatchObject({ targetedCount: 1, appliedCount: 1, reportedSuccessfulCount: 1 });
  });
});
