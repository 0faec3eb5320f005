// Public API of the cluster area (docs/cluster.md "Programmatic API"): binaries, local clusters, kind, kubeconfig helpers.
export { ClusterError, type ClusterErrorCode } from './cluster-errors.js';
export { CLUSTER_NAME_RULE, CLUSTER_NAME_HINT, isValidClusterName } from './cluster-name.js';
export { cacheRoot, componentDir } from './cache-dir.js';
export { DEFAULT_VERSIONS, FALLBACK_KUBERNETES, WIRED_KUBERNETES_VERSIONS, kubernetesComponents, versionsFromEnv, withKubernetes, type ControlPlaneVersions, type ComponentName } from './versions.js';
export { ensureBinaries, type BinaryProgress, type ControlPlaneBinaries, type EnsureBinariesOptions, type EnsureResult } from './ensure-binaries.js';
export {
  startLocalCluster,
  stopLocalCluster,
  killLocalClusterSync,
  checkHealth,
  readClusterState,
  clusterDir,
  DEFAULT_CLUSTER_NAME,
  type LocalClusterState,
  type LocalClusterHealth,
  type StartLocalClusterOptions,
  type StartResult,
  type StopResult,
  type ClusterProcess,
} from './local-cluster.js';
export { SIMULATE_LABEL, EXIT_CODE_ANNOTATION, SIMULATE_MODES, type SimulateMode } from './kwok-config.js';
export { loadKubeConfig, resolveKubeTarget, type KubeTarget } from './kube-config.js';
export { addKubeOptions } from './cli-options.js';
export { freePort, isPortFree } from './free-port.js';
export { readClusterNodeInfo, nodeInfoPath, type ClusterNodeInfo, type RealNodeInfo, type SimulatedNodeInfo } from './node-info.js';
export { NODE_POOL_LABEL, SIMULATED_TAINT, CONTAINERD_NAMESPACE, type NodePool } from './node-config.js';
export { teardownRealNode } from './real-node.js';
export type { NodesRequest } from './node-preflight.js';
export { clusterUp, clusterDown, clusterStatus, clusterKubeconfig, clusterUpgrade, PROVIDERS, type ProviderName, type ClusterSummary, type ClusterCommonOptions, type ClusterStatusReport } from './cluster-manager.js';
export { prepareNodeHost } from './node-host.js';
export {
  createUserNamespace,
  deleteUserNamespace,
  createClusterUser,
  grantNamespaceAccess,
  listClusterUsers,
  deleteClusterUser,
  resolveUserAccess,
  userKubeconfigPath,
  type CreatedUser,
  type ClusterUserInfo,
  type UserFilesOptions,
} from './cluster-users.js';
export { DNS_LABEL_HINT, RESERVED_NAMESPACES, RESERVED_USERS } from './access-names.js';
export { createShare, deleteShare, listShares, type ShareInfo } from './cluster-shares.js';
export { SHARE_STORAGE_CLASS } from './share-objects.js';
export { ASE_STORAGE_CLASS } from './storage-objects.js';
export { DEFAULT_SERVICE_IPS, parseIpRange, allocateServiceIps, type IpRange } from './service-ip-range.js';
export { reconcileLoadBalancers, runLoadBalancerController } from './load-balancer-controller.js';
export { upgradeLocalCluster, type UpgradeLocalClusterOptions, type UpgradeResult } from './cluster-upgrade.js';
export { decideUpgrade, upgradePlan, rollbackSteps, type UpgradeDecision, type UpgradeStep } from './upgrade-policy.js';
