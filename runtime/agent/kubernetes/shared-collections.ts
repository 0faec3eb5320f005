import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
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
}

interface Shared {
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
 */
export class SharedCollections {
  private readonly shared = new Map<string, Shared>();
  private watchesStartedByClosed = 0;

  constructor(private readonly options: SharedCollectionsOptions) {}

  /** Watch connections open now (one per kind with at least one view whose watch is up). */
  get activeWatches(): number {
    return [...this.shared.values()].filter((s) => s.collection.ready).length;
  }

  /** Watch requests made since start, over every kind (relists included). */
  get watchesStarted(): number {
    return [...this.shared.values()].reduce((n, s) => n + s.collection.watchesStarted, this.watchesStartedByClosed);
  }

  /** Opens a view of `kind` for the objects of `namespace` whose labels include all of `labels`; its first view starts the shared watch. */
  view(apiVersion: string, kind: string, namespace: string, labels: Readonly<Record<string, string>>, onChange: (reason: string) => void): CollectionView {
    const key = `${apiVersion}/${kind}`;
    let shared = this.shared.get(key);
    if (!shared) {
      const { kube, clock, logger } = this.options;
      const views = new Set<View>();
      const collection = new WatchedCollection(kube, apiVersion, kind, this.options.namespace ?? '', this.options.selector, (reason, ns) => this.fanOut(views, reason, ns), clock, logger);
      shared = { collection, views };
      this.shared.set(key, shared);
      collection.start();
    }
    const view: View = { namespace, labels, onChange };
    shared.views.add(view);
    const { collection } = shared;
    const owned = shared;
    return {
      get ready() {
        return collection.ready;
      },
      snapshot: () => collection.snapshot(namespace).filter((o) => hasLabels(o, labels)),
      upsert: (object) => collection.upsert({ ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? namespace } }),
      remove: (name) => collection.remove(name, namespace),
      stop: () => {
        owned.views.delete(view);
        if (owned.views.size === 0 && this.shared.get(key) === owned) {
          this.watchesStartedByClosed += collection.watchesStarted;
          collection.stop();
          this.shared.delete(key);
        }
      },
    };
  }

  /** Ends every shared watch. */
  stop(): void {
    for (const [key, s] of this.shared) {
      this.watchesStartedByClosed += s.collection.watchesStarted;
      s.collection.stop();
      this.shared.delete(key);
    }
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
