import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText, validateEdgeAgentDesired, validateEdgeHubDesired, validateManifest } from '../../../runtime/manifest/index.js';

/** mulberry32: a tiny seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Any = unknown;
const root = path.resolve(import.meta.dirname, '../../../deployments/examples');
const seeds = readdirSync(root)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(root, f), 'utf8')) as Any);

const NASTY: Any[] = [
  null, undefined, 0, -1, 1.5, 2 ** 60, NaN, '', ' ', '{', 'null', '[]', '1.1', 'x'.repeat(5000), true, false, [], [1, 'a'], {}, { value: {} },
  { route: 5 }, { 'properties.desired': null }, '__proto__', 'constructor', 'FROM /x INTO', 'FROM /* WHERE ((((( INTO $upstream',
];
const NASTY_KEYS = ['', '$edgeAgent', 'properties.desired', '__proto__', 'constructor', 'a.b', 'createOptions01', 'createOptions07', 'x/y~z', ' ', 'é'];

/** Every container (object or array) in the tree with the path to it. */
function containers(node: Any, out: Record<string, Any>[] | Any[][] = []): (Record<string, Any> | Any[])[] {
  if (node !== null && typeof node === 'object') {
    (out as Any[]).push(node);
    for (const v of Object.values(node as object)) containers(v, out);
  }
  return out as (Record<string, Any> | Any[])[];
}

function mutate(doc: Any, rnd: () => number): Any {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes = containers(doc);
  const count = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < count && nodes.length > 0; i++) {
    const node = pick(nodes) as Record<string, Any>;
    const keys = Object.keys(node);
    const op = rnd();
    if (keys.length > 0 && op < 0.3) delete node[pick(keys)];
    else if (keys.length > 0 && op < 0.6) node[pick(keys)] = pick(NASTY);
    else if (keys.length > 0 && op < 0.75) {
      const k = pick(keys);
      const v = node[k];
      if (typeof v === 'string' && v.length > 0) node[k] = v.slice(0, Math.floor(rnd() * v.length)) + pick(['"', '{', '}', '\\', 'é', '\u0000', ':', '/']) + v.slice(Math.floor(rnd() * v.length));
      else node[k] = pick(NASTY);
    } else if (op < 0.9) Object.defineProperty(node, pick(NASTY_KEYS), { value: pick(NASTY), enumerable: true, configurable: true, writable: true });
    else node[pick(keys.length > 0 ? keys : ['x'])] = structuredClone(pick(nodes));
  }
  return doc;
}

describe('the validator under random mutation', () => {
  it('never throws and always returns a status for 600 mutated manifests (seeded, reproducible)', { timeout: 30_000 }, () => {
    const statuses = new Set<number>();
    for (let seed = 1; seed <= 600; seed++) {
      const rnd = prng(seed);
      const doc = mutate(structuredClone(seeds[seed % seeds.length]), rnd);
      let result;
      try {
        result = validateManifest(doc);
      } catch (error) {
        throw new Error(`seed ${seed} made validateManifest throw: ${String(error)}`, { cause: error });
      }
      expect([200, 400, 412, 417], `seed ${seed}`).toContain(result.status);
      if (result.status === 200) expect(result.value).toBeDefined();
      else expect(result.errors.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const e of result.errors) expect(typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0, `seed ${seed}`).toBe(true);
      statuses.add(result.status);
    }
    // the mutations reach every outcome, so the test exercises more than one path
    expect([...statuses].sort()).toEqual([200, 400, 412, 417]);
  });

  it('never throws on mutated desired sections given directly (as the agent and router do)', { timeout: 30_000 }, () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = prng(seed * 7919);
      const doc = structuredClone(seeds[seed % seeds.length]) as { modulesContent?: Record<string, Record<string, Any>> };
      const content = doc.modulesContent ?? (doc as { content: { modulesContent: Record<string, Record<string, Any>> } }).content.modulesContent;
      const agent = mutate(content.$edgeAgent!['properties.desired'], rnd);
      const hub = mutate(content.$edgeHub!['properties.desired'], rnd);
      expect([200, 400, 412, 417]).toContain(validateEdgeAgentDesired(agent).status);
      expect([200, 400]).toContain(validateEdgeHubDesired(hub).status);
    }
  });

  it('rejects hostile nesting (100,000 levels) without overflowing the stack', () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const text = readFileSync(path.join(root, 'temperature-filter.deployment.json'), 'utf8');
    const inTwin = parseManifestText(text.replace('"TemperatureThreshold": 25', `"deep": ${deep}`));
    expect(inTwin.status).toBe(400);
    expect(inTwin.errors[0]!.message).toContain('nested deeper than 10 levels');
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parseManifestText(text.replace('"TemperatureThreshold": 25', `"deep": ${deepArray}`)).errors[0]!.message).toContain('more than 100 levels');
    const inCreateOptions = parseManifestText(text.replace('"createOptions": "{}"', `"createOptions": ${JSON.stringify(deep)}`));
    expect(inCreateOptions.status).toBe(400);
    expect(inCreateOptions.errors.map((e) => e.message).join()).toContain('nested more than 32 levels');
  });

  it('never throws on randomly corrupted manifest text', { timeout: 30_000 }, () => {
    const text = readFileSync(path.join(root, 'temperature-filter.deployment.json'), 'utf8');
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = prng(seed * 104729);
      const chars = [...text];
      for (let i = 0; i < 3; i++) chars[Math.floor(rnd() * chars.length)] = String.fromCharCode(Math.floor(rnd() * 128));
      const r = parseManifestText(chars.join(''));
      expect([200, 400, 412, 417], `seed ${seed}`).toContain(r.status);
    }
  });
});
