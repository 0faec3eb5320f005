/**
 * The rule for local cluster names, on its own so the CLI can check `--name` while parsing
 * (a usage error, exit 2) without loading the cluster code. Names become directory names under
 * `<state-dir>/clusters/` and kubeconfig context names (`edgemu-<name>`), so no `/` or `..`.
 */
export const CLUSTER_NAME_RULE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** What a valid name looks like, for error messages. */
export const CLUSTER_NAME_HINT = "use 1-40 lowercase letters, digits and '-', starting and ending with a letter or digit";

export const isValidClusterName = (name: string): boolean => CLUSTER_NAME_RULE.test(name);
