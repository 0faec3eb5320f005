import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBinaries } from '../../runtime/cluster/ensure-binaries.js';
import { killLocalClusterSync, startLocalCluster, stopLocalCluster } from '../../runtime/cluster/local-cluster.js';

/**
 * Global setup of the `k8s` vitest project: ONE local control plane per test run (etcd,
 * kube-apiserver, controller-manager, scheduler, KWOK), shared by every test file through
 * `inject('edgemuKubeconfig')` (read it with test/helpers/k8s.ts). With EDGEMU_TEST_KUBECONFIG set,
 * that cluster is used instead and nothing is started.
 *
 * EDGEMU_TEST_NODES=real|simulated|auto picks the node pool (docs/cluster.md "--nodes"); the
 * default is `simulated` (KWOK only): a machine runs one real node at a time, and the real-node
 * tests start their own one after the other (files run one at a time): real-node.test.ts (which
 * uses this cluster instead when it is real, `edgemuNodes`) and cli/up-real-node.test.ts (`edgemu
 * up`'s own cluster, so it needs this one simulated).
 *
 * No leftovers: the returned teardown stops every process and deletes the temp dir; an `exit`
 * hook SIGKILLs the process groups if vitest dies without teardown; and a detached watchdog
 * stops them even when vitest is SIGKILLed (ownerPid).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.EDGEMU_TEST_KUBECONFIG;
  if (external !== undefined && external !== '') {
    project.provide('edgemuKubeconfig', external);
    project.provide('edgemuLocalCluster', false);
    project.provide('edgemuNodes', 'external');
    return undefined;
  }
  const nodes = process.env.EDGEMU_TEST_NODES ?? 'simulated';
  if (nodes !== 'real' && nodes !== 'simulated' && nodes !== 'auto') throw new Error(`EDGEMU_TEST_NODES must be real, simulated or auto, got "${nodes}"`);
  const log = (message: string) => process.stderr.write(`[k8s setup] ${message}\n`);
  // the cluster's own directory: the watchdog removes it too if vitest is SIGKILLed
  const dir = mkdtempSync(join(tmpdir(), 'edgemu-k8s-test-'));
  const onExit = () => killLocalClusterSync(dir);
  process.once('exit', onExit);
  try {
    const { binaries } = await ensureBinaries({
      node: nodes !== 'simulated',
      onProgress: (p) => {
        if (p.kind === 'step') log(`${p.component}: ${p.message}`);
      },
    });
    const result = await startLocalCluster({ name: 'edgemu-test', dir, binaries, ownerPid: process.pid, onProgress: log, nodePool: nodes });
    log(`local cluster ready in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.state.server})`);
    project.provide('edgemuKubeconfig', result.state.kubeconfig);
    project.provide('edgemuLocalCluster', true);
    project.provide('edgemuNodes', result.state.nodeMode ?? 'simulated');
  } catch (error) {
    onExit();
    process.removeListener('exit', onExit);
    throw error;
  }
  return async () => {
    await stopLocalCluster(dir);
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', onExit);
  };
}
