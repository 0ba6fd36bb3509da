import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QuoteLeg } from '../../../activities/quote-watch';
import { signalFeeds } from '../../../activities/signal-feeds';
import {
  ConnectorError,
  type BestBidAsk,
  type ExchangeConnector,
  type OrderBookSnapshot,
  type OrderBookUpdate,
  type PublicTrade,
} from '../../../connectors/exchange-connector';
import { emptyFeatures } from '../../../signal/features';

const leg = { venue: 'binance' as const, market: 'spot' as const, account: 'keel', symbol: 'SIG-USDT' };
const quote = (timestamp: number, bidSize: string): BestBidAsk =>
  ({ bid: '99', ask: '101', bidSize, askSize: '1', timestamp }) as BestBidAsk;

function fakeFollow() {
  const followed: Array<{ push(q: BestBidAsk): void; fail(e: unknown): void; stopped: boolean }> = [];
  const follow = (
    _exchange: ExchangeConnector,
    _leg: QuoteLeg,
    onQuote: (q: BestBidAsk) => void,
    onError: (e: unknown) => void,
  ) => {
    const entry = { push: onQuote, fail: onError, stopped: false };
    followed.push(entry);
    return () => void (entry.stopped = true);
  };
  return { follow, followed };
}

test('a feed keeps the windows across readers, lingers after the last, then stops following', async () => {
  const { follow, followed } = fakeFollow();
  const feeds = signalFeeds(follow, 30);
  const seen: number[] = [];
  const first = feeds.attach({} as ExchangeConnector, leg, 1_000, {
    onQuote: (q) => seen.push(q.timestamp),
    onError: assert.fail,
  });
  followed[0]!.push(quote(1, '3'));
  followed[0]!.push(quote(2, '3'));
  assert.deepEqual(seen, [1, 2]);
  first.detach();
  // Between readers (an order being placed) the market is still folded in.
  followed[0]!.push(quote(3, '9'));
  const second = feeds.attach({} as ExchangeConnector, leg, 1_000, {
    onQuote: () => undefined,
    onError: assert.fail,
  });
  assert.equal(followed.length, 1, 'one subscription');
  assert.equal(second.calculator, first.calculator, 'the same windows');
  assert.equal(second.latest?.timestamp, 3);
  const features = emptyFeatures();
  second.calculator.compute(features);
  assert.equal(features.samples, 3);
  assert.equal(features.imbalance, 0.8);
  second.detach();
  await sleep(60);
  assert.equal(followed[0]!.stopped, true, 'stopped once it lingered unread');
  assert.equal(feeds.size, 0);
  // A new reader starts afresh.
  const third = feeds.attach({} as ExchangeConnector, leg, 1_000, {
    onQuote: () => undefined,
    onError: assert.fail,
  });
  assert.equal(followed.length, 2);
  assert.notEqual(third.calculator, first.calculator);
  third.detach();
  feeds.closeAll();
});

test('a feed whose market cannot be followed tells its readers and is dropped; windows differ by width', () => {
  const { follow, followed } = fakeFollow();
  const feeds = signalFeeds(follow, 30);
  const errors: unknown[] = [];
  feeds.attach({} as ExchangeConnector, leg, 1_000, {
    onQuote: () => undefined,
    onError: (e) => errors.push(e),
  });
  feeds.attach({} as ExchangeConnector, leg, 5_000, { onQuote: () => undefined, onError: () => undefined });
  assert.equal(followed.length, 2, 'a window of its own per width');
  followed[0]!.fail(new Error('symbol delisted'));
  assert.match(String(errors[0]), /delisted/);
  assert.equal(feeds.size, 1);
  feeds.closeAll();
});

test('public trades join the windows and wake the readers; a refused stream leaves the feed without them', async () => {
  const { follow, followed } = fakeFollow();
  const feeds = signalFeeds(follow, 30);
  const opened: Array<{ onTrade: (trade: PublicTrade) => void; fail: (error: unknown) => void }> = [];
  const exchange = {
    watchTrades: (_symbol: string, onTrade: (trade: PublicTrade) => void) =>
      new Promise<void>((_resolve, reject) => opened.push({ onTrade, fail: reject })),
  } as unknown as ExchangeConnector;
  let woken = 0;
  const feed = feeds.attach(exchange, leg, 1_000, { onQuote: () => woken++, onError: assert.fail });
  assert.equal(feed.trades, true);
  followed[0]!.push(quote(1_000, '1'));
  const print = (side: 'buy' | 'sell', quantity: string) =>
    opened.at(-1)!.onTrade({ symbol: 'SIG-USDT', price: '100', quantity, takerSide: side, timestamp: 1_000 });
  print('buy', '3');
  print('sell', '1');
  assert.equal(woken, 3, 'the touch, then each trade');
  followed[0]!.push(quote(1_001, '1'));
  const features = emptyFeatures();
  feed.calculator.compute(features);
  assert.equal(features.tradeFlowImbalance, 0.5, '(3 − 1) / 4');
  // A transient failure reopens the stream after a second; a refusal ends it for good.
  opened.at(-1)!.fail(new ConnectorError('retryable', 'socket closed'));
  await sleep(1_100);
  assert.equal(opened.length, 2, 'reopened');
  opened.at(-1)!.fail(new ConnectorError('auth', 'no market data permission'));
  await sleep(20);
  assert.equal(feed.trades, false);
  feed.detach();
  feeds.closeAll();
});

test("the venue's L2 book makes the depth features: synced from a snapshot, resynced after a gap and a reopened stream", async () => {
  const { follow, followed } = fakeFollow();
  const feeds = signalFeeds(follow, 30);
  const streams: Array<{ onUpdate: (update: OrderBookUpdate) => void; fail: (error: unknown) => void }> = [];
  const snapshots: number[] = [];
  let venueBook: OrderBookSnapshot = {
    symbol: 'SIG-USDT',
    lastUpdateId: 10,
    timestamp: 1,
    bids: [
      ['99', '1'],
      ['98', '4'],
    ],
    asks: [
      ['101', '1'],
      ['102', '1'],
    ],
  };
  const exchange = {
    watchOrderBook: (
      _symbol: string,
      onUpdate: (update: OrderBookUpdate) => void,
      _signal: AbortSignal,
      onLive: () => void,
    ) =>
      new Promise<void>((_resolve, reject) => {
        streams.push({ onUpdate, fail: reject });
        onLive();
      }),
    orderBookSnapshot: async () => {
      snapshots.push(venueBook.lastUpdateId);
      return venueBook;
    },
  } as unknown as ExchangeConnector;
  const feed = feeds.attach(exchange, leg, 1_000, { onQuote: () => undefined, onError: assert.fail });
  const diff = (first: number, final: number, bids: Array<[string, string]>): OrderBookUpdate => ({
    kind: 'diff',
    symbol: 'SIG-USDT',
    firstUpdateId: first,
    finalUpdateId: final,
    timestamp: final,
    bids,
    asks: [],
  });
  const depthRatio = () => {
    followed[0]!.push(quote(1_000 + feeds.size, '1'));
    const features = emptyFeatures();
    feed.calculator.compute(features);
    return features.depthRatio;
  };
  streams[0]!.onUpdate(diff(9, 11, [['97', '5']]));
  await sleep(5);
  assert.deepEqual(feed.depth, { synced: true, sequence: 11, snapshots: 1, resyncs: 0, overflows: 0 });
  // Bids 1 + 4 + 5 against asks 1 + 1, beyond the touch's 1 : 1.
  assert.equal(depthRatio(), 10 / 2);
  venueBook = { ...venueBook, lastUpdateId: 14 };
  streams[0]!.onUpdate(diff(13, 14, [['96', '1']]));
  assert.equal(feed.depth?.synced, false, '12 is missing: no book read until the resync');
  await sleep(5);
  assert.deepEqual(feed.depth, { synced: true, sequence: 14, snapshots: 2, resyncs: 1, overflows: 0 });
  assert.equal(depthRatio(), 5 / 2, "the venue's book as of 14");
  // A dropped stream is reopened after a second and the book fetched again.
  streams[0]!.fail(new ConnectorError('retryable', 'socket closed'));
  await sleep(1_100);
  assert.equal(streams.length, 2);
  assert.equal(feed.depth?.resyncs, 2);
  assert.equal(feed.depth?.snapshots, 3);
  assert.deepEqual(snapshots, [10, 14, 14]);
  // A refused stream leaves the feed on the touch.
  streams[1]!.fail(new ConnectorError('unknown-symbol', 'delisted'));
  await sleep(20);
  assert.equal(feed.depth, undefined);
  feed.detach();
  feeds.closeAll();
});
