import { describe, expect, it } from 'vitest';
import { parseQuery, runQuery, parseCondition, matchesCondition, type QueryCollection } from '../../../runtime/query/index.js';

const twin = (deviceId: string, over: Record<string, unknown> = {}) => ({
  deviceId,
  etag: 'AAAAAAAAAAE=',
  status: 'enabled',
  connectionState: 'Disconnected',
  lastActivityTime: '2026-01-01T00:00:00.000Z',
  capabilities: { iotEdge: true },
  version: 2,
  tags: {},
  properties: { desired: { $version: 1, $metadata: {} }, reported: { $version: 1, $metadata: {} } },
  ...over,
});

const devices = [
  twin('a', { tags: { env: 'prod', site: 'x', floor: 1 }, properties: { desired: { $version: 4 }, reported: { $version: 1, temp: 20, fw: '1.2.0' } } }),
  twin('b', { tags: { env: 'prod', site: 'y', floor: 3 }, connectionState: 'Connected', properties: { desired: { $version: 1 }, reported: { $version: 2, temp: 30, fw: '1.3.0' } } }),
  twin('c', { tags: { env: 'dev', site: 'x', nothing: null }, capabilities: { iotEdge: false }, properties: { desired: { $version: 1 }, reported: { $version: 1, temp: 25 } } }),
  twin('d', { lastActivityTime: '2026-06-01T00:00:00.000Z' }),
];
const modules = [
  { deviceId: 'a', moduleId: '$edgeAgent', tags: {}, properties: { desired: {}, reported: { lastDesiredStatus: { code: 200 } } } },
  { deviceId: 'a', moduleId: 'sensor', tags: {}, properties: { desired: {}, reported: {} } },
  { deviceId: 'b', moduleId: '$edgeAgent', tags: {}, properties: { desired: {}, reported: { lastDesiredStatus: { code: 400 } } } },
];
const source = (c: QueryCollection) => (c === 'devices' ? devices : modules);

const run = (text: string) => {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return runQuery(r.query, source);
};
const ids = (text: string) => run(text).items.map((t) => (t as { deviceId: string }).deviceId);

describe('runQuery', () => {
  it.each<[string, string[]]>([
    ['SELECT * FROM devices', ['a', 'b', 'c', 'd']],
    ["SELECT * FROM devices WHERE tags.env = 'prod'", ['a', 'b']],
    ["SELECT * FROM devices WHERE tags.env != 'prod'", ['c']],
    ["SELECT * FROM devices WHERE tags.env <> 'prod'", ['c']],
    ["SELECT * FROM devices WHERE NOT (tags.env = 'prod')", ['c']],
    ["SELECT * FROM devices WHERE tags.env = 'prod' AND tags.site = 'x'", ['a']],
    ["SELECT * FROM devices WHERE tags.env = 'dev' OR tags.site = 'y'", ['b', 'c']],
    ["SELECT * FROM devices WHERE tags.site IN ['x', 'z']", ['a', 'c']],
    ["SELECT * FROM devices WHERE tags.site NIN ['x']", ['b']],
    ["SELECT * FROM devices WHERE tags.site NOT IN ['x']", ['b']],
    ['SELECT * FROM devices WHERE tags.floor > 1', ['b']],
    ['SELECT * FROM devices WHERE tags.floor * 2 + 1 = 7', ['b']],
    ['SELECT * FROM devices WHERE tags.floor % 2 = 1', ['a', 'b']],
    ['SELECT * FROM devices WHERE -tags.floor < -2', ['b']],
    ["SELECT * FROM devices WHERE tags.floor = '1'", []],
    ['SELECT * FROM devices WHERE tags.floor / 0 = 1', []],
    ['SELECT * FROM devices WHERE IS_DEFINED(tags.env)', ['a', 'b', 'c']],
    ['SELECT * FROM devices WHERE NOT IS_DEFINED(tags.env)', ['d']],
    ['SELECT * FROM devices WHERE IS_NULL(tags.nothing)', ['c']],
    ['SELECT * FROM devices WHERE tags.nothing = null', ['c']],
    ['SELECT * FROM devices WHERE IS_NUMBER(tags.floor)', ['a', 'b']],
    ['SELECT * FROM devices WHERE IS_STRING(properties.reported.fw)', ['a', 'b']],
    ['SELECT * FROM devices WHERE IS_BOOL(capabilities.iotEdge) AND capabilities.iotEdge = true', ['a', 'b', 'd']],
    ['SELECT * FROM devices WHERE IS_OBJECT(tags) AND IS_PRIMITIVE(deviceId)', ['a', 'b', 'c', 'd']],
    ["SELECT * FROM devices WHERE STARTS_WITH(properties.reported.fw, '1.3')", ['b']],
    ["SELECT * FROM devices WHERE startswith(properties.reported.fw, '1.2')", ['a']],
    ["SELECT * FROM devices WHERE ENDSWITH(deviceId, 'c')", ['c']],
    ["SELECT * FROM devices WHERE connectionState = 'Connected'", ['b']],
    ["SELECT * FROM devices WHERE status = 'enabled' AND lastActivityTime > '2026-03-01'", ['d']],
    ['SELECT * FROM devices WHERE properties.desired.$version > 1', ['a']],
    ['SELECT * FROM devices WHERE properties.reported.temp >= 25', ['b', 'c']],
    ["SELECT * FROM devices WHERE devices.deviceId IN ['a', 'd']", ['a', 'd']],
    ['SELECT TOP 2 * FROM devices', ['a', 'b']],
    ['SELECT TOP 0 * FROM devices', []],
    ['SELECT * FROM devices WHERE capabilities.iotEdge = false', ['c']],
  ])('%s → %j', (text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  it('answers whole twins as item type twin and projections as raw', () => {
    expect(run('SELECT * FROM devices').itemType).toBe('twin');
    expect(run('SELECT deviceId FROM devices').itemType).toBe('raw');
  });

  it('projects the select list, leaving out what a twin lacks', () => {
    expect(run("SELECT deviceId, tags.site AS where_, properties.reported.fw FROM devices WHERE deviceId IN ['a', 'd']").items).toEqual([
      { deviceId: 'a', where_: 'x', fw: '1.2.0' },
      { deviceId: 'd' },
    ]);
  });

  it('counts, and counts groups', () => {
    expect(run('SELECT COUNT() AS n FROM devices').items).toEqual([{ n: 4 }]);
    expect(run("SELECT COUNT() AS n FROM devices WHERE tags.env = 'none'").items).toEqual([{ n: 0 }]);
    expect(run('SELECT tags.env, COUNT() AS n FROM devices GROUP BY tags.env').items).toEqual([{ env: 'prod', n: 2 }, { env: 'dev', n: 1 }, { n: 1 }]);
    expect(run('SELECT tags.env AS env, tags.site AS site, COUNT() AS n FROM devices WHERE IS_DEFINED(tags.env) GROUP BY tags.env, tags.site').items).toEqual([
      { env: 'prod', site: 'x', n: 1 },
      { env: 'prod', site: 'y', n: 1 },
      { env: 'dev', site: 'x', n: 1 },
    ]);
  });

  it('sums, averages and finds extremes', () => {
    expect(run('SELECT SUM(properties.reported.temp) AS s, AVG(properties.reported.temp) AS a, MIN(properties.reported.temp) AS lo, MAX(properties.reported.fw) AS hi FROM devices').items).toEqual([
      { s: 75, a: 25, lo: 20, hi: '1.3.0' },
    ]);
  });

  it('queries module twins', () => {
    expect(run("SELECT * FROM devices.modules WHERE moduleId = '$edgeAgent'").items.map((m) => (m as { deviceId: string }).deviceId)).toEqual(['a', 'b']);
    expect(run("SELECT deviceId, properties.reported.lastDesiredStatus.code AS code FROM devices.modules WHERE devices.modules.moduleId = '$edgeAgent' AND devices.deviceId = 'b'").items).toEqual([{ deviceId: 'b', code: 400 }]);
  });
});

describe('parseCondition', () => {
  it.each<[string, string[]]>([
    ['*', ['a', 'b', 'c', 'd']],
    ["tags.env='prod'", ['a', 'b']],
    ["tags.env='prod' and tags.site='y'", ['b']],
    ["deviceId IN ['c','d']", ['c', 'd']],
  ])('%s targets %j', (text, expected) => {
    const r = parseCondition(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(devices.filter((d) => matchesCondition(r.condition, d)).map((d) => d.deviceId)).toEqual(expected);
  });

  it('reports an error position inside the condition text', () => {
    const r = parseCondition("tags.env = 'prod' AND");
    expect(r).toMatchObject({ ok: false, error: { position: 21 } });
    expect(parseCondition('')).toMatchObject({ ok: false });
  });
});
