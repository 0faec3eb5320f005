import { describe, expect, it } from 'vitest';
import type { KubeApi, KubeObject, WatchEventType } from '../../../runtime/agent/kubernetes/kube-api.js';
import { hasLabels, SharedCollections } from '../../../runtime/agent/kubernetes/shared-collections.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { FakeClock, flush } from './helpers.js';

const pod = (namespace: string, name: string, device: string, rv = '1'): KubeObject => ({ metadata: { namespace, name, resourceVersion: rv, labels: { 'edgemu.io/device': device, 'app.kubernetes.io/managed-by': 'edgemu' } } });

/** A KubeApi that records every list and watch and lets the test emit events on them. */
class RecordingKube implements Pick<KubeApi, 'listWithVersion' | 'watch'> {
  lists: Array<{ kind: string; namespace: string; selector: string }> = [];
  watches: Array<{ kind: string; namespace: string; selector: string; emit: (t: WatchEventType, o: KubeObject) => void; end: (e?: unknown) => void; stopped: boolean }> = [];
  items: KubeObject[] = [];
  async listWithVersion(_a: string, kind: string, namespace: string, selector: string) {
    this.lists.push({ kind, namespace, selector });
    return { items: this.items.filter(() => kind === 'Pod'), resourceVersion: '10' };
  }
  async watch(_a: string, kind: string, namespace: string, selector: string, _rv: string | undefined, emit: (t: WatchEventType, o: KubeObject) => void, end: (e?: unknown) => void) {
    const w = { kind, namespace, selector, emit, end, stopped: false };
    this.watches.push(w);
    return { stop: () => void (w.stopped = true) };
  }
}

function setup() {
  const kube = new RecordingKube();
  const shared = new SharedCollections({ kube: kube as unknown as KubeApi, clock: new FakeClock(), logger: silentLogger(), selector: 'app.kubernetes.io/managed-by=edgemu' });
  return { kube, shared };
}

describe('SharedCollections', () => {
  it('opens one watch per kind over every namespace, however many devices view it', async () => {
    const { kube, shared } = setup();
    const views = Array.from({ length: 50 }, (_, i) => [
      shared.view('apps/v1', 'Deployment', `edgemu-d${i}`, { 'edgemu.io/device': `d${i}` }, () => undefined),
      shared.view('v1', 'Pod', `edgemu-d${i}`, { 'edgemu.io/device': `d${i}` }, () => undefined),
    ]);
    await flush();
    expect(kube.watches.map((w) => [w.kind, w.namespace, w.selector])).toEqual([
      ['Deployment', '', 'app.kubernetes.io/managed-by=edgemu'],
      ['Pod', '', 'app.kubernetes.io/managed-by=edgemu'],
    ]);
    expect(shared.activeWatches).toBe(2);
    expect(shared.watchesStarted).toBe(2);
    expect(views.every(([d, p]) => d!.ready && p!.ready)).toBe(true);
    shared.stop();
    expect(kube.watches.every((w) => w.stopped)).toBe(true);
  });

  it("gives each view its own namespace's objects with its labels, and wakes only the views of the namespace that changed", async () => {
    const { kube, shared } = setup();
    kube.items = [pod('edgemu-a', 'p1', 'a'), pod('edgemu-b', 'p2', 'b'), pod('edgemu-a', 'stray', 'other')];
    const woke: string[] = [];
    const a = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, (r) => woke.push(`a: ${r}`));
    const b = shared.view('v1', 'Pod', 'edgemu-b', { 'edgemu.io/device': 'b' }, (r) => woke.push(`b: ${r}`));
    await flush();
    expect(a.snapshot().map((o) => o.metadata!.name)).toEqual(['p1']);
    expect(b.snapshot().map((o) => o.metadata!.name)).toEqual(['p2']);
    expect(woke.sort()).toEqual(['a: Pod list', 'b: Pod list']);
    woke.length = 0;
    kube.watches[0]!.emit('ADDED', pod('edgemu-b', 'p3', 'b', '11'));
    kube.watches[0]!.emit('DELETED', pod('edgemu-a', 'p1', 'a', '12'));
    expect(woke).toEqual(['b: Pod p3 ADDED', 'a: Pod p1 DELETED']);
    expect(a.snapshot()).toEqual([]);
    expect(b.snapshot().map((o) => o.metadata!.name).sort()).toEqual(['p2', 'p3']);
    // an agent's own write lands in its namespace of the shared copy
    a.upsert({ metadata: { name: 'p9', resourceVersion: '13', labels: { 'edgemu.io/device': 'a' } } });
    expect(a.snapshot().map((o) => o.metadata!.name)).toEqual(['p9']);
    a.remove('p9');
    expect(a.snapshot()).toEqual([]);
    shared.stop();
  });

  it('wakes every view when the shared watch fails, and ends the watch with its last view', async () => {
    const { kube, shared } = setup();
    const woke: string[] = [];
    const a = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, (r) => woke.push(`a: ${r}`));
    const b = shared.view('v1', 'Pod', 'edgemu-b', { 'edgemu.io/device': 'b' }, (r) => woke.push(`b: ${r}`));
    await flush();
    woke.length = 0;
    kube.watches[0]!.end(new Error('connection reset'));
    await flush();
    expect(woke.sort()).toEqual(['a: Pod watch failed', 'b: Pod watch failed']);
    expect(a.ready).toBe(false);
    a.stop();
    expect(kube.watches[0]!.stopped).toBe(false);
    b.stop();
    expect(shared.activeWatches).toBe(0);
  });
});

describe('hasLabels', () => {
  it.each<[Record<string, string> | undefined, Record<string, string>, boolean]>([
    [{ a: '1', b: '2' }, { a: '1' }, true],
    [{ a: '1' }, { a: '1', b: '2' }, false],
    [{ a: '2' }, { a: '1' }, false],
    [undefined, {}, true],
    [undefined, { a: '1' }, false],
  ])('%j has %j: %s', (labels, want, expected) => {
    expect(hasLabels({ metadata: { ...(labels ? { labels } : {}) } }, want)).toBe(expected);
  });
});
