import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DepthSync } from '../../../signal/depth-sync';
import type { DepthDiff, DepthSnapshot } from '../../../signal/order-book';

const snapshot = (lastUpdateId: number, bid = 99, ask = 101): DepthSnapshot => ({
  lastUpdateId,
  time: lastUpdateId,
  bids: [[bid, 1]],
  asks: [[ask, 1]],
});
const diff = (first: number, final: number, fields: Partial<DepthDiff> = {}): DepthDiff => ({
  firstUpdateId: first,
  finalUpdateId: final,
  time: final,
  bids: [],
  asks: [],
  ...fields,
});

test('diffs before the snapshot are held, then those after it are applied and older ones dropped as stale', () => {
  let requests = 0;
  const sync = new DepthSync(() => requests++);
  assert.equal(sync.onDiff(diff(1, 3, { bids: [[98, 5]] })), 'buffered');
  assert.equal(sync.onDiff(diff(4, 6, { bids: [[99, 2]] })), 'buffered');
  assert.equal(sync.onDiff(diff(7, 8, { asks: [[100, 4]] })), 'buffered');
  assert.equal(sync.synced, false);
  sync.onSnapshot(snapshot(5));
  assert.equal(sync.synced, true);
  assert.equal(sync.book.counts.stale, 1, 'the diff ending at 3 is in the snapshot');
  assert.equal(sync.book.lastUpdateId, 8);
  assert.equal(sync.book.bids.size(0), 2, 'the diff spanning 6 applied on the snapshot');
  assert.equal(sync.book.asks.price(0), 100);
  assert.equal(requests, 0, 'nothing broken, nothing refetched');
});

test('a gap asks for a new snapshot, holds what follows, and the book reads again after it', () => {
  let requests = 0;
  const sync = new DepthSync(() => requests++);
  sync.onSnapshot(snapshot(10));
  assert.equal(sync.onDiff(diff(11, 12)), 'applied');
  assert.equal(sync.onDiff(diff(14, 15, { bids: [[99.5, 1]] })), 'gap', '13 is missing');
  assert.equal(requests, 1);
  assert.equal(sync.synced, false, 'no book is read between the gap and the resync');
  assert.equal(sync.onDiff(diff(16, 18, { bids: [[99.7, 3]] })), 'buffered');
  sync.onSnapshot(snapshot(17, 99.5));
  assert.equal(sync.synced, true);
  assert.equal(sync.book.bids.price(0), 99.7, 'the held diff spanning 18 applied after the resync');
  assert.deepEqual(sync.counts, { snapshots: 2, resyncs: 1, overflows: 0 });
  assert.equal(sync.book.counts.gap, 1);
});

test('a diff that crosses the book or carries a bad level is a resync too, never a wrong book', () => {
  let requests = 0;
  const sync = new DepthSync(() => requests++);
  sync.onSnapshot(snapshot(1));
  assert.equal(sync.onDiff(diff(2, 2, { bids: [[102, 1]] })), 'crossed');
  assert.equal(sync.synced, false);
  sync.onSnapshot(snapshot(3));
  assert.equal(sync.onDiff(diff(4, 4, { asks: [[Number.NaN, 1]] })), 'invalid');
  assert.equal(requests, 2);
  assert.equal(sync.counts.resyncs, 2);
});

test('a snapshot with a bad level is refused and fetched again', () => {
  let requests = 0;
  const sync = new DepthSync(() => requests++);
  sync.onSnapshot({ lastUpdateId: 1, time: 1, bids: [[-1, 1]], asks: [[101, 1]] });
  assert.equal(sync.synced, false);
  assert.equal(requests, 1);
});

test('a stream that outruns the snapshot starts its buffer over, counted', () => {
  const sync = new DepthSync(() => undefined);
  for (let id = 1; id <= 2_001; id++) sync.onDiff(diff(id, id));
  assert.equal(sync.counts.overflows, 1);
  sync.onSnapshot(snapshot(2_000));
  assert.equal(sync.synced, true);
  assert.equal(sync.book.lastUpdateId, 2_001, 'the diff after the snapshot, kept after the overflow');
});

test('a snapshot older than the book it would replace is ignored; a restart refetches', () => {
  let requests = 0;
  const sync = new DepthSync(() => requests++);
  sync.onSnapshot(snapshot(20, 99));
  sync.onSnapshot(snapshot(15, 98));
  assert.equal(sync.book.bids.price(0), 99, 'the older snapshot did not take the book back');
  sync.restart();
  assert.equal(sync.synced, false);
  assert.equal(requests, 1);
  sync.onSnapshot(snapshot(15, 98));
  assert.equal(sync.book.bids.price(0), 98, 'after a restart any snapshot is the start');
});
