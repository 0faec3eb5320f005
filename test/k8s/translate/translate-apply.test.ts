import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../runtime/manifest/index.js';
import { FIELD_MANAGER, moduleSelector, translateDeployment, type TranslatedObject } from '../../../runtime/translate/index.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { randomManifest, rng } from '../../unit/translate/random-manifest.js';
import { validateManifest } from '../../../runtime/manifest/index.js';

/**
 * Every example manifest (deployments/examples/) and every translate fixture becomes objects the
 * REAL kube-apiserver accepts: each device's objects are created with server-side apply (field
 * manager edgemu, not a dry run) in the device's own fresh namespace, the controllers turn the
 * Deployments of running modules into pods, and a second apply of the same objects changes nothing.
 */

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const manifests = [
  ...readdirSync(here('../../../deployments/examples'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => here(`../../../deployments/examples/${f}`)),
  ...readdirSync(here('../../unit/translate/fixtures'))
    .filter((f) => f.endsWith('.deployment.json'))
    .map((f) => here(`../../unit/translate/fixtures/${f}`)),
];

// A syntactically real CA (the ConfigMap only stores text; modules read it at start).
const CA = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUEdgemuTestCaOnlyForTranslateTests0wCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n';
const namespaces: string[] = [];

afterAll(async () => {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

describe('translated objects on a real kube-apiserver', () => {
  it('has manifests to check', () => {
    expect(manifests.length).toBeGreaterThan(1);
  });

  it.each(manifests.map((m) => [m.split('/').pop()!, m]))('%s is accepted, runs and re-applies without changes', async (_name, file) => {
    const result = parseManifestText(readFileSync(file, 'utf8'));
    expect(result.status, JSON.stringify(result.errors)).toBe(200);
    const config = result.value!.edgeAgent;
    const deviceId = `tr-${randomBytes(3).toString('hex')}`;
    const identities = Object.fromEntries(config.modules.map((m) => [m.name, { sharedAccessKey: randomBytes(32).toString('base64'), generationId: `gen-${m.name}` }]));
    const translation = translateDeployment(config, { deviceId, iotHubHostName: 'edgemu-hub', gatewayHostName: '10.96.0.1:8883', hubCaPem: CA, identities });
    namespaces.push(translation.namespace);

    const kc = kubeConfig();
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

    // Read back: what the server stored is what we sent (spot checks on the workload).
    const apps = kc.makeApiClient(AppsV1Api);
    for (const m of translation.modules) {
      const stored: V1Deployment = await apps.readNamespacedDeployment({ name: m.k8sName, namespace: translation.namespace });
      expect(stored.spec!.replicas).toBe(m.status === 'running' ? 1 : 0);
      expect(stored.metadata!.annotations!['edgemu.io/spec-hash']).toBe(m.specHash);
      const env = stored.spec!.template.spec!.containers[0]!.env!;
      expect(env.find((e) => e.name === 'IOTEDGE_MODULEID')!.value).toBe(m.name);
    }

    // The controllers make a pod for every running module: the pod spec passed admission too.
    const core = kc.makeApiClient(CoreV1Api);
    for (const m of translation.modules.filter((x) => x.status === 'running')) {
      await eventually(
        async () => (await core.listNamespacedPod({ namespace: translation.namespace, labelSelector: moduleSelector(deviceId, m.name) })).items.length > 0,
        { timeoutMs: 60_000, what: `a pod of ${m.name}` },
      );
    }

    // Same objects again: the server has nothing to change (no defaulting fights, no churn). A
    // controller may touch an object (PVC binder, status) between read and apply, so one retry.
    const unchanged = async (o: TranslatedObject): Promise<boolean> => {
      const before = (await api.read(o as KubernetesObject & { metadata: { name: string } })).metadata?.resourceVersion;
      return (await apply(o)).metadata?.resourceVersion === before;
    };
    for (const o of translation.objects) {
      expect((await unchanged(o)) || (await unchanged(o)), `re-applying ${o.kind}/${o.metadata?.name} changed it`).toBe(true);
    }
  });
});

describe('translated randomized manifests on a real kube-apiserver', () => {
  // Odd createOptions (wrong types, unknown fields, hashed names, node ports, experimental
  // sections) must still give objects the API server validates. Namespaces are created for real,
  // everything else with a server-side dry run: validation and admission, nothing to clean up.
  it('are accepted for 25 seeded manifests the validator takes', async () => {
    const kc = kubeConfig();
    const api = KubernetesObjectApi.makeApiClient(kc);
    let checked = 0;
    for (let seed = 1; checked < 25 && seed < 500; seed++) {
      const result = validateManifest(randomManifest(rng(seed)));
      if (result.status !== 200 || result.value.edgeAgent.modules.length === 0) continue;
      let translation;
      try {
        translation = translateDeployment(result.value.edgeAgent, { deviceId: `rnd-${seed}-${randomBytes(2).toString('hex')}`, iotHubHostName: 'hub', gatewayHostName: '10.96.0.1:8883', hubCaPem: CA });
      } catch {
        continue; // a documented refusal (env name), covered by the unit test
      }
      checked++;
      namespaces.push(translation.namespace);
      for (const o of translation.objects) {
        const dryRun = o.kind === 'Namespace' ? undefined : 'All';
        try {
          await api.patch(o as KubernetesObject, undefined, dryRun, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
        } catch (error) {
          const body = (error as { body?: unknown }).body;
          throw new Error(`seed ${seed}: ${o.kind}/${o.metadata?.name} was refused: ${typeof body === 'string' ? body : String(error)}`, { cause: error });
        }
      }
    }
    expect(checked).toBe(25);
  });
});

describe('the edgehub Service and placement on a real kube-apiserver', () => {
  it('keeps the EndpointSlice to the host’s hub as written, and accepts pool selectors, tolerations and host ports', async () => {
    const result = parseManifestText(readFileSync(here('../../../deployments/examples/ms-quickstart.deployment.json'), 'utf8'));
    const config = result.value!.edgeAgent;
    const deviceId = `eh-${randomBytes(3).toString('hex')}`;
    const image = config.modules[0]!.image;
    const translation = translateDeployment(config, {
      deviceId,
      iotHubHostName: 'edgemu-hub',
      gatewayHostName: '10.96.0.1:8883',
      hubCaPem: CA,
      hubEndpoint: { ip: '10.88.0.1', ports: { mqtts: 38883, https: 38443 } },
      placement: { SimulatedTemperatureSensor: 'simulated' },
      standInImages: [image],
    });
    namespaces.push(translation.namespace);
    const kc = kubeConfig();
    const api = KubernetesObjectApi.makeApiClient(kc);
    for (const o of translation.objects) await api.patch(o as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);

    const core = kc.makeApiClient(CoreV1Api);
    const service = await core.readNamespacedService({ name: 'edgehub', namespace: translation.namespace });
    expect(service.spec!.selector).toBeUndefined();
    expect(service.spec!.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const { DiscoveryV1Api } = await import('@kubernetes/client-node');
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    // Give the EndpointSlice controllers a moment: they must leave a slice they do not manage alone.
    await new Promise((r) => setTimeout(r, 2_000));
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: translation.namespace, labelSelector: 'kubernetes.io/service-name=edgehub' });
    expect(slices.items.map((s) => [s.metadata!.name, s.endpoints.map((e) => e.addresses).flat(), s.ports?.map((p) => p.port)])).toEqual([['edgehub-host', ['10.88.0.1'], [38883, 38443]]]);

    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'simulatedtemperaturesensor', namespace: translation.namespace });
    expect(d.spec!.template.spec!.nodeSelector).toEqual({ 'edgemu.io/node-pool': 'simulated' });
    expect(d.spec!.template.spec!.tolerations).toEqual([{ key: 'edgemu.io/node-pool', operator: 'Equal', value: 'simulated', effect: 'NoSchedule' }]);
    expect(d.spec!.template.metadata!.annotations!['edgemu.io/stand-in']).toContain(image);
    const headless = await core.readNamespacedService({ name: 'simulatedtemperaturesensor', namespace: translation.namespace });
    expect(headless.spec!.clusterIP).toBe('None');
  });
});
