/**
 * Names for `edgemu cluster namespace|user` (docs/cluster-users.md). Pure: table-tested.
 *
 * Azure Stack Edge applies Kubernetes' naming rules to both (learn.microsoft.com,
 * azure-stack-edge-gpu-create-kubernetes-cluster, "Configure cluster access via RBAC"); edgemu
 * uses the stricter RFC 1123 label (kubernetes.io/docs/concepts/overview/working-with-objects/names,
 * "DNS Label Names") because a namespace must be one and the user name becomes a Role's name suffix.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_LABEL_MAX = 63;
export const DNS_LABEL_HINT = 'use 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit (a DNS label, RFC 1123)';

/** Why `name` is not a DNS label, or undefined when it is one. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > DNS_LABEL_MAX) return `it has ${name.length} characters (at most ${DNS_LABEL_MAX})`;
  if (!DNS_LABEL.test(name)) return 'it has characters other than lowercase letters, digits and "-", or starts or ends with "-"';
  return undefined;
}

/**
 * Namespaces nobody creates, deletes or (except `iotedge`) grants with these commands: Azure Stack
 * Edge's reserved system namespaces and the ones reserved for its deployment types
 * (learn.microsoft.com, azure-stack-edge-gpu-kubernetes-rbac, "Namespaces types" and the caveats
 * of "Kubernetes RBAC on Azure Stack Edge Pro"), plus the ones the local cluster itself uses
 * (docs/cluster.md "What runs").
 */
export const RESERVED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'default',
  'metallb-system',
  'dbe-namespace',
  'kubernetes-dashboard',
  'iotedge',
  'azure-arc',
  'local-path-storage',
];

/**
 * A reserved namespace that can still be granted: the IoT Edge namespace, where Azure Stack Edge's
 * modules run (`kubectl get pods -n iotedge`, docs/cluster-users.md).
 */
export const GRANTABLE_RESERVED_NAMESPACES: readonly string[] = ['iotedge'];

/**
 * User names that are taken: `aseuser` is Azure Stack Edge's default IoT Edge user
 * (azure-stack-edge-gpu-create-kubernetes-cluster), `edgemu-admin` the local cluster's admin
 * certificate (runtime/cluster/pki.ts), `admin` and `kubernetes-admin` the admin names of kind
 * and kubeadm clusters.
 */
export const RESERVED_USERS: readonly string[] = ['aseuser', 'edgemu-admin', 'admin', 'kubernetes-admin'];
