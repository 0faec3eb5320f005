import { describe, expect, it } from 'vitest';
import { allModulesRunning, describeDeviceList, describeFleetProgress, MAX_FLEET_DEVICES, planFleet } from '../../../runtime/agent/fleet-plan.js';

describe('planFleet', () => {
  it.each<[string, Parameters<typeof planFleet>[0], string[]]>([
    ['one device, the default prefix', { devices: '1' }, ['edge-1']],
    ['ids zero-padded to the width of N', { devices: '10' }, ['edge-01', 'edge-02', 'edge-03', 'edge-04', 'edge-05', 'edge-06', 'edge-07', 'edge-08', 'edge-09', 'edge-10']],
    ['a prefix of any legal id characters', { devices: '2', prefix: "gw.site-a:(1)=@$'_" }, ["gw.site-a:(1)=@$'_1", "gw.site-a:(1)=@$'_2"]],
    ['an empty prefix: numbers only', { devices: '3', prefix: '' }, ['1', '2', '3']],
  ])('names %s', (_what, flags, ids) => {
    expect(planFleet(flags).deviceIds).toEqual(ids);
  });

  it(`names ${MAX_FLEET_DEVICES} devices at most, edge-0001 to edge-${MAX_FLEET_DEVICES}`, () => {
    const { deviceIds } = planFleet({ devices: String(MAX_FLEET_DEVICES) });
    expect(deviceIds).toHaveLength(MAX_FLEET_DEVICES);
    expect([deviceIds[0], deviceIds.at(-1)]).toEqual(['edge-0001', `edge-${MAX_FLEET_DEVICES}`]);
    expect(new Set(deviceIds).size).toBe(MAX_FLEET_DEVICES);
  });

  it('takes tags as a JSON object', () => {
    expect(planFleet({ devices: '2', tags: '{"env":"prod","site":{"name":"a"}}' }).tags).toEqual({ env: 'prod', site: { name: 'a' } });
    expect(planFleet({ devices: '2' }).tags).toBeUndefined();
  });

  it.each<[string, Parameters<typeof planFleet>[0], RegExp]>([
    ['zero devices', { devices: '0' }, /at least 1, got 0/],
    ['a negative count', { devices: '-3' }, /whole number from 1 to 1000, got "-3"/],
    ['a fraction', { devices: '2.5' }, /whole number/],
    ['not a number', { devices: 'many' }, /whole number/],
    ['an empty count', { devices: '' }, /whole number/],
    ['a huge count', { devices: '1000000' }, /1000000 is more than 1000/],
    ['a prefix with a space', { devices: '2', prefix: 'my edge' }, /--device-prefix "my edge" makes device ids such as "my edge2" that IoT Hub refuses/],
    ['a prefix with a slash', { devices: '2', prefix: 'a/b-' }, /IoT Hub refuses/],
    ['a prefix too long for 128 characters', { devices: '10', prefix: 'x'.repeat(127) }, /IoT Hub refuses: ids are 1-128 characters/],
    ['malformed tags JSON', { devices: '2', tags: '{env:prod}' }, /--tags must be a JSON object such as/],
    ['tags that are an array', { devices: '2', tags: '["prod"]' }, /not an array/],
    ['tags that are a string', { devices: '2', tags: '"prod"' }, /not "prod"/],
    ['tags over IoT Hub\'s 8 KB', { devices: '2', tags: JSON.stringify({ big: 'x'.repeat(9000) }) }, /twin rules: .*8192 bytes/],
    ['a tag key with a dot', { devices: '2', tags: '{"a.b":1}' }, /twin rules: a\.b/],
  ])('refuses %s with a usage error', (_what, flags, message) => {
    expect(() => planFleet(flags)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(message) }));
  });
});

describe('describeDeviceList', () => {
  it.each([
    [['a'], 'a'],
    [['a', 'b', 'c', 'd', 'e'], 'a, b, c, d, e'],
    [Array.from({ length: 100 }, (_, i) => `edge-${String(i + 1).padStart(3, '0')}`), 'edge-001, edge-002 … edge-100 (100 devices)'],
  ])('prints %j as %j', (ids, text) => {
    expect(describeDeviceList(ids)).toBe(text);
  });
});

describe('describeFleetProgress', () => {
  const running = { lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'running' } } };
  it('counts devices whose report says status 200 and every module running', () => {
    const reports = new Map<string, Record<string, unknown> | undefined>([
      ['d1', running],
      ['d2', { lastDesiredStatus: { code: 200 }, modules: { a: { runtimeStatus: 'running' }, b: { runtimeStatus: 'backoff' } } }],
      ['d3', { lastDesiredStatus: { code: 400 }, modules: { a: { runtimeStatus: 'running' } } }],
      ['d4', undefined],
    ]);
    expect(describeFleetProgress(reports)).toBe('fleet: 1 of 4 devices report all modules running (1 with deployment status other than 200)');
  });

  it.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['every module running', running, true],
    ['no report', undefined, false],
    ['no modules', { lastDesiredStatus: { code: 200 }, modules: {} }, false],
    ['modules that are not an object', { lastDesiredStatus: { code: 200 }, modules: 'x' }, false],
    ['status 500', { ...running, lastDesiredStatus: { code: 500 } }, false],
  ])('allModulesRunning: %s → %s', (_what, reported, expected) => {
    expect(allModulesRunning(reported)).toBe(expected);
  });
});
