import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { describeError } from '../../errors.js';
import { KubeApiError, type KubeApi, type KubeObject, type WatchHandle } from './kube-api.js';

/** Orders two resourceVersions when both are etcd revisions (numeric); otherwise "newer" is assumed. */
export function isNewerOrSame(candidate: string | undefined, current: string | undefined): boolean {
  if (!candidate || !current || !/^\d+$/.test(candidate) || !/^\d+$/.test(current)) return true;
  return BigInt(candidate) >= BigInt(current);
}

/**
 * The object without `metadata.managedFields`: server-side apply's bookkeeping of who set which
 * field (kubernetes.io/docs/reference/using-api/server-side-apply/#field-management), often the
 * largest part of an object, which the agent never reads. Dropped from the cached copies as
 * client-go's informers do (`cache.TransformStripManagedFields`, k8s.io/client-go/tools/cache).
 */
export function withoutManagedFields(object: KubeObject): KubeObject {
  if (object.metadata?.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * A local copy of one kind's objects in a namespace (or, with namespace `''`, in every
 * namespace), kept current by list-then-watch (the informer pattern of client-go and
 * controller-runtime's cached client): reads cost nothing and every change calls `onChange` with
 * the namespace it happened in, so the agent is level-triggered by watch events instead of
 * polling. When the watch ends or fails the copy is marked not ready (readers then list
 * directly) and is rebuilt with capped back-off. The agent's own writes go through `upsert` /
 * `remove` so the next pass does not see its previous pass's state.
 */
export class WatchedCollection {
  /** Objects by namespace, then name. */
  private readonly items = new Map<string, Map<string, KubeObject>>();
  private healthy = false;
  /** Watch requests made so far (each is one long-running connection to the API server while it lasts). */
  watchesStarted = 0;
  private stopped = false;
  private handle: WatchHandle | undefined;
  private readonly stopController = new AbortController();

  constructor(
    private readonly kube: KubeApi,
    private readonly apiVersion: string,
    private readonly kind: string,
    private readonly namespace: string,
    private readonly selector: string,
    /** `namespace` is the event's namespace; undefined for a (re)list or a failure, which concern every namespace. */
    private readonly onChange: (reason: string, namespace?: string) => void,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /**
     * Called instead of retrying when the API server refuses the list or watch with 403 Forbidden
     * (RBAC: the user may not list this kind here); the collection then stops. Absent: a 403 is
     * retried with back-off like any failure.
     */
    private readonly onForbidden?: (error: KubeApiError) => void,
  ) {}

  /** True while the copy mirrors the server (listed, watch running). */
  get ready(): boolean {
    return this.healthy && !this.stopped;
  }

  /** The objects of one namespace, or of all of them. */
  snapshot(namespace?: string): KubeObject[] {
    if (namespace !== undefined) return [...(this.items.get(namespace)?.values() ?? [])];
    return [...this.items.values()].flatMap((byName) => [...byName.values()]);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.healthy = false;
    this.stopController.abort();
    this.handle?.stop();
  }

  /** Records an object the agent just wrote (the API server's answer), unless the copy already has a newer one. */
  upsert(written: KubeObject): void {
    const object = withoutManagedFields(written);
    const name = object.metadata?.name;
    if (!name) return;
    const namespace = object.metadata?.namespace ?? this.namespace;
    let byName = this.items.get(namespace);
    if (!byName) this.items.set(namespace, (byName = new Map()));
    const have = byName.get(name);
    if (!have || isNewerOrSame(object.metadata?.resourceVersion as string | undefined, have.metadata?.resourceVersion as string | undefined)) byName.set(name, object);
  }

  remove(name: string, namespace: string = this.namespace): void {
    const byName = this.items.get(namespace);
    byName?.delete(name);
    if (byName?.size === 0) this.items.delete(namespace);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const { items, resourceVersion } = await this.kube.listWithVersion(this.apiVersion, this.kind, this.namespace, this.selector);
        if (this.stopped) return;
        this.items.clear();
        for (const o of items) this.upsert(o);
        this.watchesStarted += 1;
        const ended = new Promise<unknown>((resolve) => {
          this.kube
            .watch(this.apiVersion, this.kind, this.namespace, this.selector, resourceVersion, (type, object) => this.apply(type, object), resolve)
            .then((h) => {
              this.handle = h;
              if (this.stopped) h.stop();
            }, resolve);
        });
        this.healthy = true;
        failures = 0;
        this.onChange(`${this.kind} list`);
        const error = await ended;
        this.healthy = false;
        this.handle = undefined;
        if (this.stopped) return;
        if (error) throw error;
        this.logger.debug({ kind: this.kind }, 'watch closed by the server; listing again');
      } catch (error) {
        this.healthy = false;
        if (this.stopped) return;
        if (this.onForbidden && error instanceof KubeApiError && error.status === 403) {
          this.stop();
          this.onForbidden(error);
          return;
        }
        failures += 1;
        const delay = Math.min(250 * 2 ** Math.min(failures - 1, 7), 15_000);
        this.logger.debug({ kind: this.kind, err: describeError(error), retryInMs: delay }, 'watch failed');
        this.onChange(`${this.kind} watch failed`);
        try {
          await this.clock.sleep(delay, this.stopController.signal);
        } catch {
          return;
        }
      }
    }
  }

  private apply(type: string, object: KubeObject): void {
    const name = object.metadata?.name;
    if (type === 'ERROR' || !name) {
      // An ERROR event (e.g. 410 Gone: resourceVersion too old) is followed by the end of the stream; relist then.
      if (type === 'ERROR') this.healthy = false;
      return;
    }
    if (type === 'BOOKMARK') return;
    const namespace = object.metadata?.namespace ?? this.namespace;
    if (type === 'DELETED') this.remove(name, namespace);
    else this.upsert(object);
    this.onChange(`${this.kind} ${name} ${type}`, namespace);
  }
}
