import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { EnvironmentUnavailableError, OrderedRetryPlanRunner, PlanExecutionError } from '../../../runtime/agent/plan-runner.js';
import { FakeClock, RecordingCommandFactory, spec } from './helpers.js';

const signal = () => new AbortController().signal;

describe('OrderedRetryPlanRunner', () => {
  it('runs every command in order and keeps going after a failure', async () => {
    const f = new RecordingCommandFactory();
    f.failing.add('create b');
    const runner = new OrderedRetryPlanRunner({ clock: new FakeClock(), logger: silentLogger() });
    const error = await runner.execute('1', [f.create(spec('a')), f.create(spec('b')), f.create(spec('c'))], signal()).catch((e) => e);
    expect(f.executed).toEqual(['create a', 'create b', 'create c']);
    expect(error).toBeInstanceOf(PlanExecutionError);
    expect(error.message).toContain('create b failed: boom');
  });

  it('skips a failing command while it cools off (10 s, then 20 s) and retries after', async () => {
    const clock = new FakeClock();
    const f = new RecordingCommandFactory();
    f.failing.add('create b');
    const runner = new OrderedRetryPlanRunner({ clock, logger: silentLogger() });
    const plan = () => [f.create(spec('b'))];
    await runner.execute('1', plan(), signal()).catch(() => undefined);
    await clock.advance(9_999);
    const skipped = await runner.execute('1', plan(), signal()).catch((e) => e);
    expect(skipped.failures[0]).toMatchObject({ skipped: true, failures: 1 });
    expect(f.executed).toEqual(['create b']);
    await clock.advance(1);
    await runner.execute('1', plan(), signal()).catch(() => undefined);
    expect(f.executed).toEqual(['create b', 'create b']);
    expect(runner.nextRetryAtMs()).toBe(clock.now() + 20_000);
  });

  it('forgets failure statistics when the deployment changes', async () => {
    const clock = new FakeClock();
    const f = new RecordingCommandFactory();
    f.failing.add('create b');
    const runner = new OrderedRetryPlanRunner({ clock, logger: silentLogger() });
    await runner.execute('1', [f.create(spec('b'))], signal()).catch(() => undefined);
    await runner.execute('2', [f.create(spec('b'))], signal()).catch(() => undefined);
    expect(f.executed).toEqual(['create b', 'create b']);
  });

  it('stops the plan when the environment is unreachable, without counting it against the command', async () => {
    const clock = new FakeClock();
    const runner = new OrderedRetryPlanRunner({ clock, logger: silentLogger() });
    let calls = 0;
    const down = {
      id: 'x',
      kind: 'create' as const,
      modules: ['a'],
      describe: () => 'create a',
      execute: async () => {
        calls += 1;
        throw new EnvironmentUnavailableError('connect ECONNREFUSED');
      },
    };
    const f = new RecordingCommandFactory();
    await expect(runner.execute('1', [down, f.create(spec('b'))], signal())).rejects.toBeInstanceOf(EnvironmentUnavailableError);
    await expect(runner.execute('1', [down], signal())).rejects.toBeInstanceOf(EnvironmentUnavailableError);
    expect(calls).toBe(2);
    expect(f.executed).toEqual([]);
    expect(runner.nextRetryAtMs()).toBeUndefined();
  });
});
