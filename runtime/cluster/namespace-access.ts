/**
 * The Kubernetes objects behind `edgemu cluster namespace|user` (docs/cluster-users.md). Pure:
 * table-tested; runtime/cluster/cluster-users.ts sends them.
 */
import type { V1CertificateSigningRequest, V1ConfigMap, V1Namespace, V1Role, V1RoleBinding } from '@kubernetes/client-node';

/** Label on every object these commands make: the user it belongs to. */
export const USER_LABEL = 'edgemu.io/cluster-user';
/** Label on namespaces made by `edgemu cluster namespace create` (only those are deleted by it). */
export const USER_NAMESPACE_LABEL = 'edgemu.io/user-namespace';
/** Where the user records live: a namespace every cluster has and only admins can read. */
export const USER_RECORD_NAMESPACE = 'kube-system';
/** The signer of client certificates the API server accepts (kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests, "Kubernetes signers"). */
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

/** Name of a user's Role, RoleBinding and record ConfigMap. */
export const userObjectName = (user: string): string => `edgemu-user-${user}`;

/** Every object here has a name and labels (client-node's types leave them optional). */
type Named<T> = T & { metadata: { name: string; labels: Record<string, string> } };

/** A user namespace (Azure Stack Edge's New-HcsKubernetesNamespace). */
export function userNamespace(name: string): Named<V1Namespace> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [USER_NAMESPACE_LABEL]: 'true' } } };
}

/**
 * Azure Stack Edge's Grant-HcsKubernetesNamespaceAccess: the user gets "admin access" to the
 * namespace, "full control over these namespaces", and nothing cluster-wide
 * (learn.microsoft.com, azure-stack-edge-gpu-kubernetes-rbac, "Kubernetes RBAC on Azure Stack
 * Edge Pro"). So: a Role allowing every verb on every resource of every API group in that
 * namespace, and a RoleBinding of that Role to the user (kubernetes.io/docs/reference/access-authn-authz/rbac,
 * "Role and ClusterRole", "RoleBinding and ClusterRoleBinding"). A Role cannot reach cluster-scoped
 * objects, other namespaces, or non-resource URLs.
 */
export function namespaceAccess(user: string, namespace: string): { role: Named<V1Role>; roleBinding: Named<V1RoleBinding> } {
  const name = userObjectName(user);
  const metadata = { name, namespace, labels: { [USER_LABEL]: user } };
  return {
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  };
}

export interface UserRecord {
  name: string;
  createdAt: string;
  /** The client certificate (PEM, public): its subject is CN=<name>, no groups. */
  certificate: string;
  notAfter: string;
}

/** The record of one user: a ConfigMap in kube-system (a certificate is not an API object). */
export function userRecordObject(record: UserRecord): Named<V1ConfigMap> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: userObjectName(record.name), namespace: USER_RECORD_NAMESPACE, labels: { [USER_LABEL]: record.name } },
    data: { user: record.name, createdAt: record.createdAt, notAfter: record.notAfter, 'client.crt': record.certificate },
  };
}

/** A CertificateSigningRequest for a client certificate of the cluster's CA. */
export function clientCsrObject(options: { name: string; user: string; csrPem: string; expirationSeconds: number }): Named<V1CertificateSigningRequest> {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: options.name, labels: { [USER_LABEL]: options.user } },
    spec: {
      request: Buffer.from(options.csrPem, 'utf8').toString('base64'),
      signerName: CLIENT_SIGNER,
      expirationSeconds: options.expirationSeconds,
      usages: ['digital signature', 'key encipherment', 'client auth'],
    },
  };
}

/** A self-contained kubeconfig for one user (certificates embedded, as Azure Stack Edge's New-HcsKubernetesUser prints it). */
export function renderUserKubeconfig(options: { user: string; server: string; caPem?: string | undefined; certPem: string; keyPem: string; clusterName: string }): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const context = `${options.user}@${options.clusterName}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${options.clusterName}`,
    '  cluster:',
    `    server: ${options.server}`,
    // no CA in the admin kubeconfig: the server's certificate is checked against the system's roots
    ...(options.caPem === undefined ? [] : [`    certificate-authority-data: ${b64(options.caPem)}`]),
    'users:',
    `- name: ${options.user}`,
    '  user:',
    `    client-certificate-data: ${b64(options.certPem)}`,
    `    client-key-data: ${b64(options.keyPem)}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    `    cluster: ${options.clusterName}`,
    `    user: ${options.user}`,
    `current-context: ${context}`,
    '',
  ].join('\n');
}
