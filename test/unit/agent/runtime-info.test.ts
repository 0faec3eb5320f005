import { describe, expect, it } from 'vitest';
import { imageHashOf, reportedTime, startupOrderSatisfied, UNKNOWN_TIME, type CurrentModule } from '../../../runtime/agent/runtime-info.js';
import { runtime, spec } from './helpers.js';

const module = (over: Partial<CurrentModule>): CurrentModule => ({ spec: spec('m'), replicas: 1, ...over });

describe('startupOrderSatisfied (when the next startupOrder group may start)', () => {
  it.each<[string, CurrentModule | undefined, boolean]>([
    ['the module does not exist yet', undefined, false],
    ['it has no pod yet', module({}), false],
    ['its pod is being created', module({ runtime: runtime({ runtimeStatus: 'unknown', ready: false }) }), false],
    ['its pod is Ready', module({ runtime: runtime({ ready: true }) }), true],
    ['it crashed and is in back-off (waiting will not make it Ready)', module({ runtime: runtime({ runtimeStatus: 'backoff', ready: false, hasExited: true }) }), true],
    ['it ran and exited', module({ runtime: runtime({ runtimeStatus: 'failed', ready: false, hasExited: true }) }), true],
    [
      'the agent stopped it under its restart policy',
      module({ replicas: 0, agentStop: { runtimeStatus: 'failed', statusDescription: 'x', exitCode: 1, lastExitTimeUtc: '0001-01-01T00:00:00Z', restartCount: 0 } }),
      true,
    ],
  ])('when %s: %s', (_what, m, expected) => {
    expect(startupOrderSatisfied(m)).toBe(expected);
  });
});

describe('reportedTime (times as edgeAgent writes them into the twin)', () => {
  it.each([
    ['2026-12-01T23:27:28.000Z', '2026-12-01T23:27:28'],
    ['2026-12-01T23:27:28Z', '2026-12-01T23:27:28'],
    ['2026-12-01T23:27:28.100Z', '2026-12-01T23:27:28.1'],
    ['2026-12-01T23:27:28.123Z', '2026-12-01T23:27:28.123'],
    ['2026-12-02T01:27:28+02:00', '2026-12-01T23:27:28'],
    [UNKNOWN_TIME, '0001-01-01T00:00:00'],
    ['not a time', '0001-01-01T00:00:00'],
  ])('%s → %s', (input, expected) => {
    expect(reportedTime(input)).toBe(expected);
  });
});

describe('imageHashOf (settings.imageHash from a pod image ID)', () => {
  const hex = '0123456789abcdef'.repeat(4);
  it.each([
    [`sha256:${hex}`, `sha256:${hex}`],
    [`docker.io/library/busybox@sha256:${hex}`, `sha256:${hex}`],
    [`docker-pullable://example/m@sha256:${hex}`, `sha256:${hex}`],
    ['', ''],
    [undefined, ''],
    ['sha256:short', ''],
  ])('%s → %s', (input, expected) => {
    expect(imageHashOf(input)).toBe(expected);
  });
});
