import { KubernetesObjectApi, PatchStrategy, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describeError } from '../../errors.js';
import { FIELD_MANAGER } from '../../translate/labels.js';
import { EnvironmentUnavailableError } from '../plan-runner.js';
import { KubeApiError, type KubeApi, type KubeObject, type WatchEventType, type WatchHandle } from './kube-api.js';

/** Network-level failure codes that mean "the API server cannot be reached right now". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Turns whatever client-node threw into the agent's error vocabulary: unreachable server,
 * timeouts, 429 and 5xx → EnvironmentUnavailableError (retry the pass with back-off, not the
 * command's fault); other HTTP errors → KubeApiError with the status and the server's message.
 */
export function classifyKubeError(error: unknown, what: string): Error {
  const e = error as { code?: unknown; body?: unknown; type?: string; errno?: string; cause?: { code?: string } };
  const netCode = typeof e?.code === 'string' ? e.code : (e?.errno ?? e?.cause?.code);
  if (netCode && UNREACHABLE.has(netCode)) return new EnvironmentUnavailableError(`${what}: Kubernetes API unreachable (${netCode})`, error);
  if (e?.type === 'system' || e?.type === 'request-timeout') return new EnvironmentUnavailableError(`${what}: Kubernetes API unreachable (${describeError(error)})`, error);
  if (typeof e?.code === 'number') {
    const status = e.code;
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
export class ClientNodeKubeApi implements KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly watcher: Watch;

  constructor(kubeConfig: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.watcher = new Watch(kubeConfig);
  }

  async apply(object: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    signal?.throwIfAborted();
    const what = `apply ${object.kind}/${object.metadata?.name}`;
    // SSA bodies must not carry server-populated fields; managedFields/resourceVersion are never set by the mappers.
    try {
      return (await this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as KubeObject;
    } catch (error) {
      throw classifyKubeError(error, what);
    }
  }

  async list(apiVersion: string, kind: string, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<KubeObject[]> {
    signal?.throwIfAborted();
    try {
      const result = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
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
      const result = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
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
    return this.watchPath(`${base}/namespaces/${encodeURIComponent(namespace)}/${pluralOf(kind)}`, { labelSelector, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) }, onEvent, onEnd);
  }

  async delete(apiVersion: string, kind: string, namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await this.objects.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
    } catch (error) {
      const classified = classifyKubeError(error, `delete ${kind}/${name}`);
      if (classified instanceof KubeApiError && classified.status === 404) return;
      throw classified;
    }
  }

  private async watchPath(
    path: string,
    query: Record<string, string | boolean>,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    let stopped = false;
    let ended = false;
    const end = (error?: unknown) => {
      if (stopped || ended) return;
      ended = true;
      onEnd(error);
    };
    try {
      const controller = await this.watcher.watch(
        path,
        query,
        (type, obj) => {
          if (!stopped && !ended) onEvent(type as WatchEventType, obj as KubeObject);
        },
        (error) => end(error),
      );
      return {
        stop: () => {
          stopped = true;
          controller.abort();
        },
      };
    } catch (error) {
      throw classifyKubeError(error, `watch ${path}`);
    }
  }
}
