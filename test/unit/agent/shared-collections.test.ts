import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeApi, type KubeObject, type WatchEventType } from '../../../runtime/agent/kubernetes/kube-api.js';
import { hasLabels, SharedCollections } from '../../../runtime/agent/kubernetes/shared-collections.js';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { FakeClock, flush } from './helpers.js';

const pod = (namespace: string, name: string, device: string, rv = '1'): KubeObject => ({ metadata: { namespace, name, resourceVersion: rv, labels: { 'edgemu.io/device': device, 'app.kubernetes.io/managed-by': 'edgemu' } } });

/** A KubeApi that records every list and watch and lets the test emit events on them. */
class RecordingKube implements Pick<KubeApi, 'listWithVersion' | 'watch'> {
  lists: Array<{ kind: string; namespace: string; selector: string }> = [];
  watches: Array<{ kind: string; namespace: string; selector: string; emit: (t: WatchEventType, o: KubeObject) => void; end: (e?: unknown) => void; stopped: boolean }> = [];
  items: KubeObject[] = [];
  /** Namespaces (`''` = every namespace) whose lists, or watches, the API server refuses with 403. */
  forbiddenLists = new Set<string>();
  forbiddenWatches = new Set<string>();
  async listWithVersion(_a: string, kind: string, namespace: string, selector: string) {
    this.lists.push({ kind, namespace, selector });
    if (this.forbiddenLists.has(namespace)) throw new KubeApiError(`list ${kind}: Kubernetes API answered 403: forbidden`, 403);
    return { items: this.items.filter(() => kind === 'Pod'), resourceVersion: '10' };
  }
  async watch(_a: string, kind: string, namespace: string, selector: string, _rv: string | undefined, emit: (t: WatchEventType, o: KubeObject) => void, end: (e?: unknown) => void) {
    if (this.forbiddenWatches.has(namespace)) throw new KubeApiError(`watch ${kind}: Kubernetes API answered 403: forbidden`, 403);
    const w = { kind, namespace, selector, emit, end, stopped: false };
    this.watches.push(w);
    return { stop: () => void (w.stopped = true) };
  }
}

function setup(logger = silentLogger(), namespace?: string) {
  const kube = new RecordingKube();
  const shared = new SharedCollections({ kube: kube as unknown as KubeApi, clock: new FakeClock(), logger, selector: 'app.kubernetes.io/managed-by=edgemu', ...(namespace !== undefined ? { namespace } : {}) });
  return { kube, shared };
}

function capture(): { logger: pino.Logger; lines: Array<{ level: number; kind?: string; msg: string }> } {
  const lines: Array<{ level: number; kind?: string; msg: string }> = [];
  return { logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) }), lines };
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

describe('SharedCollections without the right to list in every namespace', () => {
  it('falls back to one watch per device namespace when the cluster-wide list answers 403, says so once, and serves every view from it', async () => {
    const { logger, lines } = capture();
    const { kube, shared } = setup(logger);
    kube.forbiddenLists.add('');
    kube.items = [pod('edgemu-a', 'p1', 'a'), pod('edgemu-b', 'p2', 'b')];
    const woke: string[] = [];
    const a = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, (r) => woke.push(`a: ${r}`));
    const a2 = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, (r) => woke.push(`a2: ${r}`));
    const b = shared.view('v1', 'Pod', 'edgemu-b', { 'edgemu.io/device': 'b' }, (r) => woke.push(`b: ${r}`));
    await flush();
    // one refused cluster-wide list, then one list and one watch per namespace (the two views of edgemu-a share theirs)
    expect(kube.lists.map((l) => l.namespace)).toEqual(['', 'edgemu-a', 'edgemu-b']);
    expect(kube.watches.map((w) => [w.kind, w.namespace, w.selector])).toEqual([
      ['Pod', 'edgemu-a', 'app.kubernetes.io/managed-by=edgemu'],
      ['Pod', 'edgemu-b', 'app.kubernetes.io/managed-by=edgemu'],
    ]);
    expect(shared.fallenBack).toEqual(['v1/Pod']);
    expect(shared.activeWatches).toBe(2);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'Pod' });
    expect(warnings[0]!.msg).toContain('403 Forbidden');
    expect(warnings[0]!.msg).toContain("watching each device's namespace on its own");
    // the fake list returns every namespace's pods; a view still sees only its own
    expect(a.ready && a2.ready && b.ready).toBe(true);
    expect(a.snapshot().map((o) => o.metadata!.name)).toEqual(['p1']);
    expect(b.snapshot().map((o) => o.metadata!.name)).toEqual(['p2']);
    woke.length = 0;
    kube.watches[1]!.emit('ADDED', pod('edgemu-b', 'p3', 'b', '11'));
    expect(woke).toEqual(['b: Pod p3 ADDED']);
    // a device that comes later gets its own namespace's watch at once, without another cluster-wide try
    const c = shared.view('v1', 'Pod', 'edgemu-c', { 'edgemu.io/device': 'c' }, () => undefined);
    await flush();
    expect(kube.lists.map((l) => l.namespace)).toEqual(['', 'edgemu-a', 'edgemu-b', 'edgemu-c']);
    expect(c.ready).toBe(true);
    // a namespace's watch ends with the last view of that namespace
    a.stop();
    expect(kube.watches[0]!.stopped).toBe(false);
    a2.stop();
    expect(kube.watches[0]!.stopped).toBe(true);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    shared.stop();
    expect(kube.watches.every((w) => w.stopped)).toBe(true);
  });

  it('falls back for the one kind that is refused and keeps the cluster-wide watch of the other', async () => {
    const { kube, shared } = setup();
    const listWithVersion = kube.listWithVersion.bind(kube);
    kube.listWithVersion = async (a, kind, namespace, selector) => {
      if (kind === 'Deployment' && namespace === '') {
        kube.lists.push({ kind, namespace, selector });
        throw new KubeApiError('list Deployment: Kubernetes API answered 403: forbidden', 403);
      }
      return listWithVersion(a, kind, namespace, selector);
    };
    shared.view('apps/v1', 'Deployment', 'edgemu-a', { 'edgemu.io/device': 'a' }, () => undefined);
    shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, () => undefined);
    await flush();
    expect(kube.watches.map((w) => [w.kind, w.namespace]).sort()).toEqual([
      ['Deployment', 'edgemu-a'],
      ['Pod', ''],
    ]);
    expect(shared.fallenBack).toEqual(['apps/v1/Deployment']);
    shared.stop();
  });

  it('falls back as well when the list is allowed but the cluster-wide watch is refused', async () => {
    const { kube, shared } = setup();
    kube.forbiddenWatches.add('');
    const a = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, () => undefined);
    await flush();
    expect(kube.watches.map((w) => w.namespace)).toEqual(['edgemu-a']);
    expect(a.ready).toBe(true);
    shared.stop();
  });

  it('keeps retrying, without a fallback, when the watches already cover one namespace and it is refused', async () => {
    const { kube, shared } = setup(silentLogger(), 'edgemu-a');
    kube.forbiddenLists.add('edgemu-a');
    const a = shared.view('v1', 'Pod', 'edgemu-a', { 'edgemu.io/device': 'a' }, () => undefined);
    await flush();
    expect(a.ready).toBe(false);
    expect(shared.fallenBack).toEqual([]);
    expect(kube.lists.every((l) => l.namespace === 'edgemu-a')).toBe(true);
    shared.stop();
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
