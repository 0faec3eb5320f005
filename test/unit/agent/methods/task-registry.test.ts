import { describe, expect, it } from 'vitest';
import { TaskLimitError, TaskRegistry } from '../../../../runtime/agent/methods/task-registry.js';
import { FakeClock } from '../helpers.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ids = () => {
  let n = 0;
  return () => `task-${++n}`;
};

describe('the task registry', () => {
  it('answers Running with a correlation id at once, then Completed once the work is done', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids() });
    const work = deferred();
    expect(tasks.start('edge-1', 'upload logs', () => work.promise)).toEqual({ status: 'Running', message: '', correlationId: 'task-1' });
    expect(tasks.status('edge-1', 'task-1')).toEqual({ status: 'Running', message: '', correlationId: 'task-1' });
    work.resolve();
    await tasks.settled('task-1');
    expect(tasks.status('edge-1', 'task-1')).toEqual({ status: 'Completed', message: '', correlationId: 'task-1' });
  });

  it('reports Failed with edgeAgent\'s message naming the operation and the reason', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids() });
    const { correlationId } = tasks.start('edge-1', 'upload logs', () => Promise.reject(new Error('the SAS URL expired')));
    await tasks.settled(correlationId);
    expect(tasks.status('edge-1', correlationId)).toEqual({ status: 'Failed', message: 'Task upload logs failed because of error the SAS URL expired', correlationId });
  });

  it('answers Unknown for an id it never gave out and for another device\'s task', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids() });
    const { correlationId } = tasks.start('edge-1', 'upload logs', () => Promise.resolve());
    await tasks.settled(correlationId);
    expect(tasks.status('edge-1', 'nope')).toEqual({ status: 'Unknown', message: '', correlationId: 'nope' });
    expect(tasks.status('edge-2', correlationId)).toEqual({ status: 'Unknown', message: '', correlationId });
  });

  it('refuses a task beyond maxRunning on the same device, not on another', () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids(), maxRunning: 2 });
    const never = () => new Promise<void>(() => undefined);
    tasks.start('edge-1', 'a', never);
    tasks.start('edge-1', 'b', never);
    expect(() => tasks.start('edge-1', 'c', never)).toThrow(TaskLimitError);
    expect(tasks.start('edge-2', 'c', never).status).toBe('Running');
  });

  it('forgets the oldest finished tasks beyond maxFinished and any older than the retention', async () => {
    const clock = new FakeClock();
    const tasks = new TaskRegistry({ clock, newId: ids(), maxFinished: 2, retentionMs: 60_000 });
    for (let i = 0; i < 3; i++) await tasks.settled(tasks.start('edge-1', 'op', () => Promise.resolve()).correlationId);
    const running = deferred();
    tasks.start('edge-1', 'op', () => running.promise); // task-4 prunes: task-1 goes
    expect(['task-1', 'task-2', 'task-3', 'task-4'].map((id) => tasks.status('edge-1', id).status)).toEqual(['Unknown', 'Completed', 'Completed', 'Running']);
    await clock.advance(61_000);
    expect(tasks.status('edge-1', 'task-2').status).toBe('Unknown');
    expect(tasks.status('edge-1', 'task-4').status).toBe('Running'); // a running task is never pruned
    running.resolve();
  });

  it('fails a task that runs past the timeout, aborting its signal', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids(), timeoutMs: 20 });
    let aborted = false;
    const { correlationId } = tasks.start('edge-1', 'upload logs', (signal) => new Promise<void>((_r, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))));
    await tasks.settled(correlationId);
    expect(aborted).toBe(true);
    expect(tasks.status('edge-1', correlationId)).toMatchObject({ status: 'Failed', message: 'Task upload logs failed because of error it did not finish within 0 s' });
  });

  it('fails the running tasks when closed', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids() });
    const { correlationId } = tasks.start('edge-1', 'upload support bundle', (signal) => new Promise<void>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
    await tasks.close();
    expect(tasks.status('edge-1', correlationId)).toMatchObject({ status: 'Failed', message: 'Task upload support bundle failed because of error the agent stopped' });
  });

  it('ends a task whose work ignores its signal, on timeout and on close', async () => {
    const tasks = new TaskRegistry({ clock: new FakeClock(), newId: ids(), timeoutMs: 20 });
    const hung = tasks.start('edge-1', 'upload logs', () => new Promise<void>(() => undefined));
    await tasks.settled(hung.correlationId);
    expect(tasks.status('edge-1', hung.correlationId).status).toBe('Failed');
    const closing = new TaskRegistry({ clock: new FakeClock(), newId: ids() });
    const stuck = closing.start('edge-1', 'upload support bundle', () => new Promise<void>(() => undefined));
    await closing.close();
    expect(closing.status('edge-1', stuck.correlationId)).toMatchObject({ status: 'Failed', message: 'Task upload support bundle failed because of error the agent stopped' });
  });
});
