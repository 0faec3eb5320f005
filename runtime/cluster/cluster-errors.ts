import { EdgemuError } from '../errors.js';

/**
 * Failures of the cluster area. Each has a stable `code` so the CLI, the test helpers and the
 * agent can branch on it (house rule: never on message text).
 */
export type ClusterErrorCode =
  | 'BINARY_BUILD_FAILED'
  | 'BINARY_MISSING'
  | 'BINARY_CORRUPT'
  | 'GO_MISSING'
  | 'TOOL_MISSING'
  | 'PORT_IN_USE'
  | 'CLUSTER_START_FAILED'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_BUSY'
  | 'KIND_UNAVAILABLE'
  | 'KIND_FAILED'
  | 'KUBECONFIG_INVALID'
  | 'VERSION_INVALID'
  | 'NODE_UNAVAILABLE'
  // `edgemu cluster namespace|user` (docs/cluster-users.md)
  | 'NAME_INVALID'
  | 'NAMESPACE_RESERVED'
  | 'NAMESPACE_EXISTS'
  | 'NAMESPACE_NOT_FOUND'
  | 'NAMESPACE_NOT_MANAGED'
  | 'USER_RESERVED'
  | 'USER_EXISTS'
  | 'USER_NOT_FOUND'
  | 'CERTIFICATE_NOT_ISSUED'
  | 'KUBE_API_FAILED'
  // `edgemu cluster share`
  | 'PATH_INVALID'
  | 'SHARE_EXISTS'
  | 'SHARE_NOT_FOUND'
  | 'SHARE_IN_USE'
  // LoadBalancer IPs (`--service-ips`)
  | 'SERVICE_IPS_INVALID'
  | 'SERVICE_IPS_OVERLAP'
  // `edgemu cluster upgrade` (docs/cluster.md "Upgrading")
  | 'CLUSTER_NOT_RUNNING'
  | 'VERSION_UNKNOWN'
  | 'UPGRADE_DOWNGRADE'
  | 'UPGRADE_SKIPS_MINOR'
  | 'UPGRADE_UNSUPPORTED'
  | 'UPGRADE_FAILED';

export class ClusterError extends EdgemuError {
  declare readonly code: ClusterErrorCode;

  constructor(code: ClusterErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }

  override get name(): string {
    return 'ClusterError';
  }
}
