import { describe, expect, it } from 'vitest';
import {
  agentStopDecision,
  applyIntensiveCare,
  computeStatusFromRestartPolicy,
  coolOffMs,
  effectiveRuntimeInfo,
  isCoolOffOver,
} from '../../../runtime/agent/restart-policy.js';
import type { RestartPolicy } from '../../../runtime/manifest/model.js';
import type { CurrentState, ModuleRuntimeInfo, RuntimeStatus } from '../../../runtime/agent/runtime-info.js';
import { runtime, spec } from './helpers.js';

describe('restart policy', () => {
  it.each([
    [0, 10_000],
    [1, 20_000],
    [2, 40_000],
    [3, 80_000],
    [4, 160_000],
    [5, 300_000],
    [6, 300_000],
    [50, 300_000],
  ])('cools off %i restarts for %i ms (10 s × 2ⁿ capped at 300 s)', (n, ms) => {
    expect(coolOffMs(n)).toBe(ms);
  });

  it('restarts at once when the clock went backwards', () => {
    expect(isCoolOffOver(3, 10_000, 5_000)).toBe(true);
  });

  it('waits out the cool-off measured from the last exit', () => {
    expect(isCoolOffOver(1, 0, 19_999)).toBe(false);
    expect(isCoolOffOver(1, 0, 20_000)).toBe(true);
  });

  const table: Array<[RestartPolicy, RuntimeStatus, number, RuntimeStatus]> = [
    ['never', 'stopped', 0, 'stopped'],
    ['never', 'failed', 0, 'failed'],
    ['on-failure', 'stopped', 0, 'stopped'],
    ['on-failure', 'failed', 0, 'backoff'],
    ['on-unhealthy', 'stopped', 0, 'stopped'],
    ['on-unhealthy', 'failed', 3, 'backoff'],
    ['always', 'stopped', 0, 'backoff'],
    ['always', 'failed', 19, 'backoff'],
    ['always', 'failed', 20, 'failed'],
    ['always', 'backoff', 25, 'failed'],
    ['always', 'running', 25, 'running'],
    ['on-failure', 'unknown', 0, 'unknown'],
  ];
  it.each(table)('under %s a %s module with %i restarts is reported %s', (policy, raw, count, expected) => {
    expect(computeStatusFromRestartPolicy(raw, policy, count)).toBe(expected);
  });

  it('stops a module under never once it has exited, keeping its exit code', () => {
    const decision = agentStopDecision({
      spec: spec('a', { restartPolicy: 'never' }),
      replicas: 1,
      runtime: runtime({ runtimeStatus: 'backoff', hasExited: true, exitCode: 3, lastExitTimeUtc: '2026-01-01T00:00:05.000Z' }),
    });
    expect(decision).toMatchObject({ runtimeStatus: 'failed', exitCode: 3, lastExitTimeUtc: '2026-01-01T00:00:05.000Z' });
  });

  it('judges a never module by its last exit even when the kubelet already runs it again', () => {
    const decision = agentStopDecision({
      spec: spec('a', { restartPolicy: 'never' }),
      replicas: 1,
      runtime: runtime({ runtimeStatus: 'running', hasExited: true, exitCode: 0, lastExitCode: 7, restartCount: 1 }),
    });
    expect(decision).toMatchObject({ runtimeStatus: 'failed', exitCode: 7 });
  });

  it('reports a clean exit under never as stopped', () => {
    const decision = agentStopDecision({ spec: spec('a', { restartPolicy: 'never' }), replicas: 1, runtime: runtime({ runtimeStatus: 'stopped', hasExited: true }) });
    expect(decision?.runtimeStatus).toBe('stopped');
  });

  it('leaves a crash-looping module to Kubernetes until the restart budget is spent', () => {
    const m = { spec: spec('a'), replicas: 1, runtime: runtime({ runtimeStatus: 'backoff' as const, hasExited: true, exitCode: 1, restartCount: 19 }) };
    expect(agentStopDecision(m)).toBeUndefined();
    expect(agentStopDecision({ ...m, runtime: { ...m.runtime, restartCount: 20 } })).toMatchObject({ runtimeStatus: 'failed' });
  });

  it('does not stop a module that is running again after restarts', () => {
    expect(agentStopDecision({ spec: spec('a'), replicas: 1, runtime: runtime({ hasExited: true, restartCount: 25 }) })).toBeUndefined();
  });

  it('reports the stop record of a module the agent stopped', () => {
    const info = effectiveRuntimeInfo({
      spec: spec('a', { restartPolicy: 'never' }),
      replicas: 0,
      agentStop: { runtimeStatus: 'failed', statusDescription: 'x', exitCode: 2, lastExitTimeUtc: 't', restartCount: 0 },
    });
    expect(info).toMatchObject({ runtimeStatus: 'failed', exitCode: 2, lastExitTimeUtc: 't' });
  });

  it('reports a module without a pod as stopped when it is desired stopped, unknown otherwise', () => {
    expect(effectiveRuntimeInfo({ spec: spec('a', { status: 'stopped' }), replicas: 0 }).runtimeStatus).toBe('stopped');
    expect(effectiveRuntimeInfo({ spec: spec('a'), replicas: 1 }).runtimeStatus).toBe('unknown');
  });

  it('applies the policy only to modules desired running', () => {
    const failed = runtime({ runtimeStatus: 'failed', hasExited: true, exitCode: 1 });
    expect(effectiveRuntimeInfo({ spec: spec('a'), replicas: 1, runtime: failed }).runtimeStatus).toBe('backoff');
    expect(effectiveRuntimeInfo({ spec: spec('a', { status: 'stopped' }), replicas: 1, runtime: failed }).runtimeStatus).toBe('failed');
  });

  it('describes an exited container the policy restarts as in back-off, and keeps the kubelet\'s own back-off reason', () => {
    const exited = runtime({ runtimeStatus: 'failed', statusDescription: 'Module Failed reason: Error', hasExited: true, exitCode: 3, restartCount: 2 });
    expect(effectiveRuntimeInfo({ spec: spec('a'), replicas: 1, runtime: exited })).toMatchObject({
      runtimeStatus: 'backoff',
      statusDescription: 'Module in Back-off reason: container exited with code 3, restart 3 after the cool-off',
    });
    const waiting = runtime({ runtimeStatus: 'backoff', statusDescription: 'Module in Back-off reason: CrashLoopBackOff', hasExited: true, exitCode: 3, restartCount: 2 });
    expect(effectiveRuntimeInfo({ spec: spec('a'), replicas: 1, runtime: waiting }).statusDescription).toBe('Module in Back-off reason: CrashLoopBackOff');
    expect(effectiveRuntimeInfo({ spec: spec('a', { restartPolicy: 'never' }), replicas: 1, runtime: exited }).statusDescription).toBe('Module Failed reason: Error');
  });

  it.each([
    ['on-failure', 0, 'stopped'],
    ['on-unhealthy', 0, 'stopped'],
    ['always', 0, 'backoff'],
    ['on-failure', 2, 'backoff'],
    ['never', 0, 'stopped'],
    ['never', 2, 'failed'],
  ] as const)('reports a container waiting to restart under %s after exit code %i as %s', (policy, exitCode, expected) => {
    const waiting = runtime({ runtimeStatus: 'backoff', hasExited: true, exitCode, restartCount: 1 });
    expect(effectiveRuntimeInfo({ spec: spec('a', { restartPolicy: policy }), replicas: 1, runtime: waiting }).runtimeStatus).toBe(expected);
  });
});

describe('applyIntensiveCare (IntensiveCareTimeInMinutes clears restart statistics)', () => {
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const min = 60_000;
  const at = (ms: number) => new Date(ms).toISOString();
  const state = (r: Partial<ModuleRuntimeInfo>) => ({ modules: new Map([['a', { spec: spec('a'), replicas: 1, runtime: runtime(r) }]]) });
  const countOf = (s: CurrentState) => s.modules.get('a')!.runtime!.restartCount;

  it.each<[string, Partial<ModuleRuntimeInfo>, number | undefined, number, number, number | undefined]>([
    // what, runtime, baseline before, now (min after T0), reported count, baseline after
    ['leaves a module that never ran 10 minutes as Kubernetes counts it', { restartCount: 5, lastStartTimeUtc: at(T0) }, undefined, 9, 5, undefined],
    ['clears the count of a module running for 10 minutes', { restartCount: 5, lastStartTimeUtc: at(T0) }, undefined, 10, 0, 5],
    ['counts only restarts since the last clearing', { runtimeStatus: 'backoff', restartCount: 7, lastStartTimeUtc: at(T0) }, 5, 60, 2, 5],
    ['forgets a baseline above the count (a new pod after an update)', { restartCount: 1, lastStartTimeUtc: at(T0) }, 5, 1, 1, undefined],
    ['does not clear a module that is not running', { runtimeStatus: 'backoff', restartCount: 3, lastStartTimeUtc: at(T0) }, undefined, 60, 3, undefined],
    ['does not clear on an unknown start time', { restartCount: 3, lastStartTimeUtc: '0001-01-01T00:00:00Z' }, undefined, 60, 3, undefined],
  ])('%s', (_what, r, before, nowMin, count, after) => {
    const { state: adjusted, baselines } = applyIntensiveCare(state(r), new Map(before === undefined ? [] : [['a', before]]), T0 + nowMin * min);
    expect(countOf(adjusted)).toBe(count);
    expect(baselines.get('a')).toBe(after);
  });

  it('keeps occasional crashes from reaching the restart budget (no policy stop after 25 restarts spread out)', () => {
    let baselines = new Map<string, number>();
    for (let crash = 1; crash <= 25; crash += 1) {
      const started = T0 + crash * 24 * 60 * min;
      // Up for a day (cleared), then a crash: the kubelet's count has grown by one.
      ({ baselines } = applyIntensiveCare(state({ restartCount: crash - 1, lastStartTimeUtc: at(started) }), baselines, started + 20 * min));
      const { state: crashed } = applyIntensiveCare(state({ runtimeStatus: 'backoff', hasExited: true, exitCode: 1, restartCount: crash, lastStartTimeUtc: at(started) }), baselines, started + 21 * min);
      expect(agentStopDecision(crashed.modules.get('a')!)).toBeUndefined();
      expect(countOf(crashed)).toBe(1);
    }
  });
});
