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
});
