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

  it('runs the commands of one batch concurrently (bounded) and treats an unbatched command as a barrier', async () => {
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const gate: Array<() => void> = [];
    const cmd = (name: string, batch?: number) => ({
      id: name,
      kind: 'create' as const,
      modules: [name],
      ...(batch === undefined ? {} : { batch }),
      describe: () => name,
      execute: async () => {
        log.push(`start ${name}`);
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => gate.push(r));
        active -= 1;
        log.push(`end ${name}`);
      },
    });
    const runner = new OrderedRetryPlanRunner({ clock: new FakeClock(), logger: silentLogger(), concurrency: 2 });
    const done = runner.execute('1', [cmd('a', 0), cmd('b', 0), cmd('c', 0), cmd('wait'), cmd('d', 1)], signal());
    const release = async () => {
      await new Promise((r) => setImmediate(r));
      gate.shift()?.();
    };
    for (let i = 0; i < 5; i += 1) await release();
    await done;
    expect(maxActive).toBe(2);
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
    expect(log.indexOf('start wait')).toBeGreaterThan(log.indexOf('end c'));
    expect(log.indexOf('start d')).toBeGreaterThan(log.indexOf('end wait'));
  });
});
