import { describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, WatchEventType } from '../../../runtime/agent/kubernetes/kube-api.js';
import { isNewerOrSame, WatchedCollection, withoutManagedFields } from '../../../runtime/agent/kubernetes/watched-collection.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { FakeClock, flush } from './helpers.js';

const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, resourceVersion: rv } });

/** A KubeApi whose list and watch the test drives. */
class ScriptedKube implements Pick<KubeApi, 'listWithVersion' | 'watch'> {
  lists: Array<() => Promise<{ items: KubeObject[]; resourceVersion: string }>> = [];
  watchFrom: Array<string | undefined> = [];
  emit: ((type: WatchEventType, o: KubeObject) => void) | undefined;
  end: ((error?: unknown) => void) | undefined;
  async listWithVersion() {
    const next = this.lists.shift();
    if (!next) throw new Error('ECONNREFUSED');
    return next();
  }
  async watch(_a: string, _k: string, _n: string, _s: string, rv: string | undefined, onEvent: (t: WatchEventType, o: KubeObject) => void, onEnd: (e?: unknown) => void) {
    this.watchFrom.push(rv);
    this.emit = onEvent;
    this.end = onEnd;
    return { stop: () => undefined };
  }
}

function setup() {
  const kube = new ScriptedKube();
  const clock = new FakeClock();
  const changes: string[] = [];
  const c = new WatchedCollection(kube as unknown as KubeApi, 'v1', 'Pod', 'ns', 'a=b', (r) => changes.push(r), clock, silentLogger());
  return { kube, clock, changes, c };
}

describe('WatchedCollection', () => {
  it("keeps listed, watched and written objects without their managedFields, and everything else of them", async () => {
    const { kube, c } = setup();
    const managed = (name: string, rv: string): KubeObject => ({ metadata: { name, resourceVersion: rv, labels: { a: 'b' }, managedFields: [{ manager: 'edgemu', operation: 'Apply' }] }, spec: { x: 1 } });
    kube.lists.push(async () => ({ items: [managed('p1', '5')], resourceVersion: '7' }));
    c.start();
    await flush();
    kube.emit!('ADDED', managed('p2', '8'));
    c.upsert(managed('p3', '9'));
    expect(c.snapshot().map((o) => [o.metadata!.name, o.metadata!.managedFields])).toEqual([
      ['p1', undefined],
      ['p2', undefined],
      ['p3', undefined],
    ]);
    expect(c.snapshot()[0]).toEqual({ metadata: { name: 'p1', resourceVersion: '5', labels: { a: 'b' } }, spec: { x: 1 } });
    c.stop();
  });

  it('lists, then watches from the list resourceVersion and applies events', async () => {
    const { kube, c, changes } = setup();
    kube.lists.push(async () => ({ items: [obj('p1', '5')], resourceVersion: '7' }));
    c.start();
    await flush();
    expect(c.ready).toBe(true);
    expect(kube.watchFrom).toEqual(['7']);
    kube.emit!('ADDED', obj('p2', '8'));
    kube.emit!('MODIFIED', obj('p1', '9'));
    kube.emit!('DELETED', obj('p2', '10'));
    expect(c.snapshot()).toEqual([obj('p1', '9')]);
    expect(changes).toEqual(['Pod list', 'Pod p2 ADDED', 'Pod p1 MODIFIED', 'Pod p2 DELETED']);
    c.stop();
  });

  it('is not ready after the watch fails and lists again after a back-off', async () => {
    const { kube, c, clock } = setup();
    kube.lists.push(async () => ({ items: [], resourceVersion: '1' }));
    c.start();
    await flush();
    kube.end!(new Error('connection reset'));
    await flush();
    expect(c.ready).toBe(false);
    kube.lists.push(async () => ({ items: [obj('p', '3')], resourceVersion: '3' }));
    await clock.advance(250);
    expect(c.ready).toBe(true);
    expect(c.snapshot()).toEqual([obj('p', '3')]);
    c.stop();
  });

  it('keeps an object the agent just wrote unless the copy already has a newer version', async () => {
    const { kube, c } = setup();
    kube.lists.push(async () => ({ items: [obj('d', '10')], resourceVersion: '10' }));
    c.start();
    await flush();
    c.upsert(obj('d', '9'));
    expect(c.snapshot()).toEqual([obj('d', '10')]);
    c.upsert(obj('d', '11'));
    expect(c.snapshot()).toEqual([obj('d', '11')]);
    c.stop();
  });

  it.each([
    ['10', '9', true],
    ['9', '10', false],
    ['10', '10', true],
    ['abc', '10', true],
    [undefined, '10', true],
  ])('orders resourceVersion %s against %s: newer-or-same %s', (a, b, expected) => {
    expect(isNewerOrSame(a, b)).toBe(expected);
  });
});

describe('withoutManagedFields', () => {
  it('returns an object without managedFields as it is, and a copy without them otherwise (the input unchanged)', () => {
    const plain: KubeObject = { metadata: { name: 'a' } };
    expect(withoutManagedFields(plain)).toBe(plain);
    const managed: KubeObject = { kind: 'Pod', metadata: { name: 'a', managedFields: [] } };
    expect(withoutManagedFields(managed)).toEqual({ kind: 'Pod', metadata: { name: 'a' } });
    expect(managed.metadata!.managedFields).toEqual([]);
  });
});
