import { describe, expect, it } from 'vitest';
import { ConnectionBytes, creditToGrant, IncomingCredit, type CreditLimits, type CreditState } from '../../../runtime/hub/amqp/incoming-credit.js';

const KB = 1024;
/** A link with room for everything but the count window (bytes far from the budgets). */
const roomy: CreditState = { window: 100, held: 0, credit: 0, linkBudget: 1024 * KB, heldBytes: 0, maxTransferBytes: 1 * KB };

describe('the credit the hub grants on a link it receives on', () => {
  it.each<[string, Partial<CreditState>, number]>([
    ['a new link gets the whole window', {}, 100],
    ['nothing used, nothing to grant', { credit: 100 }, 0],
    ['held deliveries keep their places', { held: 40, credit: 60 }, 0],
    ['settled places come back', { held: 30, credit: 60 }, 10],
    ['a full window grants nothing, however long the sender waits', { held: 100 }, 0],
    ['a negative credit (a sender past its credit) counts as none', { credit: -3 }, 100],
    ['unused credit counts at the largest transfer against the link budget', { linkBudget: 64 * KB }, 64],
    ['bytes held count against the link budget', { linkBudget: 64 * KB, held: 2, heldBytes: 40 * KB }, 24],
    ['bytes held and credit outstanding together', { linkBudget: 64 * KB, held: 2, heldBytes: 40 * KB, credit: 20 }, 4],
    ['a link budget spent on held bytes grants nothing', { linkBudget: 64 * KB, held: 1, heldBytes: 64 * KB }, 0],
  ])('%s', (_, change, grant) => {
    expect(creditToGrant({ ...roomy, ...change })).toBe(grant);
  });

  const limits: CreditLimits = { window: 4, linkBudget: 1024 * KB, maxTransferBytes: KB };
  /** A link on `connection` whose sender sees the credit the test moves. */
  const link = (connection = new ConnectionBytes(1024 * KB), l = limits) => {
    const state = { credit: 0, grants: [] as number[] };
    const credit = new IncomingCredit(l, connection, () => state.credit, (n) => {
      state.credit += n;
      state.grants.push(n);
    });
    /** One delivery of `bytes` in one frame, as rhea reports it (credit used on the last frame); its settle, if held. */
    const transfer = (bytes: number, preSettled = false) => {
      credit.frame(bytes);
      state.credit--;
      const held = credit.received(preSettled);
      return typeof held === 'object' ? () => held.settled() : held;
    };
    const settleOf = (bytes: number) => {
      const s = transfer(bytes);
      if (typeof s !== 'function') throw new Error(`not held: ${s}`);
      return s;
    };
    return { credit, state, transfer, settleOf };
  };

  it('holds a place from the transfer until the hub settles it, once however often it is settled', () => {
    const { credit, state, settleOf } = link();
    credit.open();
    expect(state.grants).toEqual([4]);
    const settle = [1, 2, 3, 4].map(() => settleOf(10));
    expect(credit.held).toBe(4);
    expect(credit.heldBytes).toBe(40);
    expect(state.grants).toEqual([4]); // nothing comes back before settlement
    settle[0]!();
    settle[0]!();
    expect(state.grants).toEqual([4, 1]);
    expect(credit.held).toBe(3);
    expect(credit.heldBytes).toBe(30);
    settle[1]!();
    settle[2]!();
    settle[3]!();
    expect(credit.held).toBe(0);
    expect(credit.heldBytes).toBe(0);
    expect(state.credit).toBe(4);
  });

  it('gives a pre-settled delivery its place back at once (the sender does not wait for an outcome)', () => {
    const { credit, state, transfer } = link();
    credit.open();
    expect(transfer(10, true)).toBe('pre-settled');
    expect(credit.held).toBe(0);
    expect(credit.heldBytes).toBe(0);
    expect(state.credit).toBe(4);
  });

  it('counts a delivery over several frames as one, and refuses a delivery past the largest transfer', () => {
    const { credit, state } = link();
    credit.open();
    expect(credit.frame(600)).toBe(true);
    expect(credit.frame(424)).toBe(true); // exactly the largest transfer
    state.credit--;
    credit.received(false);
    expect(credit.heldBytes).toBe(KB);
    expect(credit.frame(KB)).toBe(true);
    expect(credit.frame(1)).toBe(false);
  });

  it('never lets a link hold more than its byte budget, however large the messages', () => {
    const { credit, state, settleOf } = link(new ConnectionBytes(1024 * KB), { window: 1000, linkBudget: 8 * KB, maxTransferBytes: KB });
    credit.open();
    expect(state.credit).toBe(8);
    const settles: Array<() => void> = [];
    for (let round = 0; round < 50; round++) {
      // The sender uses every credit it has for the largest message the hub takes.
      while (state.credit > 0) settles.push(settleOf(KB));
      expect(credit.heldBytes).toBeLessThanOrEqual(8 * KB);
      settles.shift()!();
    }
    expect(credit.held + state.credit).toBe(8);
  });

  it("releases a delivery that arrives while the connection's links hold its budget, and takes the next once they settle", () => {
    const connection = new ConnectionBytes(3 * KB);
    const twoKb: CreditLimits = { window: 4, linkBudget: 1024 * KB, maxTransferBytes: 2 * KB };
    const a = link(connection, twoKb);
    const b = link(connection, twoKb);
    a.credit.open();
    b.credit.open();
    const first = a.transfer(2 * KB);
    const second = b.transfer(KB);
    expect(connection.held).toBe(3 * KB);
    expect(b.transfer(1)).toBe('refused'); // 3 KB + 1 byte would exceed the budget
    expect(b.credit.held).toBe(1);
    expect(b.state.credit).toBe(3); // a refused delivery's credit comes back at once
    expect(a.transfer(10, true)).toBe('pre-settled'); // the hub keeps nothing of a pre-settled one
    (first as () => void)();
    expect(connection.held).toBe(KB);
    expect(typeof b.transfer(KB)).toBe('function');
    (second as () => void)();
  });
});
