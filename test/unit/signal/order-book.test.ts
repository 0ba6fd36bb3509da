import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BookSide, OrderBook, type BookSnapshot, type DepthDiff } from '../../../signal/order-book';

const snapshot = {
  lastUpdateId: 100,
  time: 1,
  bids: [
    [99, 1],
    [98, 2],
  ] as const,
  asks: [
    [101, 1],
    [102, 3],
  ] as const,
};
const diff = (first: number, final: number, fields: Partial<DepthDiff> = {}): DepthDiff => ({
  firstUpdateId: first,
  finalUpdateId: final,
  time: final,
  bids: [],
  asks: [],
  ...fields,
});
const read = (book: OrderBook) => {
  const into = {} as BookSnapshot;
  return book.read(into, 2) ? into : undefined;
};

test('a snapshot, then diffs in sequence: the touch, spread, imbalance and depth', () => {
  const book = new OrderBook();
  assert.equal(book.applyDiff(diff(90, 95)), 'awaiting-snapshot');
  book.applySnapshot(snapshot);
  assert.equal(book.applyDiff(diff(95, 100)), 'stale', 'wholly before the snapshot');
  // The first applied diff spans id 101; it moves the best bid to 100 (size 3).
  assert.equal(book.applyDiff(diff(99, 104, { bids: [[100, 3]] })), 'applied');
  assert.equal(book.applyDiff(diff(105, 106, { asks: [[101, 0]] })), 'applied', 'the best ask goes');
  assert.deepEqual(read(book), {
    bid: 100,
    ask: 102,
    bidSize: 3,
    askSize: 3,
    mid: 101,
    spreadBps: (2 / 101) * 10_000,
    imbalance: 0,
    bidDepth: 3 + 1,
    askDepth: 3,
    sequence: 106,
    time: 106,
  });
});

test('a gap stops the book until a new snapshot; the diffs held meanwhile are replayed after it', () => {
  const book = new OrderBook();
  book.applySnapshot(snapshot);
  assert.equal(book.applyDiff(diff(101, 102)), 'applied');
  assert.equal(book.applyDiff(diff(104, 105, { bids: [[99.5, 1]] })), 'gap', '103 is missing');
  assert.equal(read(book), undefined, 'no wrong book is read');
  assert.equal(book.applyDiff(diff(106, 107)), 'awaiting-snapshot');
  book.applySnapshot({
    ...snapshot,
    lastUpdateId: 105,
    bids: [
      [99.5, 1],
      [99, 1],
    ],
  });
  assert.equal(book.applyDiff(diff(104, 105)), 'stale');
  assert.equal(book.applyDiff(diff(106, 107, { bids: [[99.75, 2]] })), 'applied');
  assert.equal(read(book)?.bid, 99.75);
  assert.deepEqual(book.counts, {
    applied: 2,
    stale: 1,
    gap: 1,
    'awaiting-snapshot': 1,
    invalid: 0,
    crossed: 0,
  });
});

test('futures continue by the previous diff’s last id', () => {
  const book = new OrderBook();
  book.applySnapshot(snapshot);
  assert.equal(
    book.applyDiff(diff(90, 110, { previousFinalUpdateId: 89 })),
    'applied',
    'the first spans 101',
  );
  assert.equal(book.applyDiff(diff(115, 120, { previousFinalUpdateId: 110 })), 'applied');
  assert.equal(book.applyDiff(diff(125, 130, { previousFinalUpdateId: 121 })), 'gap');
});

test('a bad level or a crossed book is refused and stops the book, never a silently wrong book', () => {
  const book = new OrderBook();
  book.applySnapshot(snapshot);
  assert.equal(book.applyDiff(diff(101, 101, { bids: [[Number.NaN, 1]] })), 'invalid');
  assert.equal(book.synced, false);
  book.applySnapshot(snapshot);
  assert.equal(book.applyDiff(diff(101, 101, { bids: [[101.5, 1]] })), 'crossed');
  assert.equal(read(book), undefined);
  assert.equal(book.applySnapshot({ ...snapshot, asks: [[-1, 1]] }), false);
  assert.equal(book.synced, false);
});

test('a side keeps the levels nearest the touch, sorted, in storage it never reallocates', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.boolean(),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 3 })), { maxLength: 80 }),
      (capacity, highestFirst, changes) => {
        const side = new BookSide(capacity, highestFirst);
        const storage = side.storage();
        const naive = new Map<number, number>();
        for (const [price, size] of changes) {
          side.set(price, size);
          if (size === 0) naive.delete(price);
          else naive.set(price, size);
          // The naive book forgets what the side dropped at capacity: only levels it still holds compare.
          const order = (a: number, b: number) => (highestFirst ? b - a : a - b);
          const held = Array.from({ length: side.count }, (_, index) => side.price(index));
          assert.deepEqual(held, [...held].sort(order), 'sorted from the touch');
          for (const [index, level] of held.entries()) assert.equal(side.size(index), naive.get(level));
          if (side.dropped === 0) assert.deepEqual(held, [...naive.keys()].sort(order));
        }
        assert.equal(side.storage(), storage);
        assert.ok(side.count <= capacity);
      },
    ),
  );
});
