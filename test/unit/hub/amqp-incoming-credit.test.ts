import { describe, expect, it } from 'vitest';
import { creditToGrant, IncomingCredit } from '../../../runtime/hub/amqp/incoming-credit.js';

describe('the credit the hub grants on a link it receives on', () => {
  it.each([
    { window: 100, held: 0, credit: 0, grant: 100, why: 'a new link gets the whole window' },
    { window: 100, held: 0, credit: 100, grant: 0, why: 'nothing used, nothing to grant' },
    { window: 100, held: 40, credit: 60, grant: 0, why: 'held deliveries keep their places' },
    { window: 100, held: 30, credit: 60, grant: 10, why: 'settled places come back' },
    { window: 100, held: 100, credit: 0, grant: 0, why: 'a full window grants nothing, however long the sender waits' },
    { window: 100, held: 0, credit: -3, grant: 100, why: 'a negative credit (a sender past its credit) counts as none' },
  ])('$why', ({ window, held, credit, grant }) => {
    expect(creditToGrant(window, held, credit)).toBe(grant);
  });

  it('holds a place from the transfer until the hub settles it, once however often it is settled', () => {
    let credit = 0;
    const grants: number[] = [];
    const link = new IncomingCredit(4, () => credit, (n) => {
      credit += n;
      grants.push(n);
    });
    link.open();
    expect(grants).toEqual([4]);
    const settle = [1, 2, 3, 4].map(() => {
      credit--; // the transfer uses one credit
      return link.received(false);
    });
    expect(link.held).toBe(4);
    expect(grants).toEqual([4]); // nothing comes back before settlement
    settle[0]!();
    settle[0]!();
    expect(grants).toEqual([4, 1]);
    expect(link.held).toBe(3);
    settle[1]!();
    settle[2]!();
    settle[3]!();
    expect(link.held).toBe(0);
    expect(credit).toBe(4);
  });

  it('gives a pre-settled delivery its place back at once (the sender does not wait for an outcome)', () => {
    let credit = 2;
    const link = new IncomingCredit(2, () => credit, (n) => (credit += n));
    credit--;
    link.received(true);
    expect(link.held).toBe(0);
    expect(credit).toBe(2);
  });
});
