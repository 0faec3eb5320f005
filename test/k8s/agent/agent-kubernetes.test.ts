import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deleteDeviceNamespace, exampleAgentDesired, MemoryTwin, startAgent, syntheticDesired, uniqueDevice } from './agent-harness.js';

let kc: KubeConfig;
let apps: AppsV1Api;
let core: CoreV1Api;
const agents: EdgeAgent[] = [];
const devices: string[] = [];

beforeAll(() => {
  kc = kubeConfig();
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(devices.map((d) => deleteDeviceNamespace(kc, d)));
});

function newDevice(prefix: string, desired: Record<string, unknown>, over: Parameters<typeof startAgent>[3] = {}) {
  const deviceId = uniqueDevice(prefix);
  devices.push(deviceId);
  const twin = new MemoryTwin(desired);
  const agent = startAgent(kc, deviceId, twin, over);
  agents.push(agent);
  return { deviceId, twin, agent, namespace: deviceNamespace(deviceId) };
}

const applyTime = (d: { metadata?: { managedFields?: Array<{ manager?: string; operation?: string; time?: Date }> } }) =>
  d.metadata?.managedFields?.find((f) => f.manager === 'edgemu' && f.operation === 'Apply')?.time?.toISOString();
const status = (twin: MemoryTwin) => twin.reported.lastDesiredStatus as JsonObject | undefined;
const allRunning = (twin: MemoryTwin, names: string[]) =>
  status(twin)?.code === 200 && names.every((n) => twin.module(n)?.runtimeStatus === 'running') ? true : undefined;

describe('the edge agent on a real cluster', () => {
  it('deploys the example, gets its pods Running and reports every module running with 200', async () => {
    const { twin, namespace, agent } = newDevice('deploy', exampleAgentDesired());
    await eventually(async () => allRunning(twin, ['SimulatedTemperatureSensor', 'filter']), { timeoutMs: 30_000, what: 'modules reported running' });
    const deployments = await apps.listNamespacedDeployment({ namespace });
    expect(deployments.items.map((d) => d.metadata?.name).sort()).toEqual(['filter', 'simulatedtemperaturesensor']);
    expect(deployments.items.every((d) => d.metadata?.managedFields?.some((f) => f.manager === 'edgemu' && f.operation === 'Apply'))).toBe(true);
    expect(twin.reported).toMatchObject({
      schemaVersion: '1.0',
      lastDesiredVersion: 1,
      systemModules: { edgeAgent: { runtimeStatus: 'running' }, edgeHub: { runtimeStatus: 'running' } },
      modules: { filter: { status: 'running', restartCount: 0, exitCode: 0, type: 'docker' } },
    });
    // A module being created is not in back-off and has not failed: before its first `running`
    // every report says `unknown` (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub, `runtimeStatus`).
    for (const name of ['SimulatedTemperatureSensor', 'filter']) {
      const seen = twin.patches.map((p) => ((p.modules as JsonObject | undefined)?.[name] as JsonObject | undefined)?.runtimeStatus).filter((s) => s !== undefined);
      expect(seen.slice(0, seen.indexOf('running')).every((s) => s === 'unknown'), `${name}: ${seen.join(' → ')}`).toBe(true);
      expect(seen).toContain('running');
    }
    // Level-triggered and idempotent: passes with nothing changed plan nothing, write nothing to
    // the cluster (no new generation, no new edgemu apply) and report nothing.
    await agent.loop.stop();
    const before = (await apps.listNamespacedDeployment({ namespace })).items;
    const patches = twin.patches.length;
    for (let i = 0; i < 2; i += 1) expect((await agent.agent.reconcileOnce(new AbortController().signal)).planLength).toBe(0);
    expect(twin.patches.length).toBe(patches);
    const after = (await apps.listNamespacedDeployment({ namespace })).items;
    expect(after.map((d) => [d.metadata?.name, d.metadata?.generation, applyTime(d)])).toEqual(before.map((d) => [d.metadata?.name, d.metadata?.generation, applyTime(d)]));
  });

  it('rolls out a changed image, prunes a removed module and scales a stopped one to zero', async () => {
    const desired = syntheticDesired({ a: {}, b: {}, c: {} });
    const { twin, namespace } = newDevice('update', desired);
    await eventually(async () => allRunning(twin, ['a', 'b', 'c']), { timeoutMs: 30_000, what: 'a, b, c running' });
    const before = await apps.readNamespacedDeployment({ name: 'b', namespace });

    twin.setDesired(syntheticDesired({ a: { image: 'example/a:2.0', version: '2.0' }, b: { status: 'stopped' } }));
    await eventually(
      async () => {
        const a = twin.module('a');
        return status(twin)?.code === 200 &&
          twin.reported.lastDesiredVersion === 2 &&
          a?.version === '2.0' &&
          (a.settings as JsonObject).image === 'example/a:2.0' &&
          a.runtimeStatus === 'running' &&
          twin.module('b')?.runtimeStatus === 'stopped' &&
          twin.module('c') === undefined
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, what: 'update, stop and prune reported' },
    );
    const after = await apps.readNamespacedDeployment({ name: 'b', namespace });
    expect(after.spec?.replicas).toBe(0);
    // A status-only change keeps the pod template: no recreate.
    expect(after.spec?.template).toEqual(before.spec?.template);
    await eventually(async () => ((await apps.listNamespacedDeployment({ namespace })).items.some((d) => d.metadata?.name === 'c') ? undefined : true), { what: 'c pruned' });
    const leftovers = await core.listNamespacedSecret({ namespace, labelSelector: 'edgemu.io/module=c' });
    expect(leftovers.items).toEqual([]);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'edgemu.io/module=a' });
    expect(pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.spec?.containers[0]?.image)).toEqual(['example/a:2.0']);
  });

  it('reports an invalid deployment as 400 and leaves the cluster untouched', async () => {
    const { twin, namespace } = newDevice('invalid', syntheticDesired({ a: {} }));
    await eventually(async () => allRunning(twin, ['a']), { timeoutMs: 30_000, what: 'a running' });
    const before = await apps.readNamespacedDeployment({ name: 'a', namespace });
    const broken = syntheticDesired({ a: { image: 'example/a:9.9' } });
    (broken.modules as Record<string, Record<string, unknown>>).a!.status = 'sideways';
    twin.setDesired(broken);
    await eventually(async () => (status(twin)?.code === 400 ? true : undefined), { what: '400 reported' });
    expect(String(status(twin)?.description)).toMatch(/invalid/i);
    expect(twin.reported.lastDesiredVersion).toBe(2);
    const after = await apps.readNamespacedDeployment({ name: 'a', namespace });
    // Untouched: no spec change (generation) and no new apply by edgemu (its managedFields entry).
    // resourceVersion is no measure: the deployment controller keeps writing status.
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(applyTime(after)).toBe(applyTime(before));
    expect(twin.module('a')?.runtimeStatus).toBe('running');
  });

  it('takes a hand-edited image back (server-side apply with force)', async () => {
    const { twin, namespace } = newDevice('drift', syntheticDesired({ d: {} }));
    await eventually(async () => allRunning(twin, ['d']), { timeoutMs: 30_000, what: 'd running' });
    await apps.patchNamespacedDeployment(
      { name: 'd', namespace, body: { spec: { template: { spec: { containers: [{ name: 'd', image: 'example/hacked:6.6' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'd', namespace });
        return d.spec?.template.spec?.containers[0]?.image === 'example/d:1.0' ? d : undefined;
      },
      { timeoutMs: 20_000, what: 'image restored' },
    );
    await eventually(async () => ((twin.module('d')?.settings as JsonObject | undefined)?.image === 'example/d:1.0' && allRunning(twin, ['d']) ? true : undefined), {
      timeoutMs: 20_000,
      what: 'restored image reported',
    });
  });

  it('reports a crash-looping module as backoff with its restart count and exit code', async () => {
    const { twin, namespace } = newDevice('crash', syntheticDesired({ crashy: {} }));
    await eventually(async () => allRunning(twin, ['crashy']), { timeoutMs: 30_000, what: 'crashy running' });
    // The KWOK crash stage is opted into by pod label; another field manager adds it, as a user would with kubectl.
    await apps.patchNamespacedDeployment(
      {
        name: 'crashy',
        namespace,
        body: { spec: { template: { metadata: { labels: { 'edgemu.io/simulate': 'crash-loop' }, annotations: { 'edgemu.io/exit-code': '3' } } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const m = await eventually(
      async () => {
        const mod = twin.module('crashy');
        return mod && mod.runtimeStatus === 'backoff' && (mod.restartCount as number) >= 1 && mod.exitCode === 3 ? mod : undefined;
      },
      { timeoutMs: 30_000, what: 'backoff reported' },
    );
    expect(m.statusDescription).toMatch(/^Module in Back-off reason: (CrashLoopBackOff|container exited with code 3)/);
    expect(m.lastExitTimeUtc).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/); // a real exit time, in edgeAgent's format (no zone)
  });

  it('stops a module with restart policy never after it exits and reports the exit', async () => {
    const { twin, namespace } = newDevice('never', syntheticDesired({ once: { restartPolicy: 'never' } }));
    await eventually(async () => allRunning(twin, ['once']), { timeoutMs: 30_000, what: 'once running' });
    await apps.patchNamespacedDeployment(
      { name: 'once', namespace, body: { spec: { template: { metadata: { labels: { 'edgemu.io/simulate': 'crash-loop' }, annotations: { 'edgemu.io/exit-code': '7' } } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(async () => (twin.module('once')?.runtimeStatus === 'failed' && twin.module('once')?.exitCode === 7 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'failed reported',
    });
    expect((await apps.readNamespacedDeployment({ name: 'once', namespace })).spec?.replicas).toBe(0);
  });

  it('counts failed pods the ReplicaSet replaced as restarts, and stops a never module whose pod failed', async () => {
    const { twin, namespace } = newDevice('fail', syntheticDesired({ keeps: {}, once: { restartPolicy: 'never' } }));
    await eventually(async () => allRunning(twin, ['keeps', 'once']), { timeoutMs: 30_000, what: 'running' });
    for (const name of ['keeps', 'once']) {
      await apps.patchNamespacedDeployment(
        { name, namespace, body: { spec: { template: { metadata: { labels: { 'edgemu.io/simulate': 'fail' }, annotations: { 'edgemu.io/exit-code': '9' } } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    await eventually(async () => (twin.module('once')?.runtimeStatus === 'failed' && twin.module('once')?.exitCode === 9 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'never module reported failed',
    });
    expect((await apps.readNamespacedDeployment({ name: 'once', namespace })).spec?.replicas).toBe(0);
    // While a replacement runs its exit code is 0 (as Docker reports a running container): look for the exit in the reports made so far.
    const reportedExit = () => twin.patches.some((p) => ((p.modules as JsonObject | undefined)?.keeps as JsonObject | undefined)?.exitCode === 9);
    await eventually(async () => ((twin.module('keeps')?.restartCount as number) >= 1 && reportedExit() ? true : undefined), {
      timeoutMs: 30_000,
      what: 'replaced failed pods counted as restarts',
    });
  });

  it('runs two devices side by side, each in its own namespace', async () => {
    const one = newDevice('two-a', syntheticDesired({ m: {} }));
    const two = newDevice('two-b', syntheticDesired({ m: { image: 'example/other:1.0' } }));
    await eventually(async () => (allRunning(one.twin, ['m']) && allRunning(two.twin, ['m']) ? true : undefined), { timeoutMs: 30_000, what: 'both devices running' });
    const images = async (ns: string) => (await apps.listNamespacedDeployment({ namespace: ns })).items.map((d) => d.spec?.template.spec?.containers[0]?.image);
    expect(await images(one.namespace)).toEqual(['example/m:1.0']);
    expect(await images(two.namespace)).toEqual(['example/other:1.0']);
  });

  it('finishes a plan interrupted by an agent restart without duplicates', async () => {
    const desired = syntheticDesired({ s1: { startupOrder: 1 }, s2: { startupOrder: 2 }, s3: { startupOrder: 3 } });
    const first = newDevice('restart', desired);
    // Stop the first agent as soon as the first module exists: mid-plan (s2 and s3 not yet created).
    await eventually(async () => ((await apps.listNamespacedDeployment({ namespace: first.namespace })).items.length > 0 ? true : undefined), { what: 'first object' });
    await first.agent.stop();
    const twin = new MemoryTwin(desired);
    twin.reported = structuredClone(first.twin.reported);
    const second = startAgent(kc, first.deviceId, twin);
    agents.push(second);
    await eventually(async () => allRunning(twin, ['s1', 's2', 's3']), { timeoutMs: 40_000, what: 'all running after restart' });
    const deployments = (await apps.listNamespacedDeployment({ namespace: first.namespace })).items.map((d) => d.metadata?.name).sort();
    expect(deployments).toEqual(['s1', 's2', 's3']);
    const pods = (await core.listNamespacedPod({ namespace: first.namespace })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods.map((p) => p.metadata?.labels?.['edgemu.io/module']).sort()).toEqual(['s1', 's2', 's3']);
    const sets = (await apps.listNamespacedReplicaSet({ namespace: first.namespace })).items;
    expect(sets).toHaveLength(3);
  });

  it('runs the image step before a plan and marks the modules the node serves with a stand-in; reports where modules run', async () => {
    const desired = exampleAgentDesired('ms-quickstart.deployment.json');
    const seen: string[][] = [];
    const image = 'mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5';
    const { twin, namespace } = newDevice('img', desired, {
      ensureImages: async (config) => {
        seen.push(config.modules.map((m) => m.image));
        return { standInImages: [image] };
      },
    });
    await eventually(async () => allRunning(twin, ['SimulatedTemperatureSensor']), { timeoutMs: 60_000, what: 'the quickstart running' });
    expect(seen[0]).toEqual([image]);
    const d = await apps.readNamespacedDeployment({ name: 'simulatedtemperaturesensor', namespace });
    expect(d.spec!.template.metadata!.annotations!['edgemu.io/stand-in']).toContain(image);
    if (inject('edgemuNodes') !== 'external') {
      // The local cluster labels its pools (docs/cluster.md "Node info"). The image step here
      // imported nothing, so no real node has the image: the module goes to the simulated pool
      // through the placement selector (mixed and simulated-only clusters alike).
      expect(d.spec!.template.spec!.nodeSelector?.['edgemu.io/node-pool']).toBe('simulated');
      expect(twin.module('SimulatedTemperatureSensor')?.runsOn).toBe('simulated');
    } else {
      // A cluster of the user's without edgemu pool labels: no selector, and the cluster decides.
      expect(d.spec!.template.spec!.nodeSelector?.['edgemu.io/node-pool']).toBeUndefined();
      expect(twin.module('SimulatedTemperatureSensor')?.runsOn).toBe('cluster');
    }
  });
});
