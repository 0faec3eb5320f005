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
 * The narrow Kubernetes port the agent needs (style-anchors.md §3–4: apply, list by selector,
 * delete, watch). The client-node adapter implements it against a real API server; nothing
 * else in the agent touches client-node's generated surface.
 */
export interface KubeApi {
  /** Server-side apply (field manager `edgemu`, force: take ownership back from manual edits). */
  apply(object: KubeObject, signal?: AbortSignal): Promise<KubeObject>;
  /** Objects of one kind in a namespace, selected by labels. */
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string, signal?: AbortSignal): Promise<KubeObject[]>;
  /** Deletes one object (background propagation); a missing object is not an error. */
  delete(apiVersion: string, kind: string, namespace: string, name: string, signal?: AbortSignal): Promise<void>;
  /**
   * Watches pods in a namespace by label selector. `onEvent` gets every event; `onEnd` is called
   * once when the watch ends for any reason other than `stop()` (the caller re-watches).
   */
  watchPods(namespace: string, labelSelector: string, onEvent: (type: WatchEventType, pod: KubeObject) => void, onEnd: (error?: unknown) => void): Promise<WatchHandle>;
}

/** An API request the server refused (4xx other than 408/429): the request itself is wrong. */
export class KubeApiError extends EdgemuError {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, cause?: unknown) {
    super('AGENT_KUBE_API', message, { cause, details: { status } });
    this.status = status;
  }
}
