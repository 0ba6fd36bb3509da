import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BUY,
  BookOrder,
  EXPIRED,
  FILLED,
  FOK,
  GTC,
  IOC,
  MARKET_BUY_LIMIT,
  OrderBook,
  POST_ONLY_REJECTED,
  RESTING,
  SELL,
} from '../../../sim/engine/order-book';
import type { FillSink } from '../../../sim/engine/order-book';

type Fill = [maker: number, taker: number, price: number, lots: number];

function newBook(): { book: OrderBook; fills: Fill[] } {
  const fills: Fill[] = [];
  const sink: FillSink = { onFill: (m, t, p, l) => void fills.push([m.id, t.id, p, l]) };
  return { book: new OrderBook(sink), fills };
}

void describe('order book: price-time priority', () => {
  void test('better price first, then arrival order within a level', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 101, 5), GTC, false);
    book.submit(new BookOrder(2, SELL, 100, 3), GTC, false);
    book.submit(new BookOrder(3, SELL, 100, 4), GTC, false);
    // Buy 10 @ 101: level 100 first (id 2 then id 3, FIFO) = 3 + 4 = 7, then 3 of the 5 at 101.
    assert.equal(book.submit(new BookOrder(4, BUY, 101, 10), GTC, false), FILLED);
    assert.deepEqual(fills, [
      [2, 4, 100, 3],
      [3, 4, 100, 4],
      [1, 4, 101, 3],
    ]);
    assert.equal(book.get(1)?.remaining, 2); // 5 - 3
    assert.equal(book.bestAsk(), 101);
    assert.equal(book.bestBid(), undefined);
  });

  void test('a partially filled maker keeps its place at the head of the queue', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, BUY, 50, 10), GTC, false);
    book.submit(new BookOrder(2, BUY, 50, 10), GTC, false);
    book.submit(new BookOrder(3, SELL, 50, 4), GTC, false); // 1 left with 6
    book.submit(new BookOrder(4, SELL, 50, 8), GTC, false); // 6 from 1, then 2 from 2
    assert.deepEqual(fills, [
      [1, 3, 50, 4],
      [1, 4, 50, 6],
      [2, 4, 50, 2],
    ]);
    assert.deepEqual(book.queueAt(BUY, 50), [2]);
    assert.equal(book.bestLots(BUY), 8); // 10 - 2
  });

  void test('a taker limit stops at its price and rests the remainder (partial fill)', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 2), GTC, false);
    book.submit(new BookOrder(2, SELL, 102, 2), GTC, false);
    assert.equal(book.submit(new BookOrder(3, BUY, 101, 5), GTC, false), RESTING);
    assert.deepEqual(fills, [[1, 3, 100, 2]]);
    assert.equal(book.bestBid(), 101);
    assert.equal(book.bestLots(BUY), 3); // 5 - 2
    assert.equal(book.bestAsk(), 102);
  });
});

void describe('order book: order types', () => {
  void test('IOC fills what it can and expires the rest', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 2), GTC, false);
    const taker = new BookOrder(2, BUY, 100, 5);
    assert.equal(book.submit(taker, IOC, false), EXPIRED);
    assert.deepEqual(fills, [[1, 2, 100, 2]]);
    assert.equal(taker.remaining, 3);
    assert.equal(book.bestBid(), undefined); // nothing rested
  });

  void test('FOK is all or nothing', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 2), GTC, false);
    book.submit(new BookOrder(2, SELL, 101, 2), GTC, false);
    // Only 4 lots at or below 101: a FOK for 5 does nothing.
    assert.equal(book.submit(new BookOrder(3, BUY, 101, 5), FOK, false), EXPIRED);
    assert.deepEqual(fills, []);
    assert.equal(book.size, 2);
    // A FOK for exactly 4 fills both levels.
    assert.equal(book.submit(new BookOrder(4, BUY, 101, 4), FOK, false), FILLED);
    assert.deepEqual(fills, [
      [1, 4, 100, 2],
      [2, 4, 101, 2],
    ]);
  });

  void test('post-only is rejected if it would cross and rests otherwise', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 2), GTC, false);
    assert.equal(book.submit(new BookOrder(2, BUY, 100, 1), GTC, true), POST_ONLY_REJECTED);
    assert.equal(book.submit(new BookOrder(3, BUY, 99, 1), GTC, true), RESTING);
    assert.deepEqual(fills, []);
    assert.equal(book.bestBid(), 99);
  });

  void test('market order sweeps levels and never rests', () => {
    const { book, fills } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 1), GTC, false);
    book.submit(new BookOrder(2, SELL, 105, 1), GTC, false);
    assert.equal(book.submit(new BookOrder(3, BUY, MARKET_BUY_LIMIT, 3), IOC, false), EXPIRED);
    assert.deepEqual(fills, [
      [1, 3, 100, 1],
      [2, 3, 105, 1],
    ]);
    assert.equal(book.size, 0);
  });

  void test('cancel removes the order and an emptied level', () => {
    const { book } = newBook();
    book.submit(new BookOrder(1, BUY, 99, 1), GTC, false);
    book.submit(new BookOrder(2, BUY, 98, 1), GTC, false);
    assert.equal(book.cancel(1)?.id, 1);
    assert.equal(book.cancel(1), undefined);
    assert.equal(book.bestBid(), 98);
    assert.deepEqual(book.depth(BUY, 5), [[98, 1]]);
  });

  void test('sweep reports reachable lots and cost', () => {
    const { book } = newBook();
    book.submit(new BookOrder(1, SELL, 100, 2), GTC, false);
    book.submit(new BookOrder(2, SELL, 110, 5), GTC, false);
    // 2*100 + 3*110 = 530
    assert.deepEqual(book.sweep(BUY, 200, 5), { lots: 5, tickLots: 530n });
    assert.deepEqual(book.sweep(BUY, 105, 5), { lots: 2, tickLots: 200n });
  });
});

void describe('order book: invariants (property)', () => {
  void test('never crossed at rest; lots are conserved', () => {
    const op = fc.record({
      buy: fc.boolean(),
      price: fc.integer({ min: 90, max: 110 }),
      lots: fc.integer({ min: 1, max: 20 }),
      tif: fc.constantFrom(GTC, IOC, FOK),
      cancel: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let filled = 0;
        const { book } = newBook();
        const sink = (book as unknown as { sink: FillSink }).sink;
        const orig = sink.onFill.bind(sink);
        sink.onFill = (m, t, p, l) => {
          filled += l;
          orig(m, t, p, l);
        };
        let submitted = 0;
        let removed = 0;
        let id = 1;
        for (const o of ops) {
          if (o.cancel < 5) {
            const c = book.cancel(o.cancel + 1);
            if (c) removed += c.remaining;
            continue;
          }
          const order = new BookOrder(id++, o.buy ? BUY : SELL, o.price, o.lots);
          submitted += o.lots;
          const r = book.submit(order, o.tif, false);
          if (r === EXPIRED) removed += order.remaining;
          const bid = book.bestBid();
          const ask = book.bestAsk();
          if (bid !== undefined && ask !== undefined) assert.ok(bid < ask, `crossed ${bid} >= ${ask}`);
        }
        let resting = 0;
        for (const side of [BUY, SELL] as const) for (const [, l] of book.depth(side, 1000)) resting += l;
        // Every submitted lot is either resting, filled (counted twice: maker and taker), or removed.
        assert.equal(submitted, resting + 2 * filled + removed);
      }),
    );
  });
});
