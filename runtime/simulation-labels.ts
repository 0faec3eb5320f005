/**
 * Opt-in failure simulation for pods on a local (KWOK) cluster: put the label on a pod (or a
 * Deployment's pod template) to make its containers crash or the pod fail. Implemented by the
 * stages in runtime/cluster/stages/edgemu-simulate.yaml; set by the translate area from a module's
 * labels. A shared file of runtime/ (docs/architecture-rules.md), so translating a manifest does
 * not load the cluster area and its Kubernetes client.
 */
export const SIMULATE_LABEL = 'edgemu.io/simulate';
/** Pod annotation: the exit code a simulated crash or failure reports (integer, default 1). */
export const EXIT_CODE_ANNOTATION = 'edgemu.io/exit-code';
