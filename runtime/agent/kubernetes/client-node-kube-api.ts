import { CoreV1Api, KubernetesObjectApi, PatchStrategy, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describeError } from '../../errors.js';
import { FIELD_MANAGER } from '../../translate/index.js';
import { EnvironmentUnavailableError } from '../plan-runner.js';
import { PooledKubeConfig } from './pooled-kube-config.js';
import { KubeApiError, type KubeApi, type KubeObject, type PodLogOptions, type WatchEventType, type WatchHandle } from './kube-api.js';

/** Network-level failure codes that mean "the API server cannot be reached right now". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Turns whatever client-node threw into the agent's error vocabulary: unreachable server,
 * timeouts, 429 and 5xx → EnvironmentUnavailableError (retry the pass with back-off, not the
 * command's fault); other HTTP errors → KubeApiError with the status and the server's message.
 */
export function classifyKubeError(error: unknown, what: string): Error {
  const e = error as { code?: unknown; statusCode?: unknown; body?: unknown; type?: string; errno?: string; cause?: { code?: string } };
  const netCode = typeof e?.code === 'string' ? e.code : (e?.errno ?? e?.cause?.code);
  if (netCode && UNREACHABLE.has(netCode)) return new EnvironmentUnavailableError(`${what}: Kubernetes API unreachable (${netCode})`, error);
  if (e?.type === 'system' || e?.type === 'request-timeout') return new EnvironmentUnavailableError(`${what}: Kubernetes API unreachable (${describeError(error)})`, error);
  // client-node's API calls carry the HTTP status in `code`; its Watch, in `statusCode`.
  const status = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) {
    const message = serverMessage(e.body) ?? describeError(error);
    if (status === 429 || status === 408 || status >= 500) return new EnvironmentUnavailableError(`${what}: Kubernetes API answered ${status}: ${message}`, error);
    return new KubeApiError(`${what}: Kubernetes API answered ${status}: ${message}`, status, error);
  }
  return new KubeApiError(`${what}: ${describeError(error)}`, undefined, error);
}

function serverMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      return parsed.message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return undefined;
}

const pluralOf = (kind: string): string => {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
};

/**
 * The KubeApi port on @kubernetes/client-node 1.4 (object-parameter era; `KubernetesObjectApi`
 * for generic apply/list/delete, `Watch` for pods). Server-side apply always uses field manager
 * `edgemu` with force (K8s API "Server-Side Apply": force transfers conflicting field ownership).
 */
export interface ClientNodeKubeApiOptions {
  /** A request without an answer after this long counts as an unreachable API server (default 15 s). */
  requestTimeoutMs?: number;
  /** Watches are closed by the server after this long and re-listed (`timeoutSeconds`; default 60 s). */
  watchTimeoutSeconds?: number;
}

/**
 * Bounds a request in time: client-node 1.4 has no default timeout, so an API server that accepts
 * connections but never answers (overloaded, frozen) would hang the agent's pass forever.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnvironmentUnavailableError(`${what}: Kubernetes API did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class ClientNodeKubeApi implements KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;
  private readonly requestTimeoutMs: number;
  private readonly watchTimeoutSeconds: number;

  constructor(kubeConfig: KubeConfig, options: ClientNodeKubeApiOptions = {}) {
    // API calls share keep-alive connections (pooled-kube-config.ts); watches are long-lived and keep their own.
    const pooled = PooledKubeConfig.from(kubeConfig);
    this.objects = KubernetesObjectApi.makeApiClient(pooled);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kubeConfig);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 60;
  }

  async apply(object: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    signal?.throwIfAborted();
    const what = `apply ${object.kind}/${object.metadata?.name}`;
    // SSA bodies must not carry server-populated fields; managedFields/resourceVersion are never set by the mappers.
    try {
      return (await withTimeout(this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply), this.requestTimeoutMs, what)) as KubeObject;
    } catch (error) {
      throw classifyKubeError(error, what);
    }
  }

  async list(apiVersion: string, kind: string, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<KubeObject[]> {
    signal?.throwIfAborted();
    try {
      const result = await withTimeout(this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector), this.requestTimeoutMs, `list ${kind}`);
      return (result.items ?? []) as KubeObject[];
    } catch (error) {
      const classified = classifyKubeError(error, `list ${kind}`);
      // A namespace that does not exist yet simply has nothing in it.
      if (classified instanceof KubeApiError && classified.status === 404) return [];
      throw classified;
    }
  }

  async listWithVersion(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<{ items: KubeObject[]; resourceVersion: string | undefined }> {
    try {
      const result = await withTimeout(this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector), this.requestTimeoutMs, `list ${kind}`);
      return { items: (result.items ?? []) as KubeObject[], resourceVersion: result.metadata?.resourceVersion };
    } catch (error) {
      throw classifyKubeError(error, `list ${kind}`);
    }
  }

  async watch(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string,
    resourceVersion: string | undefined,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    // namespace '' watches every namespace (kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris)
    const scope = namespace === '' ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    return this.watchPath(`${base}${scope}/${pluralOf(kind)}`, { labelSelector, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeoutSeconds, ...(resourceVersion ? { resourceVersion } : {}) }, onEvent, onEnd);
  }

  async delete(apiVersion: string, kind: string, namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await withTimeout(this.objects.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background'), this.requestTimeoutMs, `delete ${kind}/${name}`);
    } catch (error) {
      const classified = classifyKubeError(error, `delete ${kind}/${name}`);
      if (classified instanceof KubeApiError && classified.status === 404) return;
      throw classified;
    }
  }

  async mergePatch(apiVersion: string, kind: string, namespace: string, name: string, patch: Record<string, unknown>, fieldManager: string): Promise<KubeObject> {
    const what = `patch ${kind}/${name}`;
    try {
      const body = { ...patch, apiVersion, kind, metadata: { ...((patch.metadata as object | undefined) ?? {}), name, namespace } };
      return (await withTimeout(this.objects.patch(body as KubernetesObject, undefined, undefined, fieldManager, undefined, PatchStrategy.MergePatch), this.requestTimeoutMs, what)) as KubeObject;
    } catch (error) {
      throw classifyKubeError(error, what);
    }
  }

  async readPodLog(namespace: string, pod: string, container: string, options: PodLogOptions): Promise<string> {
    const what = `read the log of pod ${pod}`;
    try {
      return await withTimeout(
        this.core.readNamespacedPodLog({
          name: pod,
          namespace,
          container,
          timestamps: true,
          ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
          ...(options.sinceSeconds !== undefined ? { sinceSeconds: options.sinceSeconds } : {}),
          ...(options.previous ? { previous: true } : {}),
          ...(options.limitBytes !== undefined ? { limitBytes: options.limitBytes } : {}),
        }),
        this.requestTimeoutMs,
        what,
      );
    } catch (error) {
      throw classifyKubeError(error, what);
    }
  }

  private async watchPath(
    path: string,
    query: Record<string, string | boolean | number>,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    let stopped = false;
    let ended = false;
    let controller: AbortController | undefined;
    // A frozen server never closes the stream: give up a little after the server should have.
    const guard = setTimeout(() => {
      controller?.abort();
      end(new EnvironmentUnavailableError(`watch ${path}: no end from the Kubernetes API after ${this.watchTimeoutSeconds} s`));
    }, (this.watchTimeoutSeconds + 15) * 1000);
    guard.unref();
    const end = (error?: unknown) => {
      clearTimeout(guard);
      if (stopped || ended) return;
      ended = true;
      onEnd(error);
    };
    try {
      controller = await withTimeout(
        this.watcher.watch(
          path,
          query,
          (type, obj) => {
            if (!stopped && !ended) onEvent(type as WatchEventType, obj as KubeObject);
          },
          (error) => end(error ? classifyKubeError(error, `watch ${path}`) : undefined),
        ),
        this.requestTimeoutMs,
        `watch ${path}`,
      );
      const started = controller;
      return {
        stop: () => {
          stopped = true;
          clearTimeout(guard);
          started.abort();
        },
      };
    } catch (error) {
      clearTimeout(guard);
      throw error instanceof EnvironmentUnavailableError ? error : classifyKubeError(error, `watch ${path}`);
    }
  }
}
