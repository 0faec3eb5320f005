import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../runtime/service-api/route-table.js';

describe('matchRoute', () => {
  it.each([
    ['GET', '/devices', 'listDevices', {}],
    ['POST', '/devices/query', 'queryDevices', {}],
    ['POST', '/devices/Query/', 'queryDevices', {}],
    ['PUT', '/devices/dev1', 'putDevice', { deviceId: 'dev1' }],
    ['GET', '/devices/dev1/', 'getDevice', { deviceId: 'dev1' }],
    ['DELETE', '/devices/dev1', 'deleteDevice', { deviceId: 'dev1' }],
    ['GET', '/devices/dev1/modules', 'listModules', { deviceId: 'dev1' }],
    ['PUT', '/devices/dev1/modules/%24edgeAgent', 'putModule', { deviceId: 'dev1', moduleId: '$edgeAgent' }],
    ['POST', '/devices/gw%3A1/applyConfigurationContent', 'applyConfigurationContent', { deviceId: 'gw:1' }],
    ['POST', '/devices/dev1/applyconfigurationcontent', 'applyConfigurationContent', { deviceId: 'dev1' }],
    ['POST', '/devices/dev1/messages/deviceBound', 'sendC2d', { deviceId: 'dev1' }],
    ['GET', '/twins/dev1', 'getTwin', { deviceId: 'dev1' }],
    ['PATCH', '/twins/dev1', 'patchTwin', { deviceId: 'dev1' }],
    ['PUT', '/twins/dev1', 'replaceTwin', { deviceId: 'dev1' }],
    ['GET', '/twins/dev1/modules/modA', 'getModuleTwin', { deviceId: 'dev1', moduleId: 'modA' }],
    ['PATCH', '/twins/dev1/modules/modA', 'patchModuleTwin', { deviceId: 'dev1', moduleId: 'modA' }],
    ['PUT', '/twins/dev1/modules/modA', 'replaceModuleTwin', { deviceId: 'dev1', moduleId: 'modA' }],
    ['POST', '/twins/dev1/methods', 'invokeDeviceMethod', { deviceId: 'dev1' }],
    ['POST', '/twins/dev1/modules/modA/methods', 'invokeModuleMethod', { deviceId: 'dev1', moduleId: 'modA' }],
    ['GET', '/configurations', 'listConfigurations', {}],
    ['POST', '/configurations/testQueries', 'testConfigurationQueries', {}],
    ['PUT', '/configurations/prod-base%3Av1', 'putConfiguration', { configurationId: 'prod-base:v1' }],
    ['GET', '/configurations/prod-base', 'getConfiguration', { configurationId: 'prod-base' }],
    ['DELETE', '/configurations/prod-base', 'deleteConfiguration', { configurationId: 'prod-base' }],
    ['GET', '/messages/events', 'recentEvents', {}],
    ['GET', '/messages/events/stream', 'streamEvents', {}],
  ])('routes %s %s to %s', (method, path, route, params) => {
    expect(matchRoute(method, path)).toEqual({ kind: 'match', route, params });
  });

  it.each([['/'], ['/nothing'], ['/devices/a/b/c/d/e'], ['/twins'], ['/twins/dev1/modules']])('answers not-found for %s', (path) => {
    expect(matchRoute('GET', path).kind).toBe('not-found');
  });

  it('lists the allowed methods when the path exists but the method does not', () => {
    expect(matchRoute('DELETE', '/twins/dev1')).toEqual({ kind: 'method-not-allowed', allowed: ['GET', 'PATCH', 'PUT'] });
  });

  it.each([
    ['/devices/%E0%A4%A', 'not valid percent-encoding'],
    ['/twins/%20x/modules/', 'not-found'],
    [`/devices/${'a'.repeat(129)}`, 'longer than 128'],
  ])('refuses the malformed path %s', (path, why) => {
    const m = matchRoute('GET', path);
    if (why === 'not-found') expect(m.kind).toBe('not-found');
    else expect(m).toMatchObject({ kind: 'bad-path', reason: expect.stringContaining(why) });
  });

  it('refuses an empty id', () => {
    expect(matchRoute('GET', '/twins//modules/x')).toEqual({ kind: 'bad-path', reason: 'an id in the path is empty' });
  });
});
