import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../../runtime/hub/group-commit.js';

describe('group commit', () => {
  it('writes everything submitted in one event-loop turn with one call, in order', async () => {
    const calls: number[][] = [];
    const group = createGroupCommit((items: number[]) => {
      calls.push(items);
      return items.map((i) => i * 10);
    });
    const results = await Promise.all([1, 2, 3].map((i) => group.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(calls).toEqual([[1, 2, 3]]);
    await group.submit(4);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it('splits large batches and rejects every item of a failed write, then keeps working', async () => {
    const sizes: number[] = [];
    let fail = true;
    const group = createGroupCommit(
      (items: number[]) => {
        sizes.push(items.length);
        if (fail) throw new Error('disk full');
        return items;
      },
      { maxBatch: 2 },
    );
    const first = await Promise.allSettled([1, 2, 3].map((i) => group.submit(i)));
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(sizes).toEqual([2, 1]);
    fail = false;
    expect(await group.submit(5)).toBe(5);
  });

  it('hands every item joined in one turn the same batch promise, settled after the one write', async () => {
    const calls: number[][] = [];
    const group = createGroupCommit((items: number[]) => {
      calls.push([...items]);
      return items;
    });
    const joined = [1, 2, 3].map((i) => group.join(i));
    const own = group.submit(4);
    expect(joined[0]).toBe(joined[1]);
    expect(joined[1]).toBe(joined[2]);
    expect(calls).toEqual([]);
    await Promise.all(joined);
    expect(await own).toBe(4);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(group.join(5)).not.toBe(joined[0]);
  });

  it('rejects a joined batch as a whole when its write fails, and reads results by index when asked', async () => {
    let fail = true;
    const group = createGroupCommit((items: string[]) => {
      if (fail) throw new Error('disk full');
      return (i: number) => `${items[i]}!`;
    });
    const failed = [group.join('a'), group.join('b')];
    await expect(failed[0]).rejects.toThrow('disk full');
    fail = false;
    expect(await Promise.all([group.submit('c'), group.submit('d')])).toEqual(['c!', 'd!']);
  });
});
