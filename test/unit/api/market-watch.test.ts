import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MarketWatch,
  type MarketSource,
  type MarketUpdate,
  type QuotePort,
  type Touch,
} from '../../../api/live/market-watch';

const SOURCE: MarketSource = { venue: 'binance', market: 'spot', account: 'keel' };
const touch = (bid: string, ask: string): Touch => ({ bid, ask, bidSize: '1', askSize: '2' });

/** A port that records who follows what and lets the test push touches. */
function fakePort() {
  const following = new Map<string, (touch: Touch) => void>();
  const follows: string[] = [];
  const port: QuotePort = {
    follow(source, symbol, onTouch) {
      follows.push(`${source.venue}/${source.market}/${source.account}/${symbol}`);
      following.set(symbol, onTouch);
      return () => following.delete(symbol);
    },
  };
  return { port, following, follows };
}

test('one follow per symbol however many view it; updates are throttled; unfollowed when nobody views', async () => {
  const { port, following, follows } = fakePort();
  let now = 120_000;
  const watch = new MarketWatch(port, {
    sourceOf: async (symbol) => (symbol === 'BTC-USDT' ? SOURCE : undefined),
    intervalSeconds: 60,
    throttleMs: 20,
    now: () => now,
  });
  const first: MarketUpdate[] = [];
  const second: MarketUpdate[] = [];
  const a = await watch.view('BTC-USDT', (update) => first.push(update));
  const b = await watch.view('BTC-USDT', (update) => second.push(update));
  assert.deepEqual(follows, ['binance/spot/keel/BTC-USDT']);
  assert.deepEqual(a?.candles, []);

  const push = following.get('BTC-USDT')!;
  push(touch('99', '101'));
  now += 1_000;
  push(touch('101', '103')); // two quotes inside one throttle window: one update, the latest
  await sleep(60);
  assert.equal(first.length, 1);
  assert.deepEqual(first[0], {
    candle: { time: 120, open: 100, high: 102, low: 100, close: 102 },
    touch: touch('101', '103'),
  });
  assert.deepEqual(second, first);
  await sleep(40);
  assert.equal(first.length, 1, 'nothing new, nothing sent');

  a?.stop();
  assert.ok(following.has('BTC-USDT'), 'still viewed by the second');
  b?.stop();
  assert.equal(following.size, 0);

  // Coming back: the candles are still there, and the market is followed again.
  const again = await watch.view('BTC-USDT', () => undefined);
  assert.deepEqual(again?.candles, [{ time: 120, open: 100, high: 102, low: 100, close: 102 }]);
  assert.equal(follows.length, 2);
  watch.close();
  assert.equal(following.size, 0);
});

test('a symbol without a market gives no view and follows nothing', async () => {
  const { port, follows } = fakePort();
  const watch = new MarketWatch(port, { sourceOf: async () => undefined });
  assert.equal(await watch.view('NOPE-USDT', () => undefined), undefined);
  assert.deepEqual(follows, []);
});
