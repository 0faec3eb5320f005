import { describe, expect, it } from 'vitest';
import { parseManifestText, validateManifest } from '../../../runtime/manifest/index.js';
import { AGENT, HUB, manifest, type Json } from './fixtures.js';

const withChange = (change: (m: Json) => void): Json => {
  const m = manifest();
  change(m);
  return m;
};
const mc = (m: Json) => m.modulesContent;

describe('validateManifest', () => {
  it('returns the whole normalized deployment for a valid manifest', () => {
    const m = manifest();
    const r = validateManifest(m);
    expect(r.status).toBe(200);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.value!.edgeAgent.modules.map((x) => x.name)).toEqual(['filter', 'sensor']);
    expect(r.value!.edgeHub.routes.map((x) => x.name)).toEqual(['toFilter', 'up']);
    expect(r.value!.moduleTwins).toEqual({ filter: { threshold: 30 } });
    expect(r.value!.modulesContent).toEqual(m.modulesContent);
  });

  it('accepts the {"content": {"modulesContent": …}} wrapper and points into it', () => {
    expect(validateManifest({ content: manifest(), id: 'd1', priority: 3 }).status).toBe(200);
    const bad = withChange((m) => (mc(m).$edgeAgent['properties.desired'].modules.sensor.status = 'x'));
    const r = validateManifest({ content: bad });
    expect(r.errors.map((e) => e.path)).toEqual([`/content${AGENT}/modules/sensor/status`]);
  });

  it('accepts legacy "moduleContent" with a warning and points into it', () => {
    const m = manifest();
    const legacy = { moduleContent: m.modulesContent };
    const r = validateManifest(legacy);
    expect(r.status).toBe(200);
    expect(r.warnings).toEqual(['"moduleContent" is deprecated; rename it to "modulesContent"']);
    legacy.moduleContent.$edgeHub['properties.desired'].routes.up = 5;
    expect(validateManifest(legacy).errors.map((e) => e.path)).toEqual(['/moduleContent/$edgeHub/properties.desired/routes/up']);
  });

  it.each([
    ['an array', []],
    ['a string', 'manifest'],
    ['a number', 42],
    ['null', null],
    ['a content wrapper that is not an object', { content: 'x' }],
    ['modulesContent that is not an object', { modulesContent: [] }],
  ])('reports 400 for a document that is %s', (_what, doc) => {
    const r = validateManifest(doc);
    expect(r.status).toBe(400);
    expect(r.errors).toHaveLength(1);
  });

  // Status precedence 417 > 412 > 400, each row combining problems of different weights.
  it.each<[string, (m: Json) => void, number, string[]]>([
    ['no modulesContent at all', (m) => delete m.modulesContent, 417, ['/modulesContent']],
    ['$edgeAgent missing, $edgeHub broken', (m) => (delete mc(m).$edgeAgent, (mc(m).$edgeHub['properties.desired'].routes.up = 1)), 417, ['/modulesContent/$edgeAgent', `${HUB}/routes/up`]],
    ['$edgeAgent without properties.desired', (m) => (mc(m).$edgeAgent = {}), 417, [`${AGENT}`]],
    ['$edgeAgent desired empty, $edgeHub missing', (m) => ((mc(m).$edgeAgent['properties.desired'] = {}), delete mc(m).$edgeHub), 417, [AGENT, '/modulesContent/$edgeHub']],
    ['bad schemaVersion and a bad route', (m) => ((mc(m).$edgeAgent['properties.desired'].schemaVersion = '9.9'), (mc(m).$edgeHub['properties.desired'].routes.up = 'FROM')), 412, [`${AGENT}/schemaVersion`, `${HUB}/routes/up`]],
    ['$edgeAgent desired null', (m) => (mc(m).$edgeAgent['properties.desired'] = null), 417, [AGENT]],
    ['$edgeHub desired null', (m) => (mc(m).$edgeHub['properties.desired'] = null), 400, [HUB]],
    ['module twin desired null', (m) => (mc(m).filter['properties.desired'] = null), 400, ['/modulesContent/filter/properties.desired']],
    ['$edgeHub missing', (m) => delete mc(m).$edgeHub, 400, ['/modulesContent/$edgeHub']],
    ['$edgeHub without properties.desired', (m) => (mc(m).$edgeHub = {}), 400, [HUB]],
    ['$edgeAgent not an object', (m) => (mc(m).$edgeAgent = 'x'), 400, ['/modulesContent/$edgeAgent']],
    ['$edgeAgent desired an array', (m) => (mc(m).$edgeAgent['properties.desired'] = []), 400, [AGENT]],
    ['properties.reported in a deployment', (m) => (mc(m).filter['properties.reported'] = {}), 400, ['/modulesContent/filter/properties.reported']],
    ['module twin name with a dot', (m) => (mc(m)['my.module'] = { 'properties.desired': {} }), 400, ['/modulesContent/my.module']],
    ['module twin name starting with $', (m) => (mc(m).$custom = { 'properties.desired': {} }), 400, ['/modulesContent/$custom']],
    ['module twin desired not an object', (m) => (mc(m).filter['properties.desired'] = 3), 400, ['/modulesContent/filter/properties.desired']],
    ['module twin without properties.desired', (m) => (mc(m).filter = {}), 400, ['/modulesContent/filter/properties.desired']],
    ['module twin key with $', (m) => (mc(m).filter['properties.desired'] = { $threshold: 1 }), 400, ['/modulesContent/filter/properties.desired/$threshold']],
    ['$version written into $edgeAgent desired', (m) => (mc(m).$edgeAgent['properties.desired'].$version = 3), 400, [`${AGENT}/$version`]],
  ])('reports %s with the right status and paths', (_what, change, status, expectedPaths) => {
    const r = validateManifest(withChange(change));
    expect(r.status).toBe(status);
    expect(r.errors.map((e) => e.path)).toEqual(expectedPaths);
  });

  it('warns about a module twin whose module is not deployed', () => {
    const r = validateManifest(withChange((m) => (mc(m).ghost = { 'properties.desired': { a: 1 } })));
    expect(r.status).toBe(200);
    expect(r.warnings).toEqual(['module twin "ghost" has desired properties but no module "ghost" is deployed by $edgeAgent']);
  });

  it('warns about routes to and from modules that are not deployed', () => {
    const r = validateManifest(
      withChange((m) => (mc(m).$edgeHub['properties.desired'].routes.x = 'FROM /messages/modules/nobody/* INTO BrokeredEndpoint("/modules/Filter/inputs/a")')),
    );
    expect(r.status).toBe(200);
    expect(r.warnings).toEqual([
      'route "x" delivers to module "Filter", which this deployment does not run; its messages wait in the queue until their TTL',
      'route "x" reads from module "nobody", which this deployment does not run',
    ]);
  });

  it('warns above 50 modules', () => {
    const r = validateManifest(
      withChange((m) => {
        const mods = mc(m).$edgeAgent['properties.desired'].modules;
        for (let i = 0; i < 50; i++) mods[`m${i}`] = { type: 'docker', status: 'running', settings: { image: 'x/y:1' } };
      }),
    );
    expect(r.status).toBe(200);
    expect(r.warnings).toEqual(['52 modules: IoT Hub limits deployments to 50 modules']);
  });
});

describe('parseManifestText', () => {
  it('validates text and tolerates a UTF-8 byte-order mark', () => {
    expect(parseManifestText(`\ufeff${JSON.stringify(manifest())}`).status).toBe(200);
  });

  it.each([
    ['truncated JSON', '{"modulesContent": {', 'not valid JSON'],
    ['a trailing comma', '{"modulesContent": {},\n}', 'line 2, column 1'],
    ['an empty text', '   ', 'empty'],
    ['YAML', 'modulesContent:\n  $edgeAgent: {}\n', 'not valid JSON'],
  ])('reports 400 at the document for %s', (_what, text, words) => {
    const r = parseManifestText(text);
    expect(r.status).toBe(400);
    expect(r.errors).toEqual([{ path: '', message: expect.stringContaining(words) }]);
  });
});

describe('names that are special in JavaScript', () => {
  it('refuses "__proto__" as a module twin, module or env name instead of silently losing it', () => {
    const text = JSON.stringify(manifest())
      .replace('"filter":{"properties.desired"', '"__proto__":{"properties.desired":{}},"filter":{"properties.desired"')
      .replace('"INTERVAL":{"value":"5"}', '"INTERVAL":{"value":"5"},"__proto__":{"value":"x"}')
      .replace('"modules":{', '"modules":{"__proto__":{"type":"docker","status":"running","settings":{"image":"a/b"}},');
    const r = parseManifestText(text);
    expect(r.status).toBe(400);
    expect(r.errors.map((e) => e.path).sort()).toEqual([
      `${AGENT}/modules/__proto__`,
      `${AGENT}/modules/sensor/env/__proto__`,
      '/modulesContent/__proto__',
    ]);
  });

  it('keeps other unusual keys such as "constructor" as ordinary data', () => {
    const m = manifest();
    m.modulesContent.filter['properties.desired'] = JSON.parse('{"constructor": 1, "toString": {"a": 2}}');
    const r = validateManifest(m);
    expect(r.value!.moduleTwins.filter).toEqual({ constructor: 1, toString: { a: 2 } });
  });
});
