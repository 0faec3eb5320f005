import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { createShare, deleteShare, listShares } from '../../../runtime/cluster/index.js';
import { createTestNamespace, eventually, isLocalTestCluster, kubeConfig, type TestNamespace } from '../../helpers/k8s.js';

/*
 * Storage as on Azure Stack Edge (docs/cluster.md "Storage classes and shares"): the dynamic class
 * ase-node-local and host directories offered as static PersistentVolumes, against the run's real
 * API server, controllers, scheduler and volume provisioner, with binding proven at the API level;
 * reading a share's files and keeping ase-node-local data from inside containers on the real node
 * is test/k8s/cluster/real-node.test.ts.
 */
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const suffix = randomBytes(3).toString('hex');
const real = inject('edgemuNodes') === 'real';
let ns: TestNamespace;
let hostDir: string;

const podUsing = (name: string, claim: string, command: string, pool: 'real' | 'simulated'): V1Pod => ({
  metadata: { name },
  spec: {
    restartPolicy: 'Never',
    nodeSelector: { 'edgemu.io/node-pool': pool },
    tolerations: [{ key: 'edgemu.io/node-pool', operator: 'Equal', value: 'simulated', effect: 'NoSchedule' }],
    containers: [{ name: 'main', image: 'edgemu.local/busybox:v1', imagePullPolicy: 'Never', command: ['sh', '-c', command], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
  },
});
const claimPhase = async (name: string) => (await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns.name })).status?.phase;
const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e as { code?: string }).code,
  );

beforeAll(async () => {
  ns = await createTestNamespace('shares');
  hostDir = mkdtempSync(join(tmpdir(), 'edgemu-share-'));
  writeFileSync(join(hostDir, 'hello.txt'), 'from-the-host\n');
});
afterAll(async () => {
  await ns?.delete();
  for (const s of await listShares({ kc })) if (s.name.endsWith(suffix)) await core.deletePersistentVolume({ name: s.name }).catch(() => undefined);
  rmSync(hostDir, { recursive: true, force: true });
});

describe.runIf(isLocalTestCluster())('StorageClass ase-node-local', () => {
  it('is the local provisioner under Azure Stack Edge’s name, not the default', async () => {
    const storage = kc.makeApiClient(StorageV1Api);
    const [ase, local] = await Promise.all([storage.readStorageClass({ name: 'ase-node-local' }), storage.readStorageClass({ name: 'local-path' })]);
    expect(ase.provisioner).toBe(local.provisioner);
    expect(ase.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(ase.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBeUndefined();
  });

  it('binds a ReadWriteOnce claim once a pod uses it', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: { metadata: { name: 'dyn' }, spec: { storageClassName: 'ase-node-local', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } },
    });
    await core.createNamespacedPod({ namespace: ns.name, body: podUsing('dyn-user', 'dyn', 'true', real ? 'real' : 'simulated') });
    await eventually(async () => (await claimPhase('dyn')) === 'Bound', { timeoutMs: 90_000, what: 'PVC dyn Bound' });
    const pvName = (await core.readNamespacedPersistentVolumeClaim({ name: 'dyn', namespace: ns.name })).spec?.volumeName ?? '';
    const pv = await core.readPersistentVolume({ name: pvName });
    expect(pv.spec?.storageClassName).toBe('ase-node-local');
    expect(pv.spec?.accessModes).toEqual(['ReadWriteOnce']);
  }, 120_000);
});

describe('shares: a host directory as a static PersistentVolume', () => {
  const share = `media-${suffix}`;

  it('is claimed by storageClassName ase-share + volumeName, and cannot be deleted while bound', async () => {
    const created = await createShare({ kc, name: share, path: hostDir });
    expect(created).toMatchObject({ name: share, path: hostDir });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: { metadata: { name: 'media' }, spec: { storageClassName: 'ase-share', volumeName: share, accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } } },
    });
    await eventually(async () => (await claimPhase('media')) === 'Bound', { timeoutMs: 60_000, what: 'PVC media Bound to the share' });
    const listed = await eventually(async () => (await listShares({ kc })).find((s) => s.name === share && s.phase === 'Bound'), { what: 'share listed Bound' });
    expect(listed).toEqual({ name: share, path: hostDir, phase: 'Bound', claim: `${ns.name}/media` });
    expect(await codeOf(deleteShare({ kc, name: share }))).toBe('SHARE_IN_USE');
  }, 90_000);

  it('is deleted once its claim is gone, leaving the directory alone', async () => {
    // a claim stays while a pod uses it (kubernetes.io/pvc-protection): the readers are gone first
    await eventually(async () => (await core.listNamespacedPod({ namespace: ns.name })).items.every((p) => !p.spec?.volumes?.some((v) => v.persistentVolumeClaim?.claimName === 'media')), { timeoutMs: 60_000, what: 'no pod uses media' });
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'media', namespace: ns.name });
    await eventually(async () => (await listShares({ kc })).find((s) => s.name === share && s.phase !== 'Bound'), { timeoutMs: 60_000, what: 'share released' });
    expect(await deleteShare({ kc, name: share })).toEqual({ name: share });
    await eventually(async () => !(await listShares({ kc })).some((s) => s.name === share), { what: 'PV gone' });
    expect(readFileSync(join(hostDir, 'hello.txt'), 'utf8')).toBe('from-the-host\n');
  }, 90_000);

  it.each([
    ['a missing directory', { path: '/nonexistent/edgemu' }, 'PATH_INVALID'],
    ['a relative path', { path: 'relative/dir' }, 'PATH_INVALID'],
    ['a name that is not a DNS label', { name: 'Media_1' }, 'NAME_INVALID'],
    ['a bad capacity', { capacity: 'lots' }, 'NAME_INVALID'],
    ['a node that does not exist', { node: `no-such-node-${suffix}` }, 'NODE_UNAVAILABLE'],
  ])('refuses %s without creating anything', async (_what, override: { path?: string; name?: string; capacity?: string; node?: string }, code) => {
    const name = `bad-${suffix}`;
    expect(await codeOf(createShare({ kc, name, path: hostDir, ...override }))).toBe(code);
    expect((await listShares({ kc })).some((s) => s.name === name || s.name === override.name)).toBe(false);
  });

  it('refuses a duplicate name and deleting what is not a share', async () => {
    const name = `dup-${suffix}`;
    await createShare({ kc, name, path: hostDir });
    expect(await codeOf(createShare({ kc, name, path: hostDir }))).toBe('SHARE_EXISTS');
    await deleteShare({ kc, name });
    expect(await codeOf(deleteShare({ kc, name: `missing-${suffix}` }))).toBe('SHARE_NOT_FOUND');
  });
});
