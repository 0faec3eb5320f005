import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CertificatesV1Api, CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { ClusterError } from './cluster-errors.js';
import { apiFailure, statusOf } from './kube-api-errors.js';
import { loadKubeConfig, resolveKubeTarget } from './kube-config.js';
import { clusterDir, DEFAULT_CLUSTER_NAME, readClusterState } from './local-cluster.js';
import { DNS_LABEL_HINT, GRANTABLE_RESERVED_NAMESPACES, RESERVED_NAMESPACES, RESERVED_USERS, dnsLabelProblem } from './access-names.js';
import { clientCsrObject, namespaceAccess, renderUserKubeconfig, userNamespace, userObjectName, userRecordObject, USER_LABEL, USER_NAMESPACE_LABEL, USER_RECORD_NAMESPACE } from './namespace-access.js';

/**
 * `edgemu cluster namespace|user` (docs/cluster-users.md): Azure Stack Edge's
 * New-HcsKubernetesNamespace, New-HcsKubernetesUser and Grant-HcsKubernetesNamespaceAccess
 * (learn.microsoft.com, azure-stack-edge-gpu-create-kubernetes-cluster) on any cluster the
 * admin kubeconfig reaches. Every check that can fail runs before the first write; a write that
 * fails half-way undoes the earlier ones.
 */

export interface UserAccessOptions {
  /** Admin access to the cluster (the local cluster's kubeconfig, or any with --kubeconfig). */
  kc: KubeConfig;
}

export interface UserFilesOptions extends UserAccessOptions {
  /** Where user kubeconfigs are written: `<dir>/<user>.kubeconfig`. */
  usersDir: string;
}

export const userKubeconfigPath = (usersDir: string, user: string): string => join(usersDir, `${user}.kubeconfig`);

function assertName(kind: 'namespace' | 'user', name: string): void {
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) throw new ClusterError('NAME_INVALID', `invalid ${kind} name "${name}": ${problem}; ${DNS_LABEL_HINT}`, { details: { kind, name } });
}

function assertNamespaceNotReserved(name: string, action: string, allowGrantable = false): void {
  if (!RESERVED_NAMESPACES.includes(name)) return;
  if (allowGrantable && GRANTABLE_RESERVED_NAMESPACES.includes(name)) return;
  throw new ClusterError('NAMESPACE_RESERVED', `cannot ${action} namespace "${name}": it is a system namespace (reserved: ${RESERVED_NAMESPACES.join(', ')})`, { details: { namespace: name } });
}

/** `edgemu cluster namespace create NAME`. */
export async function createUserNamespace(options: UserAccessOptions & { name: string }): Promise<{ name: string }> {
  assertName('namespace', options.name);
  assertNamespaceNotReserved(options.name, 'create');
  const core = options.kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: userNamespace(options.name) });
  } catch (error) {
    if (statusOf(error) === 409) throw new ClusterError('NAMESPACE_EXISTS', `namespace "${options.name}" already exists`, { details: { namespace: options.name } });
    throw apiFailure(`creating namespace "${options.name}"`, error);
  }
  return { name: options.name };
}

/** `edgemu cluster namespace delete NAME`: only namespaces `namespace create` made. */
export async function deleteUserNamespace(options: UserAccessOptions & { name: string }): Promise<{ name: string }> {
  assertName('namespace', options.name);
  assertNamespaceNotReserved(options.name, 'delete');
  const core = options.kc.makeApiClient(CoreV1Api);
  const ns = await readNamespace(core, options.name);
  if (ns.metadata?.labels?.[USER_NAMESPACE_LABEL] !== 'true') {
    throw new ClusterError('NAMESPACE_NOT_MANAGED', `namespace "${options.name}" was not made by \`edgemu cluster namespace create\` (no ${USER_NAMESPACE_LABEL} label); delete it with kubectl if you mean to`, { details: { namespace: options.name } });
  }
  try {
    await core.deleteNamespace({ name: options.name });
  } catch (error) {
    if (statusOf(error) !== 404) throw apiFailure(`deleting namespace "${options.name}"`, error);
  }
  return { name: options.name };
}

async function readNamespace(core: CoreV1Api, name: string) {
  try {
    const ns = await core.readNamespace({ name });
    if (ns.status?.phase === 'Terminating') throw new ClusterError('NAMESPACE_NOT_FOUND', `namespace "${name}" is being deleted`, { details: { namespace: name } });
    return ns;
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    if (statusOf(error) === 404) throw new ClusterError('NAMESPACE_NOT_FOUND', `namespace "${name}" does not exist; create it first: edgemu cluster namespace create ${name}`, { details: { namespace: name } });
    throw apiFailure(`reading namespace "${name}"`, error);
  }
}

export interface CreatedUser {
  name: string;
  kubeconfig: string;
  notAfter: string;
}

/**
 * `edgemu cluster user create NAME`: a private key made here, a client certificate (CN=NAME, no
 * groups) signed by the cluster's CA through the CertificateSigningRequest API with signer
 * `kubernetes.io/kube-apiserver-client` (kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests,
 * "Normal user"), and a kubeconfig with both embedded. The local cluster's controller-manager
 * signs with the cluster CA (`--cluster-signing-*-file`); kind and kubeadm clusters do the same.
 * The user can do nothing beyond what every authenticated identity may until it is granted a namespace.
 */
export async function createClusterUser(options: UserFilesOptions & { name: string; days?: number; timeoutMs?: number }): Promise<CreatedUser> {
  const { kc, name } = options;
  assertName('user', name);
  if (RESERVED_USERS.includes(name)) throw new ClusterError('USER_RESERVED', `user name "${name}" is reserved (${RESERVED_USERS.join(', ')})`, { details: { user: name } });
  const core = kc.makeApiClient(CoreV1Api);
  if ((await readUserRecord(core, name)) !== undefined) throw userExists(name);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ClusterError('KUBECONFIG_INVALID', 'the kubeconfig selects no cluster');
  const caPem = cluster.caData !== undefined && cluster.caData !== '' ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile !== undefined && cluster.caFile !== '' ? await readFile(cluster.caFile, 'utf8') : undefined;

  const { keyPem, csrPem } = await makeKeyAndCsr(name);
  const certificates = kc.makeApiClient(CertificatesV1Api);
  const csrName = `${userObjectName(name)}-${randomBytes(3).toString('hex')}`;
  let certPem: string;
  try {
    await certificates.createCertificateSigningRequest({ body: clientCsrObject({ name: csrName, user: name, csrPem, expirationSeconds: (options.days ?? 365) * 86_400 }) }).catch((error: unknown) => {
      throw apiFailure(`creating CertificateSigningRequest ${csrName}`, error);
    });
    const csr = await certificates.readCertificateSigningRequest({ name: csrName });
    csr.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'EdgemuClusterUserCreate', message: `edgemu cluster user create ${name}` }] };
    await certificates.replaceCertificateSigningRequestApproval({ name: csrName, body: csr }).catch((error: unknown) => {
      throw apiFailure(`approving CertificateSigningRequest ${csrName}`, error);
    });
    certPem = await waitForCertificate(certificates, csrName, options.timeoutMs ?? 30_000);
  } finally {
    await certificates.deleteCertificateSigningRequest({ name: csrName }).catch(() => undefined);
  }
  const notAfter = new Date(new X509Certificate(certPem).validTo).toISOString();
  try {
    await core.createNamespacedConfigMap({ namespace: USER_RECORD_NAMESPACE, body: userRecordObject({ name, createdAt: new Date().toISOString(), certificate: certPem, notAfter }) });
  } catch (error) {
    if (statusOf(error) === 409) throw userExists(name);
    throw apiFailure(`recording user "${name}"`, error);
  }
  const path = userKubeconfigPath(options.usersDir, name);
  try {
    await mkdir(options.usersDir, { recursive: true, mode: 0o700 });
    await writeFile(path, renderUserKubeconfig({ user: name, server: cluster.server, caPem, certPem, keyPem, clusterName: cluster.name }), { mode: 0o600 });
    await chmod(path, 0o600);
  } catch (error) {
    await core.deleteNamespacedConfigMap({ name: userObjectName(name), namespace: USER_RECORD_NAMESPACE }).catch(() => undefined);
    throw error;
  }
  return { name, kubeconfig: path, notAfter };
}

const userExists = (name: string) => new ClusterError('USER_EXISTS', `user "${name}" already exists; \`edgemu cluster user delete ${name}\` first to make a new one`, { details: { user: name } });

async function makeKeyAndCsr(user: string): Promise<{ keyPem: string; csrPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'edgemu-user-'));
  try {
    const key = join(dir, 'user.key');
    const csr = join(dir, 'user.csr');
    const result = await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${user}`, '-keyout', key, '-out', csr], { reject: false, all: true });
    if (result.exitCode !== 0) {
      const missing = (result as { code?: string }).code === 'ENOENT';
      throw new ClusterError('TOOL_MISSING', missing ? 'openssl is needed to make a user key; install it (apt-get install openssl)' : `openssl req failed: ${result.all ?? result.message}`);
    }
    return { keyPem: await readFile(key, 'utf8'), csrPem: await readFile(csr, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitForCertificate(certificates: CertificatesV1Api, name: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const csr = await certificates.readCertificateSigningRequest({ name });
    const failed = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
    if (failed !== undefined) throw new ClusterError('CERTIFICATE_NOT_ISSUED', `the cluster refused the certificate request ${name}: ${failed.type} (${failed.reason ?? ''} ${failed.message ?? ''})`.trim());
    if (csr.status?.certificate !== undefined && csr.status.certificate !== '') return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    if (Date.now() > deadline) {
      throw new ClusterError(
        'CERTIFICATE_NOT_ISSUED',
        `no certificate was issued for ${name} within ${Math.round(timeoutMs / 1000)} s: the cluster's controller-manager does not sign kube-apiserver-client certificates (it needs --cluster-signing-cert-file and --cluster-signing-key-file; kind and kubeadm clusters have them; a local edgemu cluster started by an older edgemu does not: edgemu cluster down && edgemu cluster up)`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function readUserRecord(core: CoreV1Api, name: string) {
  try {
    return await core.readNamespacedConfigMap({ name: userObjectName(name), namespace: USER_RECORD_NAMESPACE });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw apiFailure(`reading the record of user "${name}"`, error);
  }
}

async function requireUser(core: CoreV1Api, name: string): Promise<void> {
  if ((await readUserRecord(core, name)) === undefined) throw new ClusterError('USER_NOT_FOUND', `user "${name}" does not exist; create it first: edgemu cluster user create ${name}`, { details: { user: name } });
}

/**
 * `edgemu cluster user grant NAME --namespace NS`: the Role and RoleBinding of
 * `namespaceAccess`. Granting again is a no-op (the objects are replaced with the same content).
 */
export async function grantNamespaceAccess(options: UserAccessOptions & { name: string; namespace: string }): Promise<{ user: string; namespace: string; role: string; roleBinding: string; alreadyGranted: boolean }> {
  const { kc, name, namespace } = options;
  assertName('user', name);
  assertName('namespace', namespace);
  assertNamespaceNotReserved(namespace, 'grant access to', true);
  const core = kc.makeApiClient(CoreV1Api);
  await requireUser(core, name);
  await readNamespace(core, namespace);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const { role, roleBinding } = namespaceAccess(name, namespace);
  const objectName = role.metadata.name;
  let roleCreated = false;
  let existed = 0;
  try {
    await rbac.createNamespacedRole({ namespace, body: role });
    roleCreated = true;
  } catch (error) {
    if (statusOf(error) !== 409) throw apiFailure(`creating Role ${namespace}/${objectName}`, error);
    existed++;
    await rbac.replaceNamespacedRole({ name: objectName, namespace, body: role }).catch((e: unknown) => {
      throw apiFailure(`updating Role ${namespace}/${objectName}`, e);
    });
  }
  try {
    try {
      await rbac.createNamespacedRoleBinding({ namespace, body: roleBinding });
    } catch (error) {
      if (statusOf(error) !== 409) throw apiFailure(`creating RoleBinding ${namespace}/${objectName}`, error);
      existed++;
      // roleRef cannot change (RBAC docs); subjects can, so a replace restores a hand-edited binding
      await rbac.replaceNamespacedRoleBinding({ name: objectName, namespace, body: roleBinding }).catch((e: unknown) => {
        throw apiFailure(`updating RoleBinding ${namespace}/${objectName}`, e);
      });
    }
  } catch (error) {
    if (roleCreated) await rbac.deleteNamespacedRole({ name: objectName, namespace }).catch(() => undefined);
    throw error;
  }
  return { user: name, namespace, role: objectName, roleBinding: objectName, alreadyGranted: existed === 2 };
}

export interface ClusterUserInfo {
  name: string;
  namespaces: string[];
  createdAt?: string;
  notAfter?: string;
  /** This machine's kubeconfig for the user, when it is in the users directory. */
  kubeconfig?: string;
}

/** `edgemu cluster user list`: the recorded users and the namespaces each is granted. */
export async function listClusterUsers(options: UserFilesOptions): Promise<ClusterUserInfo[]> {
  const core = options.kc.makeApiClient(CoreV1Api);
  const rbac = options.kc.makeApiClient(RbacAuthorizationV1Api);
  const [records, bindings] = await Promise.all([
    core.listNamespacedConfigMap({ namespace: USER_RECORD_NAMESPACE, labelSelector: USER_LABEL }).catch((e: unknown) => {
      throw apiFailure('listing user records', e);
    }),
    rbac.listRoleBindingForAllNamespaces({ labelSelector: USER_LABEL }).catch((e: unknown) => {
      throw apiFailure('listing RoleBindings', e);
    }),
  ]);
  const users = records.items.map((cm): ClusterUserInfo => {
    const name = cm.metadata?.labels?.[USER_LABEL] ?? '';
    const path = userKubeconfigPath(options.usersDir, name);
    const namespaces = bindings.items.filter((b) => b.metadata?.labels?.[USER_LABEL] === name && b.metadata.name === userObjectName(name)).map((b) => b.metadata?.namespace ?? '');
    return {
      name,
      namespaces: namespaces.sort(),
      ...(cm.data?.createdAt === undefined ? {} : { createdAt: cm.data.createdAt }),
      ...(cm.data?.notAfter === undefined ? {} : { notAfter: cm.data.notAfter }),
      ...(existsSync(path) ? { kubeconfig: path } : {}),
    };
  });
  return users.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `edgemu cluster user delete NAME`: its RoleBindings and Roles in every namespace, its record
 * and its kubeconfig file. Kubernetes has no certificate revocation: the certificate still
 * authenticates until it expires, with only what every authenticated identity may do — and a new
 * user of the same name would give it that user's grants (docs/cluster-users.md).
 */
export async function deleteClusterUser(options: UserFilesOptions & { name: string }): Promise<{ name: string; namespaces: string[] }> {
  const { kc, name } = options;
  assertName('user', name);
  const core = kc.makeApiClient(CoreV1Api);
  await requireUser(core, name);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const selector = `${USER_LABEL}=${name}`;
  const bindings = await rbac.listRoleBindingForAllNamespaces({ labelSelector: selector });
  const roles = await rbac.listRoleForAllNamespaces({ labelSelector: selector });
  const ignoreMissing = (what: string) => (error: unknown) => {
    if (statusOf(error) !== 404) throw apiFailure(what, error);
  };
  for (const b of bindings.items) await rbac.deleteNamespacedRoleBinding({ name: b.metadata?.name ?? '', namespace: b.metadata?.namespace ?? '' }).catch(ignoreMissing(`deleting RoleBinding ${b.metadata?.namespace}/${b.metadata?.name}`));
  for (const r of roles.items) await rbac.deleteNamespacedRole({ name: r.metadata?.name ?? '', namespace: r.metadata?.namespace ?? '' }).catch(ignoreMissing(`deleting Role ${r.metadata?.namespace}/${r.metadata?.name}`));
  await core.deleteNamespacedConfigMap({ name: userObjectName(name), namespace: USER_RECORD_NAMESPACE }).catch(ignoreMissing(`deleting the record of user "${name}"`));
  await rm(userKubeconfigPath(options.usersDir, name), { force: true });
  return { name, namespaces: bindings.items.map((b) => b.metadata?.namespace ?? '').sort() };
}

/**
 * The admin access and users directory the CLI uses: `--kubeconfig`/`--context` when given (user
 * kubeconfigs then go to `<stateDir>/users/<context>/`); otherwise the running local cluster
 * (`<cluster dir>/users/`, removed with the cluster by `edgemu cluster down`); otherwise
 * $KUBECONFIG / ~/.kube/config.
 */
export async function resolveUserAccess(options: { kubeconfig?: string | undefined; context?: string | undefined; stateDir: string; clusterName?: string }): Promise<UserFilesOptions & { localClusterDir?: string }> {
  const clusterName = options.clusterName ?? DEFAULT_CLUSTER_NAME;
  const target = await resolveKubeTarget({ ...options, clusterName });
  const kc = loadKubeConfig(target);
  const local = (options.kubeconfig ?? '') === '' ? await readClusterState(clusterDir(options.stateDir, clusterName)) : undefined;
  if (local !== undefined && target.kubeconfig === local.kubeconfig) return { kc, usersDir: join(local.dir, 'users'), localClusterDir: local.dir };
  const context = kc.getCurrentContext().replace(/[^A-Za-z0-9._-]+/g, '_') || 'default';
  return { kc, usersDir: resolve(options.stateDir, 'users', context) };
}
