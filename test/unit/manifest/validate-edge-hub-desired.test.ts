import { describe, expect, it } from 'vitest';
import { validateEdgeHubDesired } from '../../../runtime/manifest/index.js';
import { hubDesired, type Json } from './fixtures.js';

const withChange = (change: (d: Json) => void): Json => {
  const d = hubDesired();
  change(d);
  return d;
};

describe('validateEdgeHubDesired', () => {
  it('normalizes routes (sorted, priority and TTL defaulted) and the store-and-forward TTL', () => {
    const r = validateEdgeHubDesired(hubDesired());
    expect(r.status).toBe(200);
    expect(r.value).toEqual({
      schemaVersion: '1.1',
      routes: [
        { name: 'toFilter', route: 'FROM /messages/modules/sensor/outputs/temp INTO BrokeredEndpoint("/modules/filter/inputs/in1")', priority: 0, timeToLiveSecs: 60 },
        { name: 'up', route: 'FROM /messages/modules/filter/outputs/* INTO $upstream', priority: 2000000000, timeToLiveSecs: 0 },
      ],
      storeAndForwardTimeToLiveSecs: 7200,
    });
  });

  it('defaults the store-and-forward TTL to 7200 seconds and keeps a negative one (infinite)', () => {
    expect(validateEdgeHubDesired(withChange((d) => delete d.storeAndForwardConfiguration)).value!.storeAndForwardTimeToLiveSecs).toBe(7200);
    expect(validateEdgeHubDesired(withChange((d) => (d.storeAndForwardConfiguration.timeToLiveSecs = -1))).value!.storeAndForwardTimeToLiveSecs).toBe(-1);
  });

  it('reads storeLimits.maxSizeBytes and leaves it out when absent', () => {
    expect(validateEdgeHubDesired(withChange((d) => (d.storeAndForwardConfiguration.storeLimits = { maxSizeBytes: 1000000 }))).value!.storeMaxSizeBytes).toBe(1000000);
    expect(validateEdgeHubDesired(hubDesired()).value!.storeMaxSizeBytes).toBeUndefined();
  });

  it('ignores twin metadata', () => {
    expect(validateEdgeHubDesired({ ...hubDesired(), $version: 2 }).status).toBe(200);
  });

  it('skips a blank string route with a warning, as edgeHub does', () => {
    const r = validateEdgeHubDesired(withChange((d) => (d.routes.blank = '  ')));
    expect(r.status).toBe(200);
    expect(r.value!.routes.map((x) => x.name)).toEqual(['toFilter', 'up']);
    expect(r.warnings).toEqual(['route "blank" is blank and is ignored']);
  });

  it.each(['1.0', '1.1', '1.2', '1.3', '1.1.0'])('accepts schemaVersion %s', (v) => {
    const r = validateEdgeHubDesired(withChange((d) => ((d.schemaVersion = v), v === '1.0' && delete d.routes.toFilter)));
    expect(r.status).toBe(200);
  });

  it.each([['1.4'], ['2.0'], ['1'], ['x'], [1.1]])('reports 400 (never 412: edgeHub only reports 200/400) for schemaVersion %j', (v) => {
    const r = validateEdgeHubDesired(withChange((d) => (d.schemaVersion = v)));
    expect(r.status).toBe(400);
    expect(r.errors.map((e) => e.path)).toEqual(['/schemaVersion']);
  });

  it.each<[string, (d: Json) => void, string, string]>([
    ['schemaVersion missing', (d) => delete d.schemaVersion, '/schemaVersion', 'missing'],
    ['routes missing', (d) => delete d.routes, '/routes', 'missing'],
    ['an object route in schema 1.0', (d) => (d.schemaVersion = '1.0'), '/routes/toFilter', 'schema 1.0 only allows routes written as strings'],
    ['priority above 9', (d) => (d.routes.toFilter.priority = 10), '/routes/toFilter/priority', '≤ 9'],
    ['priority negative', (d) => (d.routes.toFilter.priority = -1), '/routes/toFilter/priority', '≥ 0'],
    ['priority fractional', (d) => (d.routes.toFilter.priority = 1.5), '/routes/toFilter/priority', 'integer'],
    ['route TTL negative', (d) => (d.routes.toFilter.timeToLiveSecs = -5), '/routes/toFilter/timeToLiveSecs', '≥ 0'],
    ['object route without route text', (d) => delete d.routes.toFilter.route, '/routes/toFilter/route', 'missing'],
    ['route a number', (d) => (d.routes.n = 5), '/routes/n', 'string'],
    ['route name with a dot (1.1+)', (d) => (d.routes['a.b'] = d.routes.up), '/routes/a.b', 'not allowed'],
    ['route name empty', (d) => (d.routes[''] = d.routes.up), '/routes/', 'empty'],
    ['route with a syntax error', (d) => (d.routes.up = 'FROM /messages/* WHERE a = INTO $upstream'), '/routes/up', 'at character'],
    ['route without FROM', (d) => (d.routes.up = 'INTO $upstream'), '/routes/up', 'FROM'],
    ['route to an unknown system endpoint', (d) => (d.routes.up = 'FROM /messages/* INTO $downstream'), '/routes/up', '$upstream'],
    ['route to a malformed BrokeredEndpoint', (d) => (d.routes.up = 'FROM /messages/* INTO BrokeredEndpoint("/modules/x")'), '/routes/up', 'BrokeredEndpoint'],
    ['object route with empty text', (d) => (d.routes.toFilter.route = ''), '/routes/toFilter/route', 'empty'],
    ['store-and-forward TTL fractional', (d) => (d.storeAndForwardConfiguration.timeToLiveSecs = 1.5), '/storeAndForwardConfiguration/timeToLiveSecs', 'integer'],
    ['storeLimits negative', (d) => (d.storeAndForwardConfiguration.storeLimits = { maxSizeBytes: -1 }), '/storeAndForwardConfiguration/storeLimits/maxSizeBytes', '≥ 0'],
  ])('reports 400 for %s', (_rule, change, path, words) => {
    const r = validateEdgeHubDesired(withChange(change));
    expect(r.status).toBe(400);
    const issue = r.errors.find((e) => e.path === path);
    expect(issue, JSON.stringify(r.errors)).toBeDefined();
    expect(issue!.message).toContain(words);
  });

  // Json.NET ignores members the edgeHub reader does not know: accepted, with a warning naming the pointer.
  it.each<[string, (d: Json) => void, string]>([
    ['an object route with an unknown field', (d) => (d.routes.toFilter.ttl = 5), '/routes/toFilter/ttl'],
    ['a _comment in an object route', (d) => (d.routes.toFilter._comment = 'why'), '/routes/toFilter/_comment'],
    ['mqttBroker before 1.2', (d) => (d.mqttBroker = {}), '1.2'],
    ['integrity before 1.3', (d) => ((d.schemaVersion = '1.2'), (d.integrity = {})), '1.3'],
  ])('accepts %s with a warning, as edgeHub ignores it', (_rule, change, words) => {
    const r = validateEdgeHubDesired(withChange(change));
    expect(r.errors).toEqual([]);
    expect(r.status).toBe(200);
    expect(r.warnings.join('\n')).toContain(words);
  });

  it('accepts mqttBroker from 1.2 and integrity from 1.3', () => {
    expect(validateEdgeHubDesired(withChange((d) => ((d.schemaVersion = '1.2'), (d.mqttBroker = { bridges: [], authorizations: [] })))).status).toBe(200);
    expect(validateEdgeHubDesired(withChange((d) => ((d.schemaVersion = '1.3'), (d.integrity = {})))).status).toBe(200);
  });

  it.each([null, undefined, [], 'routes'])('reports 400 for desired properties that are %j', (desired) => {
    expect(validateEdgeHubDesired(desired).status).toBe(400);
  });
});
