import { Option, type Command } from 'commander';

/**
 * The cluster area's second entry (docs/architecture-rules.md): what the CLI needs to *declare* its
 * commands — option helpers and the rules of option values — without loading the Kubernetes
 * client, so a command that never talks to a cluster (`edgemu hub`, `edgemu twin`, …) does not pay
 * for it. Only light files (no @kubernetes/client-node, no execa) may be exported from here.
 */
export { CLUSTER_NAME_RULE, CLUSTER_NAME_HINT, isValidClusterName } from './cluster-name.js';
export { DEFAULT_SERVICE_IPS } from './service-ip-range.js';
export type { BinaryProgress } from './ensure-binaries.js';

/** Adds `--kubeconfig <path>` and `--context <name>` to a command (options `kubeconfig`, `context`). */
export function addKubeOptions(command: Command): Command {
  return command
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file of the cluster to use (default: a running `edgemu cluster`, else $KUBECONFIG or ~/.kube/config)').env('EDGEMU_KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context to use (default: its current context)'));
}
