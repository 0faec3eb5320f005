import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kubeconfig path of the run's Kubernetes cluster (test/helpers/k8s-global-setup.ts). */
    edgemuKubeconfig: string;
    /** true: the run's own local KWOK cluster; false: EDGEMU_TEST_KUBECONFIG (no simulation stages). */
    edgemuLocalCluster: boolean;
    /** The run cluster's node pool: real (a kubelet node), simulated (KWOK only) or external. */
    edgemuNodes: 'real' | 'simulated' | 'external';
  }
}

/**
 * Shared helpers for tests in the `k8s` vitest project (test/k8s/**): the cluster the global
 * setup started (or EDGEMU_TEST_KUBECONFIG), and a fresh namespace per test.
 */
export function kubeconfigPath(): string {
  const path = inject('edgemuKubeconfig');
  if (typeof path !== 'string' || path === '') {
    throw new Error('no test cluster: run this file in the `k8s` vitest project (vitest run --project k8s)');
  }
  return path;
}

/**
 * True when the tests run on the local KWOK cluster, where the `edgemu.io/simulate` stages exist
 * (runtime/cluster/kwok-config.ts); false with EDGEMU_TEST_KUBECONFIG (any other cluster).
 */
export function isLocalTestCluster(): boolean {
  return inject('edgemuLocalCluster') === true;
}

/** A loaded client-node KubeConfig for the test cluster (new object per call). */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace (without waiting for it to finish terminating). */
  delete(): Promise<void>;
}

/**
 * Creates a uniquely named namespace `<prefix>-<random>` labelled `edgemu.io/test=true` and
 * waits until its `default` ServiceAccount exists: the ServiceAccount admission plugin rejects
 * pods in a namespace the controller-manager has not populated yet (kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin).
 */
export async function createTestNamespace(prefix: string, options: { timeoutMs?: number } = {}): Promise<TestNamespace> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const base = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'test';
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'edgemu.io/test': 'true' } } } });
  await eventually(async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  }, { timeoutMs: options.timeoutMs ?? 30_000, what: `ServiceAccount ${name}/default` });
  return {
    name,
    delete: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * Polls `probe` until it returns a truthy value (returned) or the timeout passes (throws with
 * the last error). For waiting on controllers: Kubernetes is eventually consistent.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false | null>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? last.message : last === undefined ? 'condition stayed false' : String(last);
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}: ${reason}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
