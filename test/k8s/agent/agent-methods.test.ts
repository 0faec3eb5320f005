import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import type { AgentMethodContext } from '../../../runtime/agent/methods/agent-method.js';
import { builtinAgentMethods } from '../../../runtime/agent/methods/builtin-agent-methods.js';
import { createAgentMethodDispatch } from '../../../runtime/agent/methods/method-dispatch.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import { systemClock } from '../../../runtime/clock.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { deviceNamespace, moduleSelector } from '../../../runtime/translate/labels.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, exampleAgentDesired, MemoryTwin, startAgent, uniqueDevice } from './agent-harness.js';

// The default test cluster has only simulated (KWOK) nodes: restarts are real pod replacements,
// logs are the "no container" answer. Real logs are covered on the real node (test/k8s/cli/up-real-node.test.ts).
let kc: KubeConfig;
let core: CoreV1Api;
let agent: EdgeAgent;
let twin: MemoryTwin;
let deviceId: string;
const dispatch = createAgentMethodDispatch([builtinAgentMethods]);

const contextOf = (a: EdgeAgent): AgentMethodContext => ({
  deviceId,
  iotHubName: 'edgemu.local',
  clock: systemClock,
  logger: silentLogger(),
  moduleNames: () => a.methods.moduleNames(),
  readModuleLog: (m, q) => a.methods.readModuleLog(m, q),
  restartModule: (m) => a.methods.restartModule(m),
});

beforeAll(async () => {
  kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  deviceId = uniqueDevice('methods');
  twin = new MemoryTwin(exampleAgentDesired());
  agent = startAgent(kc, deviceId, twin);
  await eventually(async () => ['SimulatedTemperatureSensor', 'filter'].every((n) => twin.module(n)?.runtimeStatus === 'running') || undefined, { timeoutMs: 60_000, what: 'modules running' });
});
afterAll(async () => {
  await agent?.stop();
  if (deviceId) await deleteDeviceNamespace(kc, deviceId);
});

const livePods = async (module: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: deviceNamespace(deviceId), labelSelector: moduleSelector(deviceId, module) })).items.filter((p) => !p.metadata?.deletionTimestamp);

describe("edgeAgent's methods against the real API server", () => {
  it('RestartModule replaces the pod, the module runs again and its reported restartCount goes up', async () => {
    const before = (await livePods('filter')).map((p) => p.metadata?.name);
    expect(before).toHaveLength(1);
    const startedAt = twin.module('filter')?.restartCount as number;
    expect(await dispatch.invoke('RestartModule', { schemaVersion: '1.0', id: 'filter' }, contextOf(agent))).toEqual({ status: 200 });
    const after = await livePods('filter');
    expect(after.map((p) => p.metadata?.name)).not.toContain(before[0]);
    expect(after.some((p) => p.status?.phase === 'Running')).toBe(true);
    const reported = await eventually(async () => {
      const m = twin.module('filter') as JsonObject | undefined;
      return m?.runtimeStatus === 'running' && (m.restartCount as number) > startedAt ? m : undefined;
    }, { timeoutMs: 30_000, what: 'restartCount up and running' });
    expect(reported.restartCount).toBe(startedAt + 1);
    expect(reported.lastRestartTimeUtc).not.toBe('0001-01-01T00:00:00Z');
    // the next apply by the agent keeps the restart count (another field manager owns it)
    twin.setDesired({ ...exampleAgentDesired() });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(twin.module('filter')?.restartCount).toBe(startedAt + 1);
  });

  it('RestartModule of a module that is not deployed is 500 in edgeAgent wording', async () => {
    expect(await dispatch.invoke('RestartModule', { schemaVersion: '1.0', id: 'nope' }, contextOf(agent))).toEqual({ status: 500, payload: { message: 'Module nope not found in the current environment' } });
  });

  it('GetModuleLogs of modules on the simulated pool says they have no logs instead of an empty success', async () => {
    const result = await dispatch.invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'all', filter: { tail: 3 } }] }, contextOf(agent));
    expect(result.status).toBe(500);
    expect((result.payload as { message: string }).message).toMatch(/filter: module filter runs on the simulated pool \(KWOK\).*no logs/);
  });
});
