import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, DiscoveryV1Api, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import type { JsonObject } from '../../../runtime/agent/reported-state.js';
import { systemClock } from '../../../runtime/clock.js';
import { openHubStore } from '../../../runtime/hub/store/hub-store.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { validateEdgeAgentDesired } from '../../../runtime/manifest/index.js';
import { applyConfigurationContent } from '../../../runtime/service-api/apply-configuration.js';
import { AZURE_STACK_EDGE_LAYOUT, FIELD_MANAGER, translateDeployment, type TranslateContext, type TranslatedObject } from '../../../runtime/translate/index.js';
import { startTestHub } from '../../helpers/hub.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { exampleAgentDesired, MemoryTwin, startAgent } from './agent-harness.js';

/**
 * The azure-stack-edge layout (docs/azure-stack-edge.md) on the real kube-apiserver: the sample
 * deployment's modules land in namespace `iotedge` under IoT Edge's labels, `edgehub` is a
 * LoadBalancer Service whose EndpointSlice points at the host's hub, the agent's RBAC is there,
 * re-applying changes nothing, and the agent — finding its pods by the layout's labels — reports
 * the modules running.
 */

const NS = 'iotedge';
const deviceId = `Ase_${randomBytes(3).toString('hex')}`;
const deviceLabel = deviceId.toLowerCase();
const CA = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUEdgemuTestCaOnlyForTranslateTests0wCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n';
const context: TranslateContext = {
  deviceId,
  iotHubHostName: 'edgemu-hub.local',
  gatewayHostName: 'edgemu-hub.local',
  hubCaPem: CA,
  identities: {},
  hubEndpoint: { ip: '10.88.0.1', ports: { mqtts: 38883, https: 38443, amqps: 35671 } },
  layout: AZURE_STACK_EDGE_LAYOUT,
};

let kc: KubeConfig;
const agents: EdgeAgent[] = [];

beforeAll(() => {
  kc = kubeConfig();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: NS }).catch(() => undefined);
});

const running = (twin: MemoryTwin, names: string[]) =>
  (twin.reported.lastDesiredStatus as JsonObject | undefined)?.code === 200 && names.every((n) => twin.module(n)?.runtimeStatus === 'running') ? true : undefined;

describe('the azure-stack-edge layout on a real cluster', () => {
  it('translated objects of the sample deployment are accepted in namespace iotedge and re-apply without changes', async () => {
    const config = validateEdgeAgentDesired(exampleAgentDesired());
    expect(config.status, JSON.stringify(config.errors)).toBe(200);
    const translation = translateDeployment(config.value!, context);
    expect(translation.namespace).toBe(NS);
    const api = KubernetesObjectApi.makeApiClient(kc);
    const apply = async (o: TranslatedObject) => {
      try {
        return await api.patch(o as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      } catch (error) {
        const body = (error as { body?: unknown }).body;
        throw new Error(`apply ${o.kind}/${o.metadata?.name} was refused: ${typeof body === 'string' ? body : String(error)}`, { cause: error });
      }
    };
    for (const o of translation.objects) await apply(o);
    // A controller may touch an object (nodePort allocation, status) between read and apply: one retry.
    const unchanged = async (o: TranslatedObject): Promise<boolean> => {
      const before = (await api.read(o as KubernetesObject & { metadata: { name: string } })).metadata?.resourceVersion;
      return (await apply(o)).metadata?.resourceVersion === before;
    };
    for (const o of translation.objects) expect((await unchanged(o)) || (await unchanged(o)), `re-applying ${o.kind}/${o.metadata?.name} changed it`).toBe(true);
  });

  it('the agent takes the modules over, reports them running, and a new agent pass changes nothing', async () => {
    const twin = new MemoryTwin(exampleAgentDesired());
    const translateContext = () => context;
    const agent = startAgent(kc, deviceId, twin, { layout: AZURE_STACK_EDGE_LAYOUT, translateContext });
    agents.push(agent);
    await eventually(async () => running(twin, ['SimulatedTemperatureSensor', 'filter']), { timeoutMs: 60_000, what: 'modules reported running' });

    // Deployments and pods as on the device: lower-case module names, IoT Edge's labels.
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const deployments = (await apps.listNamespacedDeployment({ namespace: NS })).items;
    expect(deployments.map((d) => d.metadata!.name).sort()).toEqual(['filter', 'simulatedtemperaturesensor']);
    for (const d of deployments) {
      expect(d.metadata!.labels).toEqual({
        'app.kubernetes.io/managed-by': 'edgemu',
        'net.azure-devices.edge.deviceid': deviceLabel,
        'net.azure-devices.edge.hub': 'edgemu-hub',
        'net.azure-devices.edge.module': d.metadata!.name,
      });
      // Taken over by the agent: its own bookkeeping is on the Deployment.
      expect(d.metadata!.annotations!['edgemu.io/agent-module-spec']).toBeDefined();
    }
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: `net.azure-devices.edge.deviceid=${deviceLabel}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(new Set(pods.map((p) => p.metadata!.labels!['net.azure-devices.edge.module']))).toEqual(new Set(['filter', 'simulatedtemperaturesensor']));
    for (const p of pods) expect(p.metadata!.name!.startsWith(`${p.metadata!.labels!['net.azure-devices.edge.module']}-`)).toBe(true);

    // edgehub: LoadBalancer on 443, 5671, 8883 without a selector, its EndpointSlice at the host's hub.
    const service = await core.readNamespacedService({ name: 'edgehub', namespace: NS });
    expect(service.spec!.type).toBe('LoadBalancer');
    expect(service.spec!.selector).toBeUndefined();
    expect(service.spec!.ports!.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['https', 443, 38443],
      ['amqps', 5671, 35671],
      ['mqtts', 8883, 38883],
    ]);
    const slices = (await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: NS, labelSelector: 'kubernetes.io/service-name=edgehub' })).items;
    expect(slices.map((s) => [s.metadata!.name, s.endpoints.flatMap((e) => e.addresses)])).toEqual([['edgehub-host', ['10.88.0.1']]]);

    // The agent's RBAC as the IoT Edge Helm chart names it.
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const binding = await rbac.readNamespacedRoleBinding({ name: 'edgeagent', namespace: NS });
    expect(binding.roleRef.name).toBe('edgeagent');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'edgeagent', namespace: NS }]);
    expect((await rbac.readNamespacedRole({ name: 'edgeagent', namespace: NS })).rules!.some((r) => r.resources!.includes('deployments'))).toBe(true);
    expect((await core.readNamespacedServiceAccount({ name: 'edgeagent', namespace: NS })).metadata!.name).toBe('edgeagent');
    // The real RBAC authorizer (kubectl auth can-i --as system:serviceaccount:iotedge:edgeagent …).
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, group: string, resource: string, namespace: string) =>
      (
        await authz.createSubjectAccessReview({
          body: { spec: { user: `system:serviceaccount:${NS}:edgeagent`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`], resourceAttributes: { verb, group, resource, namespace } } },
        })
      ).status?.allowed === true;
    await eventually(async () => (await can('patch', 'apps', 'deployments', NS)) || undefined, { timeoutMs: 10_000, what: 'the RBAC authorizer sees the RoleBinding' });
    expect(await can('watch', '', 'pods', NS)).toBe(true);
    expect(await can('patch', 'discovery.k8s.io', 'endpointslices', NS)).toBe(true);
    expect(await can('create', 'apps', 'deployments', 'kube-system')).toBe(false);
    expect(await can('list', '', 'nodes', '')).toBe(false);

    // Level-triggered and idempotent in this layout too: another agent on the same device plans
    // nothing, writes nothing and reports the same running modules.
    await agent.stop();
    const generations = async () => (await apps.listNamespacedDeployment({ namespace: NS })).items.map((d) => [d.metadata!.name, d.metadata!.generation, d.metadata!.resourceVersion]);
    const before = await generations();
    const second = new MemoryTwin(exampleAgentDesired());
    const again = startAgent(kc, deviceId, second, { layout: AZURE_STACK_EDGE_LAYOUT, translateContext });
    agents.push(again);
    await eventually(async () => running(second, ['SimulatedTemperatureSensor', 'filter']), { timeoutMs: 30_000, what: 'the second agent reports the modules running' });
    await again.loop.stop();
    for (let i = 0; i < 2; i += 1) expect((await again.agent.reconcileOnce(new AbortController().signal)).planLength).toBe(0);
    expect(await generations()).toEqual(before);
  });

  it('with the embedded hub: one device owns iotedge and reports into its $edgeAgent twin over MQTT, a second device gets no agent and the reason', async () => {
    // The earlier tests' device leaves its objects in iotedge; removed as docs/azure-stack-edge.md "Several devices" says.
    const core = kc.makeApiClient(CoreV1Api);
    const old = `net.azure-devices.edge.deviceid=${deviceLabel}`;
    await kc.makeApiClient(AppsV1Api).deleteCollectionNamespacedDeployment({ namespace: NS, labelSelector: old });
    for (const s of (await core.listNamespacedService({ namespace: NS, labelSelector: `${old},net.azure-devices.edge.module` })).items) await core.deleteNamespacedService({ name: s.metadata!.name!, namespace: NS });

    const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-ase-host-'));
    const store = openHubStore({ stateDir });
    const hub = await startTestHub({ stateDir, store });
    const [first, second] = [`ase-a-${randomBytes(2).toString('hex')}`, `ase-b-${randomBytes(2).toString('hex')}`];
    hub.createDevice(second, { edge: true });
    hub.createDevice(first, { edge: true });
    const host = new AgentHost({
      store,
      hub: { hostName: 'localhost', mqttsPort: hub.hub.mqttsPort, caCert: hub.hub.caCert },
      kube: new ClientNodeKubeApi(kc),
      clock: systemClock,
      logger: silentLogger(),
      layout: AZURE_STACK_EDGE_LAYOUT,
      preferredDevice: first,
      agentOptions: { resyncMs: 1_000, readyTimeoutMs: 10_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 1_000 },
    });
    try {
      host.start();
      await host.scan();
      expect(host.devices).toEqual([first]);
      expect(host.refused.get(second)).toMatch(new RegExp(`device ${second} gets no agent because ${first} owns iotedge`));
      const manifest = JSON.parse(readFileSync(new URL('../../../deployments/examples/temperature-filter.deployment.json', import.meta.url), 'utf8'));
      expect(applyConfigurationContent(store, first, manifest)).toMatchObject({ applied: true });
      expect(applyConfigurationContent(store, second, manifest)).toMatchObject({ applied: true });
      const reported = (d: string) => (store.twins.get({ deviceId: d, moduleId: '$edgeAgent' })?.properties.reported ?? {}) as JsonObject;
      await eventually(
        async () => {
          const r = reported(first) as { lastDesiredStatus?: { code?: number }; modules?: Record<string, { runtimeStatus?: string }> };
          return r.lastDesiredStatus?.code === 200 && ['SimulatedTemperatureSensor', 'filter'].every((m) => r.modules?.[m]?.runtimeStatus === 'running') ? true : undefined;
        },
        { timeoutMs: 60_000, what: `${first} reported its modules running` },
      );
      const deployments = (await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: NS, labelSelector: 'app.kubernetes.io/managed-by=edgemu' })).items;
      expect(deployments.map((d) => [d.metadata!.name, d.metadata!.labels!['net.azure-devices.edge.deviceid']]).sort()).toEqual([
        ['filter', first],
        ['simulatedtemperaturesensor', first],
      ]);
      // The refused device has no agent: nothing reported, nothing of it in the cluster.
      expect(reported(second).lastDesiredStatus).toBeUndefined();
      expect((await core.listNamespacedPod({ namespace: NS, labelSelector: `net.azure-devices.edge.deviceid=${second}` })).items).toEqual([]);
    } finally {
      await host.stop();
      await hub.close();
      store.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
