import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHost } from '../../../runtime/agent/agent-host.js';
import { ClientNodeKubeApi } from '../../../runtime/agent/kubernetes/client-node-kube-api.js';
import { systemClock } from '../../../runtime/clock.js';
import { createClusterUser, createUserNamespace, deleteClusterUser, grantNamespaceAccess } from '../../../runtime/cluster/index.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { eventually, kubeConfig } from '../../helpers/k8s.js';
import { deploymentManifest } from '../../helpers/manifest-builders.js';
import { apiServerWatches, deleteDeviceNamespace } from './agent-harness.js';

/*
 * `edgemu up --cluster current` with a kubeconfig whose user may only use its own namespaces
 * (docs/cluster-users.md; Azure Stack Edge's namespace users): the shared watches' cluster-wide
 * list answers 403, so the agents fall back to one list-then-watch per device namespace
 * (docs/agent.md "Many devices"). The admin makes the device namespaces and grants them (RBAC
 * counts a request on the Namespace object itself as one in that namespace, so the grant covers
 * the agent's apply of it). Against this run's API server with RBAC; the user's modules land on
 * the simulated pool.
 */
const run = randomBytes(3).toString('hex');
const user = `fleet-user-${run}`;
const devices = [1, 2, 3].map((i) => `ns-fleet-${run}-${i}`);
const nodeReader = `edgemu-test-node-reader-${run}`;
const admin = kubeConfig();
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
let usersDir: string;
let userKc: KubeConfig;
let hub: TestHub;
let host: AgentHost | undefined;
const lines: Array<{ level: number; msg: string; kind?: string }> = [];

beforeAll(async () => {
  usersDir = mkdtempSync(path.join(tmpdir(), 'edgemu-fleet-users-'));
  const created = await createClusterUser({ kc: admin, usersDir, name: user });
  for (const d of devices) {
    await createUserNamespace({ kc: admin, name: deviceNamespace(d) });
    await grantNamespaceAccess({ kc: admin, name: user, namespace: deviceNamespace(d) });
  }
  // Reading the Nodes is what lets the agent place modules on the simulated pool; an admin may
  // grant it cluster-wide without granting pods or Deployments there. Without it the agent
  // places nothing (node-catalog.ts) and the pods would wait for a node that takes them.
  await rbac.createClusterRole({ body: { metadata: { name: nodeReader }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: nodeReader }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: nodeReader }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] } });
  userKc = new KubeConfig();
  userKc.loadFromFile(created.kubeconfig);
  hub = await startTestHub();
  const manifest = deploymentManifest(['alpha', 'beta']).modulesContent;
  for (const d of devices) {
    hub.createDevice(d, { edge: true });
    hub.hub.store.twins.replaceDesired({ deviceId: d, moduleId: '$edgeAgent' }, manifest.$edgeAgent!['properties.desired'] as Record<string, unknown>);
    hub.hub.store.twins.replaceDesired({ deviceId: d, moduleId: '$edgeHub' }, manifest.$edgeHub!['properties.desired'] as Record<string, unknown>);
  }
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await hub?.close();
  await deleteClusterUser({ kc: admin, usersDir, name: user }).catch(() => undefined);
  await rbac.deleteClusterRoleBinding({ name: nodeReader }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: nodeReader }).catch(() => undefined);
  await Promise.all(devices.map((d) => deleteDeviceNamespace(admin, d)));
  rmSync(usersDir, { recursive: true, force: true });
});

const reportedRunning = (deviceId: string): boolean => {
  const r = hub.hub.store.twins.get({ deviceId, moduleId: '$edgeAgent' })?.properties.reported as { lastDesiredStatus?: { code?: number }; modules?: Record<string, { runtimeStatus?: string }> } | undefined;
  return r?.lastDesiredStatus?.code === 200 && ['alpha', 'beta'].every((m) => r.modules?.[m]?.runtimeStatus === 'running');
};

describe('a fleet whose kubeconfig may only use the device namespaces', () => {
  it('falls back to a watch per device namespace on the 403, says so once per kind, and every device runs its modules', async () => {
    const before = await apiServerWatches(admin);
    host = new AgentHost({
      store: hub.hub.store,
      hub: { hostName: 'localhost', mqttsPort: hub.hub.mqttsPort, caCert: hub.hub.caCert },
      kube: new ClientNodeKubeApi(userKc),
      clock: systemClock,
      logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) }),
      deviceFilter: (d) => devices.includes(d),
      agentOptions: { resyncMs: 2_000, errorBackoffBaseMs: 200, errorBackoffMaxMs: 2_000 },
    });
    host.start();
    await eventually(async () => devices.every(reportedRunning), { timeoutMs: 90_000, intervalMs: 500, what: 'every device reports alpha and beta running' });

    const fallbacks = lines.filter((l) => l.msg.includes("watching each device's namespace on its own"));
    expect(fallbacks.map((l) => l.kind).sort()).toEqual(['Deployment', 'Pod']);
    expect(fallbacks.every((l) => l.level === 40 && l.msg.includes('403 Forbidden'))).toBe(true);
    // One watch per kind and device namespace, as the API server itself counts them.
    expect(host.watchStats.activeWatches).toBe(2 * devices.length);
    const during = await apiServerWatches(admin);
    expect((during.pods ?? 0) - (before.pods ?? 0)).toBe(devices.length);
    expect((during.deployments ?? 0) - (before.deployments ?? 0)).toBe(devices.length);
    // Nothing the agents logged is an error: a 403 on the cluster-wide list is not a failure.
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 120_000);
});
