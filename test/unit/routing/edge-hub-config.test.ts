import { describe, expect, it } from 'vitest';
import { compileEdgeHubDesired, type CompiledRouteSet } from '../../../runtime/routing/edge-hub-config.js';
import { matchRoutes } from '../../../runtime/routing/match-routes.js';
import { encodeClientKey, desiredStatus } from '../../../runtime/routing/edge-hub-reported.js';
import { inputDeliveryProperties, toRoutingMessage } from '../../../runtime/routing/hub-message-mapping.js';
import type { HubMessage } from '../../../runtime/hub/index.js';

const compiled = (desired: unknown): CompiledRouteSet => {
  const r = compileEdgeHubDesired(desired);
  if (r.ok !== true) throw new Error(JSON.stringify(r));
  return r.config;
};

describe('compileEdgeHubDesired', () => {
  it('compiles string and object routes with priority and effective TTL', () => {
    const cfg = compiled({
      $version: 4,
      schemaVersion: '1.1',
      routes: {
        plain: 'FROM /messages/* INTO $upstream',
        fast: { route: 'FROM /messages/modules/a/* INTO BrokeredEndpoint("/modules/b/inputs/i")', priority: 0, timeToLiveSecs: 30 },
        inherit: { route: 'FROM /messages/modules/c/* INTO $upstream', priority: 9, timeToLiveSecs: 0 },
      },
      storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
    });
    expect(cfg.routes.map((r) => [r.name, r.priority, r.ttlSecs])).toEqual([
      ['fast', 0, 30],
      ['inherit', 9, 7200],
      ['plain', 2000000000, 7200],
    ]);
  });

  it('treats a negative store-and-forward TTL as infinite', () => {
    const cfg = compiled({ schemaVersion: '1.0', routes: { r: 'FROM /* INTO $upstream' }, storeAndForwardConfiguration: { timeToLiveSecs: -1 } });
    expect(cfg.storeAndForwardTtlSecs).toBeUndefined();
    expect(cfg.routes[0]?.ttlSecs).toBeUndefined();
  });

  it.each([
    [{ schemaVersion: '1.1', routes: { bad: 'FROM /* WHERE temp > 3 INTO $upstream' } }, 'route "bad"'],
    [{ schemaVersion: '1.1', routes: { bad: 'FROM /* INTO $somewhere' } }, '"$somewhere"'],
    [{ schemaVersion: '2.0', routes: {} }, 'schemaVersion'],
    [{ schemaVersion: '1.1', routes: { r: { route: 'FROM /* INTO $upstream', priority: 12 } } }, 'priority'],
    [{ schemaVersion: '1.0', routes: { r: { route: 'FROM /* INTO $upstream' } } }, 'routes'],
    ['not an object', 'JSON object'],
  ])('refuses %j as a whole with a description naming %s', (desired, fragment) => {
    const r = compileEdgeHubDesired(desired);
    expect(r.ok).toBe(false);
    if (r.ok === false) {
      expect(r.description).toMatch(/^Error while parsing desired properties - /);
      expect(r.description).toContain(fragment);
    }
  });

  it('calls a desired section with only twin metadata empty', () => {
    expect(compileEdgeHubDesired({ $version: 1 })).toEqual({ ok: 'empty' });
  });
});

describe('matchRoutes', () => {
  const msg = (moduleId: string, outputName: string): HubMessage => ({
    deviceId: 'd',
    moduleId,
    outputName,
    body: Buffer.from('{"t":5}'),
    systemProperties: { ct: 'application/json', ce: 'utf-8' },
    properties: {},
    enqueuedTimeUtc: '2026-01-01T00:00:00Z',
  });

  it('delivers once per endpoint, priority and TTL', () => {
    const cfg = compiled({
      schemaVersion: '1.1',
      routes: {
        a: 'FROM /messages/* INTO BrokeredEndpoint("/modules/x/inputs/i")',
        b: 'FROM /messages/modules/m/* INTO BrokeredEndpoint("/modules/x/inputs/i")',
        c: { route: 'FROM /* WHERE $body.t = 5 INTO BrokeredEndpoint("/modules/x/inputs/i")', priority: 1 },
        d: 'FROM /messages/modules/other/* INTO $upstream',
      },
    });
    const targets = matchRoutes(cfg.routes, toRoutingMessage(msg('m', 'o')));
    expect(targets.map((t) => [t.endpoint, t.priority])).toEqual([
      ['/modules/x/inputs/i', 2000000000],
      ['/modules/x/inputs/i', 1],
    ]);
  });
});

describe('message mapping', () => {
  const m: HubMessage = {
    deviceId: 'd',
    moduleId: 'm',
    outputName: 'o',
    body: Buffer.from('x'),
    systemProperties: { mid: '1', cid: '2', ct: 'text/plain', ce: 'utf-8', on: 'o', cdid: 'spoof', cmid: 'spoof' },
    properties: { a: 'b' },
    enqueuedTimeUtc: '2026-01-01T00:00:00Z',
  };

  it('names system properties as conditions see them and takes the connection identity from the hub', () => {
    expect(toRoutingMessage(m).systemProperties).toEqual({
      messageId: '1',
      correlationId: '2',
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      outputName: 'o',
      connectionDeviceId: 'd',
      connectionModuleId: 'm',
      enqueuedTime: '2026-01-01T00:00:00Z',
    });
  });

  it('builds the input property bag with the sender as cdid/cmid and without the output name', () => {
    expect(inputDeliveryProperties(m)).toEqual({
      systemProperties: { mid: '1', cid: '2', ct: 'text/plain', ce: 'utf-8', cdid: 'd', cmid: 'm' },
      properties: { a: 'b' },
      propertyBag: '%24.mid=1&%24.cid=2&%24.ct=text%2Fplain&%24.ce=utf-8&%24.cdid=d&%24.cmid=m&a=b',
    });
  });

  it('adds the system properties the hub sets to the bag, after the sender’s', () => {
    const d = inputDeliveryProperties({ ...m, systemProperties: { ct: 'application/json', ce: 'utf-8' } }, { messageType: 'twinChangeNotification' });
    expect(d.systemProperties).toEqual({ ct: 'application/json', ce: 'utf-8', cdid: 'd', cmid: 'm', messageType: 'twinChangeNotification' });
    expect(d.propertyBag).toBe('%24.ct=application%2Fjson&%24.ce=utf-8&%24.cdid=d&%24.cmid=m&%24.messageType=twinChangeNotification&a=b');
  });
});

describe('$edgeHub reported helpers', () => {
  it.each([
    ['dev/mod', 'dev/mod'],
    ['dev/$edgeAgent', 'dev/%24edgeAgent'],
    ['my.dev/a b', 'my%2Edev/a%20b'],
  ])('encodes the client key %s as %s', (id, key) => {
    expect(encodeClientKey(id)).toBe(key);
  });

  it('truncates a long 400 description to fit a twin string value', () => {
    const s = desiredStatus(false, 'x'.repeat(10_000));
    expect(s.code).toBe(400);
    expect(Buffer.byteLength(s.description)).toBeLessThanOrEqual(4000);
  });
});
