import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromFixed, toFixed } from '../../../domain/decimal';
import { planQuotes, type QuotePlanInput } from '../../../workflows/strategies/quote/quote-plan';

const base: QuotePlanInput = {
  market: { bid: '99.98', ask: '100.02', tickSize: '0.01', lotSize: '0.001', minNotional: '5' },
  levels: 2,
  halfSpreadBps: 10,
  levelStepBps: 10,
  quantity: '1.0005',
};

describe('planQuotes', () => {
  test('a symmetric ladder on the tick and lot grids', () => {
    const plan = planQuotes(base);
    assert.equal(plan.mid, '100');
    assert.deepEqual(plan.orders, [
      { side: 'buy', price: '99.9', quantity: '1' },
      { side: 'sell', price: '100.1', quantity: '1' },
      { side: 'buy', price: '99.8', quantity: '1' },
      { side: 'sell', price: '100.2', quantity: '1' },
    ]);
    assert.deepEqual(plan.skipped, []);
  });

  test('an empty book quotes around the reference price, or not at all', () => {
    const market = { ...base.market, bid: undefined, ask: undefined };
    assert.equal(planQuotes({ ...base, market, referencePrice: '50' }).mid, '50');
    const none = planQuotes({ ...base, market });
    assert.deepEqual(none.orders, []);
    assert.equal(none.skipped[0]?.reason, 'no-price');
  });

  // Keel's own limits (open orders, order notional) hold in the order path, for every strategy: see
  // test/integration/exactly-once/order-limits.test.ts.
  test('levels the venue would refuse are left out, with why', () => {
    assert.ok(
      planQuotes({ ...base, quantity: '0.01' }).skipped.every((d) => d.reason === 'notional-below-min'),
    );
    assert.equal(planQuotes({ ...base, quantity: '0.0001' }).skipped[0]?.reason, 'quantity-below-lot');
  });

  test('invariants: bids below mid below asks, all on grid, on the tick grid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 100 }),
        (midCents, levels, halfSpreadBps, levelStepBps) => {
          const mid = fromFixed(toFixed(String(midCents)) / 100n);
          const plan = planQuotes({
            ...base,
            market: { ...base.market, bid: mid, ask: mid },
            levels,
            halfSpreadBps,
            levelStepBps,
            quantity: '0.1',
          });
          for (const order of plan.orders) {
            const price = toFixed(order.price);
            assert.equal(price % toFixed('0.01'), 0n);
            if (order.side === 'buy') assert.ok(price < toFixed(mid));
            else assert.ok(price > toFixed(mid));
          }
          assert.ok(plan.orders.length <= levels * 2);
        },
      ),
    );
  });
});
