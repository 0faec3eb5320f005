import { EdgemuError } from '../../errors.js';

/** A Kubernetes object as the agent handles it: plain JSON with apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: Date | string;
    deletionTimestamp?: Date | string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** A running watch; `stop` ends it (no more callbacks). */
export interface WatchHandle {
  stop(): void;
}

/**
 * The narrow Kubernetes port the agent needs (kubernetes.io/docs/reference/using-api/server-side-apply: apply, list by selector,
 * delete, watch). The client-node adapter implements it against a real API server; nothing
 * else in the agent touches client-node's generated surface.
 */
export interface KubeApi {
  /** Server-side apply (field manager `edgemu`, force: take ownership back from manual edits). */
  apply(object: KubeObject, signal?: AbortSignal): Promise<KubeObject>;
  /** Objects of one kind in a namespace, selected by labels. */
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<KubeObject[]>;
  /** Like `list`, with the list's resourceVersion to start a watch from (K8s "list then watch"); namespace `''` = every namespace. */
  listWithVersion(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<{ items: KubeObject[]; resourceVersion: string | undefined }>;
  /**
   * Watches objects of one kind from `resourceVersion` (ADDED/MODIFIED/DELETED; BOOKMARKs carry a
   * newer resourceVersion), in one namespace or, with namespace `''`, in every namespace. `onEnd` is called once when the watch ends other than by `stop()`.
   */
  watch(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string,
    resourceVersion: string | undefined,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<WatchHandle>;
  /** Deletes one object (background propagation); a missing object is not an error. */
  delete(apiVersion: string, kind: string, namespace: string, name: string, signal?: AbortSignal): Promise<void>;
  /**
   * JSON merge patch of one object under its own field manager (RFC 7386; kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch):
   * for fields the agent's server-side apply does not own (such as a restart annotation), so the
   * next apply keeps them.
   */
  mergePatch(apiVersion: string, kind: string, namespace: string, name: string, patch: Record<string, unknown>, fieldManager: string): Promise<KubeObject>;
  /**
   * A container's log as the API server gives it (`GET …/pods/<pod>/log`,
   * kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#read-log-of-the-specified-pod):
   * each line prefixed with its RFC 3339 timestamp, at most `limitBytes` bytes.
   */
  readPodLog(namespace: string, pod: string, container: string, options: PodLogOptions): Promise<string>;
}

/** Which part of a container's log to read (the log API's query parameters). */
export interface PodLogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  limitBytes?: number;
}

/** An API request the server refused (4xx other than 408/429): the request itself is wrong. */
export class KubeApiError extends EdgemuError {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, cause?: unknown) {
    super('AGENT_KUBE_API', message, { cause, details: { status } });
    this.status = status;
  }
}
