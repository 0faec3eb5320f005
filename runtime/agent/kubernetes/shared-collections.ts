import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { describeError } from '../../errors.js';
import type { KubeApi, KubeObject } from './kube-api.js';
import { WatchedCollection } from './watched-collection.js';

/** One agent's view of a shared collection: the objects of its namespace that carry its labels. */
export interface CollectionView {
  /** True while the shared copy mirrors the server. */
  readonly ready: boolean;
  snapshot(): KubeObject[];
  /** Records an object this agent just wrote (see `WatchedCollection.upsert`). */
  upsert(object: KubeObject): void;
  remove(name: string): void;
  /** Ends this view; the shared watch ends with its last view. */
  stop(): void;
}

export interface SharedCollectionsOptions {
  kube: KubeApi;
  clock: Clock;
  logger: Logger;
  /** The namespace the watches cover; `''` (the default) = every namespace. */
  namespace?: string;
  /** The label selector of every watch: what all views have in common (e.g. `app.kubernetes.io/managed-by=edgemu`). */
  selector: string;
}

interface View {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  onChange: (reason: string) => void;
  /** The collection that serves the view now (the shared one, or its namespace's after a fallback). */
  shared: Shared;
}

interface Shared {
  key: string;
  collection: WatchedCollection;
  views: Set<View>;
}

/**
 * One list-then-watch per kind for every agent of the process, instead of one per agent and kind
 * (the shared informer of client-go's `SharedInformerFactory`,
 * kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes): each
 * agent gets a view filtered to its namespace and device labels, and is woken only by changes in
 * its namespace (a relist or a failed watch wakes every view). The number of watch connections to
 * the API server is then the number of kinds, whatever the number of devices.
 *
 * A user that may not list a kind in every namespace (RBAC granted per namespace, as with
 * `edgemu up --cluster current` on a shared cluster; kubernetes.io/docs/reference/access-authn-authz/rbac)
 * gets 403 Forbidden on the cluster-wide list. Then that kind falls back, once and for the rest of
 * the run, to one list-then-watch per namespace — still shared by the views of one namespace — and
 * says so in the log (docs/agent.md "Many devices").
 */
export class SharedCollections {
  private readonly shared = new Map<string, Shared>();
  /** Kinds (`apiVersion/kind`) the cluster-wide list was refused for: watched per namespace. */
  private readonly perNamespace = new Set<string>();
  private watchesStartedByClosed = 0;

  constructor(private readonly options: SharedCollectionsOptions) {}

  /** Watch connections open now (one per kind with at least one view whose watch is up; one per namespace and kind after a fallback). */
  get activeWatches(): number {
    return [...this.shared.values()].filter((s) => s.collection.ready).length;
  }

  /** Watch requests made since start, over every kind (relists included). */
  get watchesStarted(): number {
    return [...this.shared.values()].reduce((n, s) => n + s.collection.watchesStarted, this.watchesStartedByClosed);
  }

  /** Kinds watched per namespace because the cluster-wide list was forbidden (`apps/v1/Deployment`, `v1/Pod`). */
  get fallenBack(): string[] {
    return [...this.perNamespace].sort();
  }

  /** Opens a view of `kind` for the objects of `namespace` whose labels include all of `labels`; its first view starts the shared watch. */
  view(apiVersion: string, kind: string, namespace: string, labels: Readonly<Record<string, string>>, onChange: (reason: string) => void): CollectionView {
    const view = { namespace, labels, onChange } as View;
    this.attach(view, apiVersion, kind);
    let stopped = false;
    return {
      get ready() {
        return !stopped && view.shared.collection.ready;
      },
      snapshot: () => view.shared.collection.snapshot(namespace).filter((o) => hasLabels(o, labels)),
      upsert: (object) => view.shared.collection.upsert({ ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? namespace } }),
      remove: (name) => view.shared.collection.remove(name, namespace),
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.detach(view);
      },
    };
  }

  /** Ends every shared watch. */
  stop(): void {
    for (const s of [...this.shared.values()]) this.close(s);
  }

  /** Puts the view on the collection that serves its kind (and, after a fallback, its namespace), starting it if it is the first. */
  private attach(view: View, apiVersion: string, kind: string): void {
    const kindKey = `${apiVersion}/${kind}`;
    const cluster = (this.options.namespace ?? '') === '';
    const own = this.perNamespace.has(kindKey);
    const key = own ? `${kindKey} ${view.namespace}` : kindKey;
    let shared = this.shared.get(key);
    if (!shared) {
      const { kube, clock, logger, selector } = this.options;
      const views = new Set<View>();
      const namespace = own ? view.namespace : (this.options.namespace ?? '');
      const onForbidden = cluster && !own ? (error: Error) => this.fallBack(kindKey, apiVersion, kind, error) : undefined;
      const collection = new WatchedCollection(kube, apiVersion, kind, namespace, selector, (reason, ns) => this.fanOut(views, reason, ns), clock, logger, onForbidden);
      shared = { key, collection, views };
      this.shared.set(key, shared);
      collection.start();
    }
    shared.views.add(view);
    view.shared = shared;
  }

  private detach(view: View): void {
    const shared = view.shared;
    shared.views.delete(view);
    if (shared.views.size === 0 && this.shared.get(shared.key) === shared) this.close(shared);
  }

  private close(shared: Shared): void {
    this.watchesStartedByClosed += shared.collection.watchesStarted;
    shared.collection.stop();
    this.shared.delete(shared.key);
  }

  /** The cluster-wide list of a kind was forbidden: every view of it moves to a list-then-watch of its own namespace. */
  private fallBack(kindKey: string, apiVersion: string, kind: string, error: Error): void {
    const shared = this.shared.get(kindKey);
    if (!shared || this.perNamespace.has(kindKey)) return;
    this.perNamespace.add(kindKey);
    this.close(shared);
    this.options.logger.warn(
      { kind, err: describeError(error) },
      `may not list ${kind} objects in every namespace (403 Forbidden): watching each device's namespace on its own instead, one watch per device namespace for ${kind}`,
    );
    for (const view of [...shared.views]) this.attach(view, apiVersion, kind);
  }

  private fanOut(views: ReadonlySet<View>, reason: string, namespace: string | undefined): void {
    for (const v of [...views]) if (namespace === undefined || v.namespace === namespace) v.onChange(reason);
  }
}

/** True when the object carries every label of `labels` with the same value (an equality label selector). */
export function hasLabels(object: KubeObject, labels: Readonly<Record<string, string>>): boolean {
  const have = object.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(labels)) if (have[k] !== v) return false;
  return true;
}
