import type { ContainerdTarget } from './containerd-target.js';
import { CtrClient, ctrImageEvents, type ContainerdImage, type ImageEventFeed } from './ctr-client.js';

export type { ImageEventFeed } from './ctr-client.js';

/** What the cache needs from containerd (the `ctr` adapter {@link CtrClient} in production). */
export interface ImageLister {
  list(): Promise<ContainerdImage[]>;
  import(file: string): Promise<string>;
  label(name: string, labels: Readonly<Record<string, string>>): Promise<void>;
}

export interface ContainerdImageCacheOptions {
  /** containerd's image events; without it every read lists (nothing could tell a change made by another process). */
  events?: ImageEventFeed;
  now?: () => number;
  /**
   * How long after the feed (re)starts its subscription is assumed to be in place; a list begun
   * earlier is used for that read but not kept. Default 1 s.
   */
  settleMs?: number;
  /** Least time between restarts of a feed that stopped. Default 30 s. */
  restartMs?: number;
}

/**
 * The real node's containerd images, listed once and kept until something changes them, so a
 * steady-state reconcile costs no `ctr` call: edgemu's own imports and label changes go through
 * the cache and drop it; changes by anyone else (`edgemu image import` from another shell, a
 * `ctr images import` by hand, the kubelet) arrive as containerd image events and drop it too.
 * While the event feed is down nothing is kept (every read lists), and the feed is restarted.
 * Structurally the agent's `ImageCatalog` port (runtime/agent/kubernetes/node-catalog.ts).
 */
export class ContainerdImageCache {
  private cached: ContainerdImage[] | undefined;
  /** Bumped by every change seen; a list that raced a change is not kept. */
  private generation = 0;
  private feedStartedAt: number | undefined;
  private feedDownSince: number | undefined;
  private stopFeed: (() => void) | undefined;
  private closed = false;
  private lists = 0;

  constructor(
    private readonly ctr: ImageLister,
    private readonly options: ContainerdImageCacheOptions = {},
  ) {
    this.startFeed();
  }

  /** How many times containerd was asked for its image list (for tests and benchmarks). */
  get listCalls(): number {
    return this.lists;
  }

  async list(): Promise<ContainerdImage[]> {
    if (this.cached !== undefined) return this.cached;
    if (this.stopFeed === undefined) this.maybeRestartFeed();
    const generation = this.generation;
    const begun = this.now();
    this.lists += 1;
    const images = await this.ctr.list();
    const settled = this.feedStartedAt !== undefined && begun - this.feedStartedAt >= (this.options.settleMs ?? 1_000);
    if (settled && generation === this.generation && this.stopFeed !== undefined) this.cached = images;
    return images;
  }

  async get(name: string): Promise<ContainerdImage | undefined> {
    return (await this.list()).find((i) => i.name === name);
  }

  async import(file: string): Promise<string> {
    try {
      return await this.ctr.import(file);
    } finally {
      this.invalidate();
    }
  }

  async label(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    try {
      await this.ctr.label(name, labels);
    } finally {
      this.invalidate();
    }
  }

  /** The ImageCatalog port: every name containerd holds. */
  async realNodeImages(): Promise<ReadonlySet<string>> {
    return new Set((await this.list()).map((i) => i.name));
  }

  /** Forgets the list (an explicit change the cache cannot see). */
  invalidate(): void {
    this.generation += 1;
    this.cached = undefined;
  }

  close(): void {
    this.closed = true;
    this.stopFeed?.();
    this.stopFeed = undefined;
  }

  private startFeed(): void {
    const feed = this.options.events;
    if (feed === undefined || this.closed) return;
    this.feedStartedAt = this.now();
    this.feedDownSince = undefined;
    let stopped = false;
    const stop = feed({
      onImageEvent: () => this.invalidate(),
      onClosed: () => {
        if (stopped) return;
        stopped = true;
        this.stopFeed = undefined;
        this.feedStartedAt = undefined;
        this.feedDownSince = this.now();
        this.invalidate();
      },
    });
    if (!stopped) {
      this.stopFeed = () => {
        stopped = true;
        stop();
      };
    }
  }

  private maybeRestartFeed(): void {
    if (this.feedDownSince === undefined || this.now() - this.feedDownSince < (this.options.restartMs ?? 30_000)) return;
    this.startFeed();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The cache of one containerd, fed by its `ctr events` (the composition root's choice). */
export function nodeImageCache(target: ContainerdTarget): ContainerdImageCache {
  return new ContainerdImageCache(new CtrClient(target), { events: ctrImageEvents(target) });
}
