import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DepthSync } from '../../../signal/depth-sync';
import type { DepthDiff, DepthSnapshot } from '../../../signal/order-book';
import type { DepthDiffView } from '../../../sim/depth-stream';
import { SimExchange } from '../../../sim/exchange';

const numeric = (levels: Array<[string, string]>) => levels.map(([p, s]) => [Number(p), Number(s)] as const);
const toDiff = (d: DepthDiffView): DepthDiff => ({
  firstUpdateId: d.firstUpdateId,
  finalUpdateId: d.finalUpdateId,
  time: d.ts,
  bids: numeric(d.bids),
  asks: numeric(d.asks),
});

function followed(ex: SimExchange) {
  const diffs: DepthDiffView[] = [];
  const stop = ex.onMarketData((e) => {
    if (e.type === 'depth' && e.venue === 'binance' && e.market === 'spot') diffs.push(e.diff);
  });
  const release = ex.followDepth('binance', 'spot', 'BTC-USDT');
  return { diffs, stop: () => (stop(), release()) };
}

const snapshotOf = (ex: SimExchange, levels = 100): DepthSnapshot => {
  const d = ex.depthSnapshot('binance', 'spot', 'BTC-USDT', levels);
  return { lastUpdateId: d.lastUpdateId, time: d.ts, bids: numeric(d.bids), asks: numeric(d.asks) };
};

const topLevels = (sync: DepthSync, n: number) => ({
  bids: Array.from({ length: Math.min(n, sync.book.bids.count) }, (_, i) => [
    sync.book.bids.price(i),
    sync.book.bids.size(i),
  ]),
  asks: Array.from({ length: Math.min(n, sync.book.asks.count) }, (_, i) => [
    sync.book.asks.price(i),
    sync.book.asks.size(i),
  ]),
});

test('a followed book streams diffs numbered without holes, and a snapshot plus them is the venue book', () => {
  const ex = new SimExchange({ seed: 7, synthetic: true, symbols: ['BTC-USDT'] });
  ex.step(100);
  const stream = followed(ex);
  const sync = new DepthSync(() => assert.fail('no resync on a whole stream'));
  sync.onSnapshot(snapshotOf(ex));
  for (let i = 0; i < 200; i++) ex.step(100);
  stream.stop();
  assert.ok(stream.diffs.length > 50, `diffs flowed (${stream.diffs.length})`);
  for (let i = 1; i < stream.diffs.length; i++)
    assert.equal(
      stream.diffs[i]!.firstUpdateId,
      stream.diffs[i - 1]!.finalUpdateId + 1,
      `diff ${i} continues`,
    );
  for (const d of stream.diffs) assert.equal(sync.onDiff(toDiff(d)), 'applied');
  assert.deepEqual(topLevels(sync, 20), {
    bids: numeric(ex.depthSnapshot('binance', 'spot', 'BTC-USDT', 20).bids),
    asks: numeric(ex.depthSnapshot('binance', 'spot', 'BTC-USDT', 20).asks),
  });
});

test("a scripted 'depth-gap' loses one diff: the reader sees the gap, resyncs from a snapshot, and is right again", () => {
  const ex = new SimExchange({ seed: 8, synthetic: true, symbols: ['BTC-USDT'] });
  ex.step(100);
  const stream = followed(ex);
  let wanted = false;
  const sync = new DepthSync(() => (wanted = true));
  sync.onSnapshot(snapshotOf(ex));
  const outcomes: string[] = [];
  const pump = () => {
    for (const d of stream.diffs.splice(0)) outcomes.push(sync.onDiff(toDiff(d)));
    if (wanted) {
      wanted = false;
      sync.onSnapshot(snapshotOf(ex));
    }
  };
  for (let i = 0; i < 20; i++) {
    ex.step(100);
    pump();
  }
  ex.faults.add({ venue: 'binance', market: 'spot', op: 'marketData', fault: 'depth-gap', times: 1 });
  for (let i = 0; i < 100; i++) {
    ex.step(100);
    pump();
  }
  stream.stop();
  assert.equal(outcomes.filter((o) => o === 'gap').length, 1, 'the lost diff is seen as one gap');
  assert.equal(sync.counts.resyncs, 1);
  assert.equal(sync.synced, true);
  assert.deepEqual(topLevels(sync, 20), {
    bids: numeric(ex.depthSnapshot('binance', 'spot', 'BTC-USDT', 20).bids),
    asks: numeric(ex.depthSnapshot('binance', 'spot', 'BTC-USDT', 20).asks),
  });
});

test('nobody following: no depth work and no events; a release is idempotent', () => {
  const ex = new SimExchange({ seed: 9, synthetic: true, symbols: ['BTC-USDT'] });
  const events: string[] = [];
  ex.onMarketData((e) => events.push(e.type));
  const release = ex.followDepth('binance', 'spot', 'BTC-USDT');
  release();
  release();
  for (let i = 0; i < 20; i++) ex.step(100);
  assert.equal(events.includes('depth'), false);
});
