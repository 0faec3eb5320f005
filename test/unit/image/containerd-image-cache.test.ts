import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerdImageCache, type ImageLister } from '../../../runtime/image/containerd-image-cache.js';
import { isImageEventLine, type ContainerdImage, type ImageEventFeed } from '../../../runtime/image/ctr-client.js';
import { StampedMemo } from '../../../runtime/image/file-stamps.js';

const image = (name: string): ContainerdImage => ({ name, digest: `sha256:${'a'.repeat(64)}`, size: '1 MiB', platforms: 'linux/amd64', labels: {} });

/** A containerd that counts its list calls, and a feed the test drives. */
function fakes() {
  const names = ['docker.io/edgemu/filter:0.1.0'];
  const lister = {
    calls: 0,
    async list() {
      lister.calls += 1;
      return names.map(image);
    },
    async import(file: string) {
      names.push(file);
      return '';
    },
    async label() {},
  } satisfies ImageLister & { calls: number };
  const feed = { started: 0, stopped: 0, handlers: undefined as Parameters<ImageEventFeed>[0] | undefined };
  const events: ImageEventFeed = (handlers) => {
    feed.started += 1;
    feed.handlers = handlers;
    return () => void (feed.stopped += 1);
  };
  let now = 10_000;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  return { names, lister, feed, events, clock };
}

describe('the containerd image cache', () => {
  it('lists once while the event feed reports nothing, and again after an image event', async () => {
    const { lister, feed, events, clock } = fakes();
    const cache = new ContainerdImageCache(lister, { events, now: clock.now, settleMs: 1_000 });
    clock.advance(1_000);
    expect(await cache.realNodeImages()).toEqual(new Set(['docker.io/edgemu/filter:0.1.0']));
    await cache.realNodeImages();
    await cache.get('docker.io/edgemu/filter:0.1.0');
    expect(lister.calls).toBe(1);
    feed.handlers!.onImageEvent();
    await cache.list();
    expect(lister.calls).toBe(2);
    expect(cache.listCalls).toBe(2);
  });

  it('keeps nothing listed before the feed has settled (its subscription may not be in place yet)', async () => {
    const { lister, events, clock } = fakes();
    const cache = new ContainerdImageCache(lister, { events, now: clock.now, settleMs: 1_000 });
    await cache.list();
    await cache.list();
    expect(lister.calls).toBe(2);
    clock.advance(1_000);
    await cache.list();
    await cache.list();
    expect(lister.calls).toBe(3);
  });

  it('drops the list on its own import and label, even when they fail', async () => {
    const { lister, names, events, clock } = fakes();
    const cache = new ContainerdImageCache(lister, { events, now: clock.now, settleMs: 0 });
    await cache.list();
    await cache.import('docker.io/edgemu/echo:0.1.0');
    expect((await cache.list()).map((i) => i.name)).toEqual(names);
    expect(lister.calls).toBe(2);
    lister.label = async () => {
      throw new Error('refused');
    };
    await expect(cache.label('x', {})).rejects.toThrow('refused');
    await cache.list();
    expect(lister.calls).toBe(3);
  });

  it('does not keep a list that raced a change', async () => {
    const { lister, feed, events, clock } = fakes();
    const cache = new ContainerdImageCache(lister, { events, now: clock.now, settleMs: 0 });
    const slow = lister.list.bind(lister);
    lister.list = async () => {
      const result = await slow();
      feed.handlers!.onImageEvent();
      return result;
    };
    await cache.list();
    lister.list = slow;
    await cache.list();
    expect(lister.calls).toBe(2);
  });

  it('lists every time while the feed is down, and restarts it after restartMs', async () => {
    const { lister, feed, events, clock } = fakes();
    const cache = new ContainerdImageCache(lister, { events, now: clock.now, settleMs: 0, restartMs: 30_000 });
    await cache.list();
    feed.handlers!.onClosed('ctr events exited (1)');
    await cache.list();
    await cache.list();
    expect(lister.calls).toBe(3);
    expect(feed.started).toBe(1);
    clock.advance(30_000);
    await cache.list();
    expect(feed.started).toBe(2);
    expect(lister.calls).toBe(4);
    await cache.list();
    expect(lister.calls).toBe(4);
    cache.close();
    expect(feed.stopped).toBe(1);
  });

  it('without a feed keeps nothing (another process could change containerd unseen)', async () => {
    const { lister } = fakes();
    const cache = new ContainerdImageCache(lister);
    await cache.list();
    await cache.list();
    expect(lister.calls).toBe(2);
  });
});

describe('ctr events lines', () => {
  it.each([
    ['2026-12-02 00:53:20.759834879 +0000 UTC k8s.io /images/update {"name":"edgemu.local/busybox:v1"}', 'k8s.io', true],
    ['2026-12-02 00:53:20.759834879 +0000 UTC k8s.io /images/create {"name":"x"}', 'k8s.io', true],
    ['2026-12-02 00:53:20.759834879 +0000 UTC k8s.io /images/delete {"name":"x"}', 'k8s.io', true],
    ['2026-12-02 00:53:20.759834879 +0000 UTC default /images/create {"name":"x"}', 'k8s.io', false],
    ['2026-12-02 00:53:20.759834879 +0000 UTC k8s.io /tasks/exit {"container_id":"x"}', 'k8s.io', false],
    ['', 'k8s.io', false],
  ])('%s in %s is an image event: %s', (line, namespace, expected) => {
    expect(isImageEventLine(line, namespace)).toBe(expected);
  });
});

describe('results kept while their files are unchanged', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-stamps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'index.ts');
  const old = Date.now() / 1000 - 60;

  it('returns the kept value until a file changes or goes', () => {
    writeFileSync(file, 'one');
    utimesSync(file, old, old);
    const memo = new StampedMemo<string>();
    memo.set('k', [file], 'bundle-one', Date.now());
    expect(memo.get('k')).toBe('bundle-one');
    writeFileSync(file, 'two!');
    expect(memo.get('k')).toBeUndefined();
    memo.set('k', [file], 'bundle-two', Date.now() - 120_000);
    // modified after the work began: not kept (it may have changed while being read)
    expect(memo.get('k')).toBeUndefined();
    utimesSync(file, old, old);
    memo.set('k', [file], 'bundle-two', Date.now());
    rmSync(file);
    expect(memo.get('k')).toBeUndefined();
  });
});
