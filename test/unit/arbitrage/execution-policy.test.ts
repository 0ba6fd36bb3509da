import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  firstLeg,
  legOrder,
  legSide,
  secondLegSize,
  slippageBound,
  unwindOrder,
} from '../../../workflows/strategies/arbitrage/execution-policy';
import type { OrderBook } from '../../../workflows/strategies/arbitrage/price-source';
import { spotPerp } from './arbitrage-fixtures';

const tick = { tickSize: '0.01' };
const book = (bids: Array<[string, string]>, asks: Array<[string, string]>): OrderBook => ({ bids, asks });

describe('execution: sides and first leg', () => {
  test('the long leg buys to enter and sells to exit; the short leg the other way', () => {
    assert.deepEqual(
      [
        legSide('long', 'entry'),
        legSide('short', 'entry'),
        legSide('long', 'exit'),
        legSide('short', 'exit'),
      ],
      ['buy', 'sell', 'sell', 'buy'],
    );
  });

  test('a fixed policy names the leg whatever the books', () => {
    const books = { long: book([], [['100', '0.1']]), short: book([['100.5', '9']], []) };
    assert.equal(firstLeg(spotPerp({ execution: { firstLeg: 'short' } }), books), 'short');
    assert.equal(
      firstLeg(spotPerp({ execution: { firstLeg: 'long' } }), { ...books, long: book([], [['100', '99']]) }),
      'long',
    );
  });

  // [case, long book, short book, phase, first]
  const lessLiquid: Array<[string, OrderBook, OrderBook, 'entry' | 'exit', 'long' | 'short']> = [
    // Entry: the long leg takes the asks (0.5), the short leg the bids (2): 0.5 < 2.
    [
      'entry: long asks 0.5 < short bids 2',
      book([['99', '9']], [['100', '0.5']]),
      book([['100.5', '2']], [['101', '0.1']]),
      'entry',
      'long',
    ],
    [
      'entry: short bids 0.3 < long asks 0.5',
      book([], [['100', '0.5']]),
      book([['100.5', '0.3']], []),
      'entry',
      'short',
    ],
    [
      'entry: a tie goes to the long leg',
      book([], [['100', '1']]),
      book([['100.5', '1']], []),
      'entry',
      'long',
    ],
    [
      'entry: no bids on the short leg is the least liquid of all',
      book([], [['100', '0.001']]),
      book([], [['101', '5']]),
      'entry',
      'short',
    ],
    // Exit: the long leg takes the bids (3), the short leg the asks (1): 1 < 3.
    [
      'exit: short asks 1 < long bids 3',
      book([['99.9', '3']], [['100', '0.1']]),
      book([['100.5', '0.1']], [['100.6', '1']]),
      'exit',
      'short',
    ],
  ];
  for (const [name, long, short, phase, expected] of lessLiquid) {
    test(`less-liquid, ${name}`, () => assert.equal(firstLeg(spotPerp(), { long, short }, phase), expected));
  }
});

describe('execution: prices and orders', () => {
  // [price, side, bps, tick, bound]
  const bounds: Array<[string, 'buy' | 'sell', number, string, string]> = [
    ['100', 'buy', 10, '0.01', '100.1'], // 100 × 1.001
    ['100', 'sell', 10, '0.01', '99.9'], // 100 × 0.999
    ['101.5', 'buy', 10, '0.01', '101.6'], // 101.6015, down to the tick: never past the bound
    ['101.5', 'sell', 10, '0.01', '101.4'], // 101.3985, up to the tick
    ['100', 'buy', 10, '0.5', '100'], // 100.1 down to a 0.5 tick
    ['100', 'sell', 10, '0.5', '100'], // 99.9 up to a 0.5 tick
    ['100', 'buy', 0, '0.01', '100'],
    ['100', 'buy', 10, '0', '100.1'], // no tick: unrounded
    ['0.123456789', 'buy', 25, '0.00000001', '0.12376543'], // 0.123456789 × 1.0025 = 0.1237654309725, down to 1e-8
  ];
  for (const [price, side, bps, tickSize, expected] of bounds) {
    test(`${side} ${price} bounded by ${bps} bps on tick ${tickSize}: ${expected}`, () => {
      assert.equal(slippageBound(price, side, bps, tickSize), expected);
    });
  }

  test('taker entry leg: IOC limit at the depth price for its quantity plus the slippage bound', () => {
    // 2 at 100 ×1 then 101 ×5: VWAP 100.5; × 1.001 = 100.6005, down to the tick: 100.6.
    const params = spotPerp({ priceSource: 'depth' });
    const plan = legOrder(
      params,
      'long',
      'entry',
      book(
        [],
        [
          ['100', '1'],
          ['101', '5'],
        ],
      ),
      '2',
      tick,
    );
    assert.deepEqual(plan, {
      order: {
        leg: 'long',
        side: 'buy',
        type: 'limit',
        quantity: '2',
        reduceOnly: false,
        timeoutMs: 5000,
        price: '100.6',
        timeInForce: 'IOC',
        postOnly: false,
      },
    });
  });

  test('maker entry leg: post-only GTC resting at its own touch (a sell at the best ask)', () => {
    const params = spotPerp({ execution: { short: 'maker', legTimeoutMs: 2000 } });
    const plan = legOrder(params, 'short', 'entry', book([['100.5', '1']], [['100.6', '1']]), '1', tick);
    assert.deepEqual(
      plan.order && [
        plan.order.side,
        plan.order.price,
        plan.order.timeInForce,
        plan.order.postOnly,
        plan.order.timeoutMs,
      ],
      ['sell', '100.6', 'GTC', true, 2000],
    );
  });

  test('exit orders: the perp leg is reduce-only, the spot leg cannot be', () => {
    const quotes = book([['100', '5']], [['100.1', '5']]);
    const short = legOrder(spotPerp(), 'short', 'exit', quotes, '1', tick).order;
    const long = legOrder(spotPerp(), 'long', 'exit', quotes, '1', tick).order;
    // short buys back at the touch 100.1 × 1.001 = 100.2001 → 100.2; long sells at 100 × 0.999 = 99.9.
    assert.deepEqual([short?.side, short?.price, short?.reduceOnly], ['buy', '100.2', true]);
    assert.deepEqual([long?.side, long?.price, long?.reduceOnly], ['sell', '99.9', false]);
    assert.equal(legOrder(spotPerp(), 'short', 'entry', quotes, '1', tick).order?.reduceOnly, false);
  });

  test('no order when the book cannot price it: a maker with no touch, a taker in a thin book', () => {
    const maker = spotPerp({ execution: { long: 'maker' } });
    assert.deepEqual(legOrder(maker, 'long', 'entry', book([], [['100', '1']]), '1', tick), {
      order: undefined,
      reason: 'no bid to rest the long leg at',
    });
    assert.deepEqual(
      legOrder(spotPerp({ priceSource: 'depth' }), 'long', 'entry', book([], [['100', '1']]), '2', tick),
      {
        order: undefined,
        reason: 'long leg: the asks hold 1 of the 2 to buy: the book is too thin',
      },
    );
  });
});

describe('execution: second leg and unwind', () => {
  const rules = { lotSize: '0.001', minQuantity: '0.001', minNotional: '5' };

  test('the second leg is what the first filled, rounded down to its lot; the rest is left unhedged', () => {
    // 1.2345 on a 0.001 lot: 1.234, with 0.0005 over.
    assert.deepEqual(secondLegSize('1.2345', rules, '100'), {
      action: 'place',
      quantity: '1.234',
      unhedged: '0.0005',
    });
    // On the lot already: nothing over.
    assert.deepEqual(secondLegSize('0.5', rules, '100'), { action: 'place', quantity: '0.5', unhedged: '0' });
    // 0.005 at 1000 is 5, exactly the minimum notional: placed.
    assert.deepEqual(secondLegSize('0.005', rules, '1000'), {
      action: 'place',
      quantity: '0.005',
      unhedged: '0',
    });
  });

  // [first filled, rules, price, reason]
  const unwinds: Array<[string, typeof rules, string, RegExp]> = [
    // 0.0049 → 0.004; 0.004 × 1000 = 4 < 5.
    [
      '0.0049',
      rules,
      '1000',
      /filled 0.0049; on the second venue's lot 0.001 that is notional 4 \(0.004 at 1000\) is below the venue minimum 5/,
    ],
    // 0.0009 → 0: below the minimum quantity.
    ['0.0009', rules, '100', /quantity 0 is below the venue minimum 0.001/],
    // 0.05 on a 0.01 lot stays 0.05, below a 0.1 minimum.
    [
      '0.05',
      { ...rules, lotSize: '0.01', minQuantity: '0.1' },
      '100',
      /quantity 0.05 is below the venue minimum 0.1/,
    ],
  ];
  for (const [filled, venue, price, reason] of unwinds) {
    test(`first leg filled ${filled}: unwind`, () => {
      const answer = secondLegSize(filled, venue, price);
      assert.equal(answer.action, 'unwind');
      assert.match(answer.action === 'unwind' ? answer.reason : '', reason);
    });
  }

  test('a first leg that filled nothing leaves both flat: nothing to place or unwind', () => {
    assert.deepEqual(secondLegSize('0', rules, '100'), {
      action: 'flat',
      reason: 'the first leg filled nothing',
    });
  });

  test('unwind: opposite side, same size, taker IOC bounded from the book', () => {
    // Long spot bought 1 at 100; selling it back takes the bid 99.5 (depth for 1): × 0.999 = 99.4005, up: 99.41.
    const order = unwindOrder(
      spotPerp({ priceSource: 'depth', execution: { long: 'maker', legTimeoutMs: 3000 } }),
      { leg: 'long', side: 'buy', quantity: '1', price: '100' },
      book([['99.5', '2']], [['99.6', '2']]),
      tick,
    );
    assert.deepEqual(order, {
      leg: 'long',
      side: 'sell',
      type: 'limit',
      price: '99.41',
      quantity: '1',
      timeInForce: 'IOC',
      postOnly: false,
      reduceOnly: false,
      timeoutMs: 3000,
    });
  });

  test('unwind of a perp leg with no book: reduce-only, bounded from its own fill price', () => {
    // Short perp sold 0.3 at 100.5; no asks: 100.5 × 1.001 = 100.6005, down: 100.6.
    const order = unwindOrder(
      spotPerp(),
      { leg: 'short', side: 'sell', quantity: '0.3', price: '100.5' },
      book([], []),
      tick,
    );
    assert.deepEqual(
      [order.side, order.quantity, order.price, order.reduceOnly],
      ['buy', '0.3', '100.6', true],
    );
  });
});
