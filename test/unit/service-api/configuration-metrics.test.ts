import { describe, expect, it } from 'vitest';
import { countMetrics, systemMetricQueries } from '../../../runtime/service-api/configuration-metrics.js';
import type { QueryCollection } from '../../../runtime/query/index.js';

const device = (deviceId: string, tags: Record<string, unknown>, iotEdge = true) => ({ deviceId, tags, capabilities: { iotEdge }, properties: { desired: {}, reported: {} } });
const agent = (deviceId: string, status: string | undefined, desiredVersion: number, reported: Record<string, unknown>) => ({
  deviceId,
  moduleId: '$edgeAgent',
  ...(status ? { configurations: { 'prod-base': { status } } } : {}),
  properties: { desired: { $version: desiredVersion }, reported },
});
const devices = [device('a', { env: 'prod' }), device('b', { env: 'prod' }), device('c', { env: 'dev' }), device('leaf', { env: 'prod' }, false)];
const modules = [
  agent('a', 'Applied', 3, { lastDesiredVersion: 3, lastDesiredStatus: { code: 200 } }),
  agent('b', 'Applied', 4, { lastDesiredVersion: 4, lastDesiredStatus: { code: 417 } }),
  agent('c', 'Targeted', 2, { lastDesiredVersion: 2, lastDesiredStatus: { code: 200 } }),
  { deviceId: 'a', moduleId: 'sensor', configurations: { 'prod-base': { status: 'Applied' } }, properties: { desired: {}, reported: {} } },
];
const source = (c: QueryCollection) => (c === 'devices' ? devices : modules);

describe('deployment metrics', () => {
  it.each<[string, string, Record<string, number>]>([
    ['a tag condition', "tags.env='prod'", { targetedCount: 2, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 1 }],
    ['every device', '*', { targetedCount: 3, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 1 }],
    ['no condition', '', { targetedCount: 0, appliedCount: 2, reportedSuccessfulCount: 1, reportedFailedCount: 1 }],
  ])('counts the system metrics for %s', (_what, condition, expected) => {
    expect(countMetrics(systemMetricQueries('prod-base', condition), source)).toEqual(expected);
  });

  it('does not count an agent that has not reported the current desired version', () => {
    const stale = [agent('a', 'Applied', 5, { lastDesiredVersion: 4, lastDesiredStatus: { code: 200 } })];
    expect(countMetrics(systemMetricQueries('prod-base', '*'), (c) => (c === 'devices' ? devices : stale))).toMatchObject({ appliedCount: 1, reportedSuccessfulCount: 0, reportedFailedCount: 0 });
  });

  it('counts custom metric queries and marks one that does not parse with -1', () => {
    expect(countMetrics({ prod: "SELECT deviceId FROM devices WHERE tags.env = 'prod'", broken: 'SELECT FROM' }, source)).toEqual({ prod: 3, broken: -1 });
  });
});
