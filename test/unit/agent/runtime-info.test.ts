import { describe, expect, it } from 'vitest';
import { startupOrderSatisfied, type CurrentModule } from '../../../runtime/agent/runtime-info.js';
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
