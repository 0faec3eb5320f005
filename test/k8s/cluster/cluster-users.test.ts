import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { AppsV1Api, CertificatesV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { createClusterUser, createUserNamespace, deleteClusterUser, deleteUserNamespace, grantNamespaceAccess, listClusterUsers } from '../../../runtime/cluster/index.js';
import { main } from '../../../runtime/cli/main.js';
import { eventually, kubeConfig, kubeconfigPath } from '../../helpers/k8s.js';

/*
 * Azure Stack Edge's per-user namespaces (docs/cluster-users.md) against this run's real
 * kube-apiserver with `--authorization-mode=Node,RBAC`: a user made by `user create` authenticates
 * with a certificate the controller-manager signed with the cluster CA, and RBAC confines it to
 * the namespaces it was granted. kubectl answers as it would for the user on the device.
 */
const suffix = randomBytes(3).toString('hex');
const alice = `alice-${suffix}`;
const teamA = `team-a-${suffix}`;
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
let usersDir: string;
let aliceKubeconfig: string;
let iotedgeCreatedHere = false;

const kubectlAs = (kubeconfig: string, ...args: string[]) => execa('kubectl', ['--kubeconfig', kubeconfig, ...args], { reject: false, timeout: 60_000 });
const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

beforeAll(async () => {
  usersDir = mkdtempSync(join(tmpdir(), 'edgemu-users-'));
  await createUserNamespace({ kc, name: teamA });
  // The IoT Edge namespace exists on the device; the admin makes it here if the run has none. An
  // earlier test file may have just deleted it: a namespace still Terminating takes no new objects,
  // so wait until it is gone (or is a live one) first.
  await eventually(
    async () => {
      const existing = await core.readNamespace({ name: 'iotedge' }).catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      });
      if (existing?.status?.phase === 'Terminating') return undefined;
      if (existing === undefined) {
        await core.createNamespace({ body: { metadata: { name: 'iotedge' } } });
        iotedgeCreatedHere = true;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'namespace iotedge live (not Terminating)' },
  );
  const created = await createClusterUser({ kc, usersDir, name: alice });
  aliceKubeconfig = created.kubeconfig;
  await grantNamespaceAccess({ kc, name: alice, namespace: teamA });
}, 90_000);

afterAll(async () => {
  await deleteClusterUser({ kc, usersDir, name: alice }).catch(() => undefined);
  await core.deleteNamespace({ name: teamA }).catch(() => undefined);
  if (iotedgeCreatedHere) await core.deleteNamespace({ name: 'iotedge' }).catch(() => undefined);
  rmSync(usersDir, { recursive: true, force: true });
});

describe('a user granted one namespace', () => {
  it('gets a private kubeconfig whose certificate the cluster CA signed for CN=<user>, with no group', () => {
    expect(aliceKubeconfig).toBe(join(usersDir, `${alice}.kubeconfig`));
    expect(statSync(aliceKubeconfig).mode & 0o777).toBe(0o600);
    const doc = parse(readFileSync(aliceKubeconfig, 'utf8'));
    const cert = new X509Certificate(Buffer.from(doc.users[0].user['client-certificate-data'], 'base64'));
    expect(cert.subject).toBe(`CN=${alice}`);
    const cluster = kc.getCurrentCluster()!;
    const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : readFileSync(cluster.caFile!, 'utf8');
    expect(cert.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    expect(doc.clusters[0].cluster.server).toBe(cluster.server);
  });

  it('can create deployments in its namespace (kubectl auth can-i: yes) and really does', async () => {
    const r = await kubectlAs(aliceKubeconfig, 'auth', 'can-i', 'create', 'deployments', '-n', teamA);
    expect(r.stdout.trim()).toBe('yes');
    expect(r.exitCode).toBe(0);
    const aliceKc = new KubeConfig();
    aliceKc.loadFromFile(aliceKubeconfig);
    const made = await aliceKc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: teamA,
      body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'edgemu.local/busybox:v1' }] } } } },
    });
    expect(made.metadata?.namespace).toBe(teamA);
  });

  it('cannot read pods in iotedge (kubectl auth can-i: no)', async () => {
    const r = await kubectlAs(aliceKubeconfig, 'auth', 'can-i', 'get', 'pods', '-n', 'iotedge');
    expect(r.stdout.trim()).toBe('no');
    expect(r.exitCode).toBe(1);
  });

  it('is Forbidden to list pods in kube-system, and to list namespaces or nodes', async () => {
    const pods = await kubectlAs(aliceKubeconfig, 'get', 'pods', '-n', 'kube-system');
    expect(pods.exitCode).toBe(1);
    expect(pods.stderr).toMatch(new RegExp(`Forbidden.*User "${alice}" cannot list resource "pods".*namespace "kube-system"`));
    for (const resource of ['namespaces', 'nodes']) {
      const r = await kubectlAs(aliceKubeconfig, 'get', resource);
      expect(r.stderr, resource).toMatch(/Forbidden/);
    }
  });

  it('gets iotedge too once granted, and user list shows both namespaces', async () => {
    const before = await grantNamespaceAccess({ kc, name: alice, namespace: 'iotedge' });
    expect(before.alreadyGranted).toBe(false);
    expect((await kubectlAs(aliceKubeconfig, 'auth', 'can-i', 'get', 'pods', '-n', 'iotedge')).stdout.trim()).toBe('yes');
    expect((await grantNamespaceAccess({ kc, name: alice, namespace: teamA })).alreadyGranted).toBe(true);
    const users = await listClusterUsers({ kc, usersDir });
    expect(users.find((u) => u.name === alice)).toMatchObject({ name: alice, namespaces: ['iotedge', teamA].sort(), kubeconfig: aliceKubeconfig });
  });
});

describe('bad input is refused before anything is written', () => {
  const labelled = async (user: string) => {
    const selector = `edgemu.io/cluster-user=${user}`;
    const [roles, bindings, records, csrs] = await Promise.all([
      rbac.listRoleForAllNamespaces({ labelSelector: selector }),
      rbac.listRoleBindingForAllNamespaces({ labelSelector: selector }),
      core.listNamespacedConfigMap({ namespace: 'kube-system', labelSelector: selector }),
      kc.makeApiClient(CertificatesV1Api).listCertificateSigningRequest({ labelSelector: selector }),
    ]);
    return roles.items.length + bindings.items.length + records.items.length + csrs.items.length;
  };

  it.each(['Alice', 'al_ice', '-bob', 'x'.repeat(64)])('user name %j that is not a DNS label: NAME_INVALID', async (name) => {
    expect(await codeOf(createClusterUser({ kc, usersDir, name }))).toBe('NAME_INVALID');
    expect(existsSync(join(usersDir, `${name}.kubeconfig`))).toBe(false);
  });

  it('a reserved user name: USER_RESERVED', async () => {
    expect(await codeOf(createClusterUser({ kc, usersDir, name: 'aseuser' }))).toBe('USER_RESERVED');
  });

  it('a duplicate user: USER_EXISTS, its kubeconfig untouched', async () => {
    const before = readFileSync(aliceKubeconfig, 'utf8');
    expect(await codeOf(createClusterUser({ kc, usersDir, name: alice }))).toBe('USER_EXISTS');
    expect(readFileSync(aliceKubeconfig, 'utf8')).toBe(before);
  });

  it('granting a missing namespace: NAMESPACE_NOT_FOUND, no Role or RoleBinding made', async () => {
    const bob = `bob-${suffix}`;
    await createClusterUser({ kc, usersDir, name: bob });
    try {
      expect(await codeOf(grantNamespaceAccess({ kc, name: bob, namespace: `missing-${suffix}` }))).toBe('NAMESPACE_NOT_FOUND');
      expect(await codeOf(grantNamespaceAccess({ kc, name: bob, namespace: 'kube-system' }))).toBe('NAMESPACE_RESERVED');
      expect(await labelled(bob)).toBe(1); // its record only
    } finally {
      await deleteClusterUser({ kc, usersDir, name: bob });
    }
    expect(await labelled(bob)).toBe(0);
  });

  it('granting a user that does not exist: USER_NOT_FOUND', async () => {
    expect(await codeOf(grantNamespaceAccess({ kc, name: `nobody-${suffix}`, namespace: teamA }))).toBe('USER_NOT_FOUND');
    expect(await labelled(`nobody-${suffix}`)).toBe(0);
  });

  it.each([
    ['create', 'kube-system', 'NAMESPACE_RESERVED'],
    ['create', 'iotedge', 'NAMESPACE_RESERVED'],
    ['create', 'Team_A', 'NAME_INVALID'],
    ['delete', 'default', 'NAMESPACE_RESERVED'],
    ['delete', `missing-${suffix}`, 'NAMESPACE_NOT_FOUND'],
  ])('namespace %s %s: %s', async (action, name, code) => {
    expect(await codeOf(action === 'create' ? createUserNamespace({ kc, name }) : deleteUserNamespace({ kc, name }))).toBe(code);
  });

  it('namespace create of an existing one: NAMESPACE_EXISTS; delete of one it did not make: NAMESPACE_NOT_MANAGED', async () => {
    expect(await codeOf(createUserNamespace({ kc, name: teamA }))).toBe('NAMESPACE_EXISTS');
    const other = `plain-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: other } } });
    try {
      expect(await codeOf(deleteUserNamespace({ kc, name: other }))).toBe('NAMESPACE_NOT_MANAGED');
      expect((await core.readNamespace({ name: other })).status?.phase).toBe('Active');
    } finally {
      await core.deleteNamespace({ name: other });
    }
  });
});

describe('the CLI', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'edgemu-users-cli-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['--state-dir', stateDir, '--log-level', 'silent', ...argv, '--kubeconfig', kubeconfigPath()], { out: (s) => void (out += s), err: (s) => void (err += s), shutdownSignal: new AbortController().signal });
    return { code, out, err };
  };

  it('creates, grants, lists and deletes a user; bad names fail with exit 1 and a clear message', async () => {
    const carol = `carol-${suffix}`;
    const created = await run('cluster', 'user', 'create', carol);
    expect(created.code, created.err).toBe(0);
    const path = created.out.trim();
    expect(path).toBe(join(stateDir, 'users', kc.getCurrentContext().replace(/[^A-Za-z0-9._-]+/g, '_'), `${carol}.kubeconfig`));
    expect(existsSync(path)).toBe(true);
    expect((await run('cluster', 'user', 'grant', carol, '--namespace', teamA)).out).toContain(`user "${carol}" granted full access to namespace "${teamA}"`);
    expect((await kubectlAs(path, 'auth', 'can-i', 'delete', 'pods', '-n', teamA)).stdout.trim()).toBe('yes');
    const list = await run('cluster', 'user', 'list', '--json');
    expect(JSON.parse(list.out)).toEqual(expect.arrayContaining([expect.objectContaining({ name: carol, namespaces: [teamA], kubeconfig: path })]));
    const deleted = await run('cluster', 'user', 'delete', carol);
    expect(deleted.out).toContain(`user "${carol}" deleted (access to ${teamA} removed)`);
    expect(existsSync(path)).toBe(false);
    const bad = await run('cluster', 'user', 'create', 'Carol');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/invalid user name "Carol".*DNS label/);
    const missing = await run('cluster', 'user', 'grant', alice, '--namespace', `missing-${suffix}`);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/namespace "missing-.*" does not exist; create it first: edgemu cluster namespace create/);
  }, 60_000);

  it('creates and deletes a namespace', async () => {
    const ns = `team-b-${suffix}`;
    expect((await run('cluster', 'namespace', 'create', ns)).out).toBe(`namespace "${ns}" created\n`);
    expect((await core.readNamespace({ name: ns })).metadata?.labels?.['edgemu.io/user-namespace']).toBe('true');
    expect((await run('cluster', 'namespace', 'delete', ns)).out).toBe(`namespace "${ns}" deleted\n`);
  });
});

describe('deleting a user', () => {
  it('removes its grants: its certificate still authenticates but may do nothing in the namespace', async () => {
    const kept = join(usersDir, 'kept-copy.kubeconfig');
    writeFileSync(kept, readFileSync(aliceKubeconfig), { mode: 0o600 });
    const result = await deleteClusterUser({ kc, usersDir, name: alice });
    expect(result.namespaces).toEqual(['iotedge', teamA].sort());
    expect(existsSync(aliceKubeconfig)).toBe(false);
    const after = await eventually(async () => {
      const r = await kubectlAs(kept, 'auth', 'can-i', 'create', 'deployments', '-n', teamA);
      return r.stdout.trim() === 'no' ? r : undefined;
    }, { what: 'the grant gone from the RBAC cache' });
    expect(after.exitCode).toBe(1);
    expect(await codeOf(deleteClusterUser({ kc, usersDir, name: alice }))).toBe('USER_NOT_FOUND');
  });
});
