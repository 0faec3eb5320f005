import { describe, expect, it, afterAll, beforeAll, inject } from 'vitest';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { createTestNamespace, eventually, isLocalTestCluster, kubeConfig, type TestNamespace } from '../../helpers/k8s.js';
import { EXIT_CODE_ANNOTATION, SIMULATE_LABEL } from '../../../runtime/cluster/kwok-config.js';
import { placementPodFields } from '../../../runtime/translate/index.js';

// KWOK's behaviour is tested on its own pool: on a mixed cluster (a real node beside it) the pods
// go there through the pool selector and toleration, as the agent places modules.
const simulatedPool = placementPodFields(inject('edgemuNodes') === 'real' ? 'simulated' : 'any');

const deployment = (name: string, podLabels: Record<string, string> = {}, podAnnotations: Record<string, string> = {}): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, ...podLabels }, annotations: podAnnotations },
      spec: { ...simulatedPool, containers: [{ name: 'main', image: 'example.invalid/module:1' }] },
    },
  },
});

describe('the local cluster (real apiserver, KWOK nodes)', () => {
  let ns: TestNamespace;
  const kc = kubeConfig();
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const pods = async (app: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app=${app}` })).items;

  beforeAll(async () => {
    ns = await createTestNamespace('cluster');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('has a Ready KWOK node', async () => {
    expect(isLocalTestCluster()).toBe(process.env.EDGEMU_TEST_KUBECONFIG === undefined || process.env.EDGEMU_TEST_KUBECONFIG === '');
    const nodes = (await core.listNode()).items;
    expect(nodes.length).toBeGreaterThanOrEqual(1);
    expect(nodes[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs the pods of a Deployment: Running and Ready', async () => {
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('web') });
    const running = await eventually(async () => {
      const list = await pods('web');
      const ready = list.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? ready : undefined;
    }, { what: 'two Running pods' });
    expect(running[0]?.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    const d = await eventually(async () => {
      const got = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      return got.status?.readyReplicas === 2 ? got : undefined;
    }, { what: 'deployment readyReplicas 2' });
    expect(d.status?.availableReplicas).toBe(2);
  });

  it('gives a Service a ClusterIP from the service range', async () => {
    const svc = await core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
  });

  it('supports server-side apply with a field manager', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: ns.name }, data: { a: '1' } };
    const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const first = await core.patchNamespacedConfigMap({ name: 'applied', namespace: ns.name, body, fieldManager: 'edgemu', force: true }, options);
    expect(first.data).toEqual({ a: '1' });
    expect(first.metadata?.managedFields?.some((f) => f.manager === 'edgemu' && f.operation === 'Apply')).toBe(true);
    // a second manager taking the same field conflicts unless forced (SSA ownership rules)
    await expect(core.patchNamespacedConfigMap({ name: 'applied', namespace: ns.name, body: { ...body, data: { a: '2' } }, fieldManager: 'someone-else' }, options)).rejects.toMatchObject({ code: 409 });
    const second = await core.patchNamespacedConfigMap({ name: 'applied', namespace: ns.name, body: { ...body, data: { a: '3', b: '4' } }, fieldManager: 'edgemu', force: true }, options);
    expect(second.data).toEqual({ a: '3', b: '4' });
  });

  it('crashes and restarts containers labelled crash-loop: restartCount grows, exit code and CrashLoopBackOff are reported', async () => {
    await apps.createNamespacedDeployment({ namespace: ns.name, body: { ...deployment('crashy', { [SIMULATE_LABEL]: 'crash-loop' }, { [EXIT_CODE_ANNOTATION]: '42' }), spec: { ...deployment('crashy').spec!, replicas: 1, template: deployment('crashy', { [SIMULATE_LABEL]: 'crash-loop' }, { [EXIT_CODE_ANNOTATION]: '42' }).spec!.template } } });
    const seen = { backoff: false };
    const status = await eventually(async () => {
      const s = (await pods('crashy'))[0]?.status?.containerStatuses?.[0];
      if (s?.state?.waiting?.reason === 'CrashLoopBackOff') seen.backoff = true;
      return s !== undefined && s.restartCount >= 2 && seen.backoff ? s : undefined;
    }, { what: 'restartCount ≥ 2 after a CrashLoopBackOff', intervalMs: 100 });
    expect(status.lastState?.terminated?.exitCode).toBe(42);
    expect(status.lastState?.terminated?.reason).toBe('Error');
  });

  it('crashes a crash-once container exactly once and keeps it running afterwards', async () => {
    const d = deployment('once', { [SIMULATE_LABEL]: 'crash-once' }, { [EXIT_CODE_ANNOTATION]: '3' });
    await apps.createNamespacedDeployment({ namespace: ns.name, body: { ...d, spec: { ...d.spec!, replicas: 1 } } });
    const status = await eventually(async () => {
      const s = (await pods('once'))[0]?.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running !== undefined ? s : undefined;
    }, { what: 'restartCount 1 and running again' });
    expect(status.lastState?.terminated?.exitCode).toBe(3);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await pods('once'))[0]?.status?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('fails a pod labelled fail with the chosen exit code', async () => {
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'doomed', labels: { app: 'doomed', [SIMULATE_LABEL]: 'fail' }, annotations: { [EXIT_CODE_ANNOTATION]: '7' } },
        spec: { ...simulatedPool, restartPolicy: 'Never', containers: [{ name: 'main', image: 'example.invalid/module:1' }] },
      },
    });
    const pod = await eventually(async () => {
      const p = await core.readNamespacedPod({ name: 'doomed', namespace: ns.name });
      return p.status?.phase === 'Failed' ? p : undefined;
    }, { what: 'phase Failed' });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(7);
  });

  it('finishes pod deletion (no kubelet needed)', async () => {
    await core.deleteNamespacedPod({ name: 'doomed', namespace: ns.name });
    await eventually(async () => {
      try {
        await core.readNamespacedPod({ name: 'doomed', namespace: ns.name });
        return false;
      } catch (error) {
        return (error as { code?: number }).code === 404;
      }
    }, { what: 'pod gone' });
  });
});
