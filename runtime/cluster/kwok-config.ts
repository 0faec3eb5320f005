import { fileURLToPath } from 'node:url';
import { NODE_POOL_LABEL, SIMULATED_TAINT } from './node-config.js';

// The simulation label and annotation are defined in runtime/simulation-labels.ts (shared with the
// translate area, which must not load the cluster area and its Kubernetes client).
export { SIMULATE_LABEL, EXIT_CODE_ANNOTATION } from '../simulation-labels.js';
export type SimulateMode = 'crash-loop' | 'crash-once' | 'fail';
export const SIMULATE_MODES: readonly SimulateMode[] = ['crash-loop', 'crash-once', 'fail'];

/** edgemu's own stage file, shipped in the repo next to this module. */
export const EDGEMU_STAGE_FILE = fileURLToPath(new URL('./stages/edgemu-simulate.yaml', import.meta.url));

/**
 * The `--config` file for `kwok`: every Stage document (kwok.sigs.k8s.io "Stages": v0.8.0 has no built-in
 * stages and exits with "no stages found" without them). Options stay on the command line: a
 * KwokConfiguration document here would zero the defaults it does not set (an empty `options`
 * makes kwok exit with "node leases parallelism must be greater than 0").
 */
export function renderKwokConfig(stageTexts: readonly string[]): string {
  const docs = stageTexts.map((t) => t.replace(/^---\s*\n/, '').trimEnd()).filter((t) => t !== '');
  return `${docs.join('\n---\n')}\n`;
}

/**
 * A fake Node KWOK manages, in the simulated pool. Untainted when it is the only pool (plain
 * pods schedule on it); tainted `edgemu.io/node-pool=simulated:NoSchedule` next to a real node,
 * so only pods that tolerate the taint (the agent places them) land here.
 */
export function fakeNode(name: string, options: { tainted?: boolean } = {}): Record<string, unknown> {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', [NODE_POOL_LABEL]: 'simulated' },
    },
    ...(options.tainted === true ? { spec: { taints: [{ ...SIMULATED_TAINT }] } } : {}),
    status: { allocatable: resources, capacity: resources, phase: 'Running' },
  };
}
