import { describe, expect, it } from 'vitest';
import { moduleSetOf } from '../../../runtime/agent/module-set.js';
import { planReconcile } from '../../../runtime/agent/planner.js';
import { current, RecordingCommandFactory, runtime, spec } from './helpers.js';

async function run(desired: ReturnType<typeof spec>[], cur: ReturnType<typeof current>): Promise<string[]> {
  const factory = new RecordingCommandFactory();
  const plan = planReconcile({ desired: moduleSetOf(desired), current: cur }, factory);
  for (const c of plan) await c.execute(new AbortController().signal);
  return factory.executed;
}

describe('planReconcile', () => {
  it('plans nothing when the cluster already matches', async () => {
    expect(await run([spec('a'), spec('b')], current(spec('a'), spec('b')))).toEqual([]);
  });

  it('creates modules group by group in ascending startupOrder, waiting for each group before the next', async () => {
    const desired = [spec('late'), spec('first', { startupOrder: 0 }), spec('second-b', { startupOrder: 1 }), spec('second-a', { startupOrder: 1 })];
    expect(await run(desired, current())).toEqual([
      'create first',
      'wait-ready first',
      'create second-a',
      'create second-b',
      'wait-ready second-a,second-b',
      'create late',
    ]);
  });

  it('does not wait for a group when no later group has work', async () => {
    expect(await run([spec('a', { startupOrder: 0 }), spec('b', { startupOrder: 5 })], current(spec('b', { startupOrder: 5 })))).toEqual([
      'create a',
    ]);
  });

  it('removes, creates, updates and changes status within a group in that order', async () => {
    const desired = [spec('new'), spec('changed', { image: 'example/changed:2.0' }), spec('paused', { status: 'stopped' })];
    const cur = current(spec('gone'), spec('changed'), spec('paused'));
    expect(await run(desired, cur)).toEqual(['remove gone', 'create new', 'update changed', 'stop paused']);
  });

  it('prunes a removed module in the group of its current startupOrder', async () => {
    const cur = current(spec('a', { startupOrder: 0 }), spec('z', { startupOrder: 9 }));
    expect(await run([spec('a', { startupOrder: 0 }), spec('n', { startupOrder: 5 })], cur)).toEqual(['create n', 'remove z']);
  });

  it('starts a module whose status changed to running without recreating it', async () => {
    expect(await run([spec('a')], current(spec('a', { status: 'stopped' })))).toEqual(['start a']);
  });

  it('creates a module desired stopped (at zero replicas) and does not wait for it', async () => {
    expect(await run([spec('s', { status: 'stopped', startupOrder: 0 }), spec('b', { startupOrder: 1 })], current())).toEqual([
      'create s',
      'create b',
    ]);
  });

  it('scales a module back when someone changed its replicas by hand', async () => {
    expect(await run([spec('a')], current({ spec: spec('a'), replicas: 0 }))).toEqual(['start a']);
    expect(await run([spec('a', { status: 'stopped' })], current({ spec: spec('a', { status: 'stopped' }), replicas: 3 }))).toEqual(['stop a']);
  });

  it('stops a module under restart policy never after it exited', async () => {
    const a = spec('a', { restartPolicy: 'never' });
    const cur = current({ spec: a, replicas: 1, runtime: runtime({ runtimeStatus: 'backoff', hasExited: true, exitCode: 1 }) });
    expect(await run([a], cur)).toEqual(['stop-by-policy a (failed)']);
  });

  it('leaves a module the agent stopped by policy stopped while its deployment is unchanged', async () => {
    const a = spec('a', { restartPolicy: 'never' });
    const cur = current({
      spec: a,
      replicas: 0,
      agentStop: { runtimeStatus: 'failed', statusDescription: '', exitCode: 1, lastExitTimeUtc: '', restartCount: 0 },
    });
    expect(await run([a], cur)).toEqual([]);
  });

  it('starts a module the agent stopped by policy when a new deployment updates it', async () => {
    const a = spec('a', { restartPolicy: 'never' });
    const cur = current({ spec: a, replicas: 0, agentStop: { runtimeStatus: 'failed', statusDescription: '', exitCode: 1, lastExitTimeUtc: '', restartCount: 0 } });
    expect(await run([spec('a', { restartPolicy: 'never', version: '2.0' })], cur)).toEqual(['update a']);
  });

  it('stops a module whose restart budget is spent', async () => {
    const cur = current({ spec: spec('a'), replicas: 1, runtime: runtime({ runtimeStatus: 'backoff', hasExited: true, exitCode: 1, restartCount: 20 }) });
    expect(await run([spec('a')], cur)).toEqual(['stop-by-policy a (failed)']);
  });

  it('applies a module again when its workload was edited by hand', async () => {
    expect(await run([spec('a')], current({ spec: spec('a'), replicas: 1, drifted: 'image changed to x:9' }))).toEqual(['update a']);
  });
});
