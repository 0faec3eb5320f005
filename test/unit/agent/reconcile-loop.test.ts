import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../runtime/log/create-logger.js';
import { ReconcileLoop } from '../../../runtime/agent/reconcile-loop.js';
import { FakeClock, flush } from './helpers.js';

const loops: ReconcileLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

function setup(pass: (signal: AbortSignal) => Promise<{ requeueAfterMs?: number } | void>) {
  const clock = new FakeClock();
  const loop = new ReconcileLoop({ pass, clock, logger: silentLogger(), resyncMs: 5_000, errorBackoffBaseMs: 1_000, errorBackoffMaxMs: 4_000 });
  loops.push(loop);
  return { clock, loop };
}

describe('ReconcileLoop', () => {
  it('runs one pass at start and another after the resync interval', async () => {
    let passes = 0;
    const { clock, loop } = setup(async () => {
      passes += 1;
    });
    loop.start();
    await flush();
    expect(passes).toBe(1);
    await clock.advance(4_999);
    expect(passes).toBe(1);
    await clock.advance(1);
    expect(passes).toBe(2);
  });

  it('merges triggers that arrive during a pass into exactly one follow-up pass', async () => {
    let passes = 0;
    let release: () => void = () => undefined;
    const { loop } = setup(
      () =>
        new Promise<void>((resolve) => {
          passes += 1;
          release = resolve;
        }),
    );
    loop.start();
    await flush();
    expect(passes).toBe(1);
    for (let i = 0; i < 10; i += 1) loop.markDirty('pod event');
    release();
    await flush();
    expect(passes).toBe(2);
    release();
    await flush();
    expect(passes).toBe(2);
  });

  it('never runs two passes at the same time', async () => {
    let active = 0;
    let maxActive = 0;
    const { loop } = setup(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await flush(2);
      active -= 1;
    });
    loop.start();
    for (let i = 0; i < 20; i += 1) {
      loop.markDirty('x');
      await flush(1);
    }
    await flush();
    expect(maxActive).toBe(1);
  });

  it('backs off exponentially (capped) after failed passes and ignores triggers meanwhile', async () => {
    const times: number[] = [];
    const { clock, loop } = setup(async () => {
      times.push(clock.now());
      throw new Error('api down');
    });
    const t0 = clock.now();
    loop.start();
    await flush();
    loop.markDirty('pod event');
    await flush();
    expect(times.length).toBe(1);
    for (let i = 0; i < 24; i += 1) await clock.advance(500);
    // 1 s, 2 s, 4 s, then capped at 4 s
    expect(times.map((t) => t - t0)).toEqual([0, 1_000, 3_000, 7_000, 11_000]);
  });

  it('cuts a back-off short for an urgent trigger such as a reconnect', async () => {
    let passes = 0;
    const { loop } = setup(async () => {
      passes += 1;
      if (passes === 1) throw new Error('hub away');
    });
    loop.start();
    await flush();
    loop.markDirty('pod event');
    await flush();
    expect(passes).toBe(1);
    loop.markDirty('reconnected', { urgent: true });
    await flush();
    expect(passes).toBe(2);
  });

  it('resets the back-off after a successful pass', async () => {
    let fail = 2;
    const times: number[] = [];
    const { clock, loop } = setup(async () => {
      times.push(clock.now());
      if (fail-- > 0) throw new Error('x');
    });
    const t0 = clock.now();
    loop.start();
    await flush();
    await clock.advance(1_000); // retry 1 after 1 s
    await clock.advance(2_000); // retry 2 after 2 s, succeeds
    await clock.advance(5_000); // resync
    expect(times.map((t) => t - t0)).toEqual([0, 1_000, 3_000, 8_000]);
  });

  it('honours requeueAfterMs from a pass', async () => {
    let passes = 0;
    const { clock, loop } = setup(async () => {
      passes += 1;
      return { requeueAfterMs: 100 };
    });
    loop.start();
    await flush();
    await clock.advance(100);
    expect(passes).toBe(2);
  });

  it('stops promptly and aborts the running pass', async () => {
    let aborted = false;
    const { loop } = setup(
      (signal) =>
        new Promise<void>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    );
    loop.start();
    await flush();
    await loop.stop();
    expect(aborted).toBe(true);
  });
});
