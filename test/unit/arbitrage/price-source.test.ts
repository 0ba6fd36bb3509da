import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PriceSourceKind } from '../../../workflows/strategies/arbitrage/arbitrage-params';
import {
  bookPrices,
  priceFor,
  touchSize,
  type OrderBook,
} from '../../../workflows/strategies/arbitrage/price-source';

/** Bids 99 ×1, 98 ×2, 97 ×5; asks 101 ×0.5, 102 ×1, 104 ×3 (4.5 in all). */
const book: OrderBook = {
  bids: [
    ['99', '1'],
    ['98', '2'],
    ['97', '5'],
  ],
  asks: [
    ['101', '0.5'],
    ['102', '1'],
    ['104', '3'],
  ],
};

describe('price source', () => {
  // [source, size, buy price, sell price], worked by hand:
  const cases: Array<[PriceSourceKind, string, string, string]> = [
    // mid = (99 + 101) / 2 = 100 for both sides, whatever the size.
    ['mid', '1', '100', '100'],
    ['mid', '4', '100', '100'],
    // touch: a buy takes the best ask 101, a sell the best bid 99.
    ['touch', '1', '101', '99'],
    ['touch', '4', '101', '99'],
    // depth, size 1: buy 0.5×101 + 0.5×102 = 101.5, /1 = 101.5; sell 1×99 = 99.
    ['depth', '1', '101.5', '99'],
    // depth, size 0.5: all at the touch.
    ['depth', '0.5', '101', '99'],
    // depth, size 2: buy 0.5×101 + 1×102 + 0.5×104 = 50.5 + 102 + 52 = 204.5, /2 = 102.25;
    // sell 1×99 + 1×98 = 197, /2 = 98.5.
    ['depth', '2', '102.25', '98.5'],
    // depth, size 1.5: buy 50.5 + 102 = 152.5, /1.5 = 101.6666.. rounded up (against a buyer) to 12 places;
    // sell 99 + 0.5×98 = 148, /1.5 = 98.6666.. rounded down (against a seller).
    ['depth', '1.5', '101.666666666667', '98.666666666666'],
    // depth, size 4.5 (every ask): 50.5 + 102 + 3×104 = 464.5, /4.5 = 103.2222.. up;
    // sell 99 + 196 + 1.5×97 = 440.5, /4.5 = 97.8888.. down.
    ['depth', '4.5', '103.222222222223', '97.888888888888'],
  ];
  for (const [source, size, buy, sell] of cases) {
    test(`${source} for ${size}: buy ${buy}, sell ${sell}`, () => {
      assert.deepEqual(bookPrices(book, size, source), { buy: { price: buy }, sell: { price: sell } });
    });
  }

  test('decimal strings throughout: 0.1 ×0.1 then 0.2 ×0.2 for 0.3 is (0.01 + 0.04) / 0.3 = 0.1666.. up', () => {
    const small: OrderBook = {
      bids: [],
      asks: [
        ['0.1', '0.1'],
        ['0.2', '0.2'],
      ],
    };
    assert.deepEqual(priceFor(small, 'buy', '0.3', 'depth'), { price: '0.166666666667' });
  });

  test('a book too thin for the size: no price, and how much it holds', () => {
    assert.deepEqual(priceFor(book, 'buy', '5', 'depth'), {
      price: undefined,
      reason: 'the asks hold 4.5 of the 5 to buy: the book is too thin',
    });
    assert.deepEqual(priceFor(book, 'sell', '8.01', 'depth'), {
      price: undefined,
      reason: 'the bids hold 8 of the 8.01 to sell: the book is too thin',
    });
  });

  test('an empty book prices nothing, from any source', () => {
    const empty: OrderBook = { bids: [], asks: [] };
    assert.match(priceFor(empty, 'buy', '1', 'mid').reason ?? '', /no mid/);
    assert.equal(priceFor(empty, 'buy', '1', 'touch').reason, 'no asks to buy from');
    assert.equal(priceFor(empty, 'sell', '1', 'touch').reason, 'no bids to sell from');
    assert.equal(priceFor(empty, 'buy', '1', 'depth').reason, 'no asks to buy from');
  });

  test('a one-sided book: the side it has prices, mid does not', () => {
    const bidsOnly: OrderBook = { bids: book.bids, asks: [] };
    assert.deepEqual(priceFor(bidsOnly, 'sell', '1', 'touch'), { price: '99' });
    assert.deepEqual(priceFor(bidsOnly, 'sell', '2', 'depth'), { price: '98.5' });
    assert.equal(priceFor(bidsOnly, 'buy', '1', 'mid').reason, 'no mid: the book has no asks');
    assert.equal(
      priceFor({ bids: [], asks: book.asks }, 'sell', '1', 'mid').reason,
      'no mid: the book has no bids',
    );
  });

  test('a crossed book is refused rather than priced', () => {
    const crossed: OrderBook = { bids: [['102', '1']], asks: [['101', '1']] };
    for (const source of ['mid', 'touch', 'depth'] as const) {
      assert.match(priceFor(crossed, 'buy', '1', source).reason ?? '', /crossed/);
    }
  });

  test('depth needs a size above zero', () => {
    assert.match(priceFor(book, 'buy', '0', 'depth').reason ?? '', /size 0 must be above 0/);
  });

  test('touch size: the quantity at the level an order would take', () => {
    assert.equal(touchSize(book, 'buy'), '0.5');
    assert.equal(touchSize(book, 'sell'), '1');
    assert.equal(touchSize({ bids: [], asks: [] }, 'buy'), '0');
  });
});
