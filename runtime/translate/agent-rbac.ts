import type { V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { ASE_AGENT_NAME } from './layout.js';

/**
 * What the edge agent may do in its namespace. The IoT Edge Helm chart's `edgeagent` Role
 * (Azure/iotedge branch 1.1-k8s-preview, kubernetes/charts/edge-kubernetes/templates/edge-rbac.yaml:
 * pods and pods/log, services, deployments, secrets and serviceaccounts, persistentvolumeclaims)
 * plus what edgemu's agent also does there: configmaps (the hub CA), endpointslices (`edgehub`
 * points at the host's hub), events (support bundle), its own RBAC objects, `get`/`patch` for
 * server-side apply and `watch` for its watches. The chart's `edgedeployments` custom resource has
 * no counterpart: edgemu's agent applies the objects itself.
 */
export const AGENT_RBAC_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['services', 'secrets', 'serviceaccounts', 'configmaps', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
];

/**
 * The edge agent's ServiceAccount, Role and RoleBinding (all named `edgeagent`, as the Helm
 * chart names them) in a namespace. The ServiceAccount mounts no token by default: edgemu's agent
 * runs in the edgemu process, not in a pod (docs/azure-stack-edge.md "RBAC"). Pure.
 */
export function agentRbacObjects(namespace: string, labels: Readonly<Record<string, string>>): [V1ServiceAccount, V1Role, V1RoleBinding] {
  const metadata = () => ({ name: ASE_AGENT_NAME, namespace, labels: { ...labels } });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(), automountServiceAccountToken: false },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: metadata(), rules: AGENT_RBAC_RULES.map((r) => structuredClone(r)) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ASE_AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: ASE_AGENT_NAME, namespace }],
    },
  ];
}
