import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNewer, OrderFeed } from '../../../activities/order-feeds';
import { streamedChanges } from '../../../activities/order-watch';
import type { Order } from '../../../connectors/exchange-connector';

const order = (
  clientOrderId: string,
  filledQuantity: string,
  status: Order['status'],
  symbol = 'BTC-USDT',
): Order => ({
  venueOrderId: `v-${clientOrderId}`,
  clientOrderId,
  symbol,
  side: 'buy',
  type: 'limit',
  price: '100',
  quantity: '1',
  filledQuantity,
  averagePrice: filledQuantity === '0' ? null : '100',
  fee: '0',
  feeAsset: 'USDT',
  status,
  createdAt: 0,
  updatedAt: 0,
});

function clockedFeed(options: { auditMs?: number; maxOrders?: number } = {}) {
  const clock = { now: 1_000 };
  const feed = new OrderFeed({
    auditMs: options.auditMs ?? 60_000,
    maxOrders: options.maxOrders ?? 100,
    now: () => clock.now,
  });
  return { feed, clock };
}

test('a closed order is never taken back to open, nor a fill to a smaller one, whatever order they arrive in', () => {
  assert.equal(isNewer(order('a', '0.5', 'partially-filled'), order('a', '0.3', 'partially-filled')), false);
  assert.equal(isNewer(order('a', '0.3', 'partially-filled'), order('a', '0.5', 'partially-filled')), true);
  assert.equal(isNewer(order('a', '1', 'filled'), order('a', '0.5', 'partially-filled')), false);
  assert.equal(isNewer(order('a', '0.5', 'partially-filled'), order('a', '0.5', 'canceled')), true);

  const { feed } = clockedFeed();
  feed.update(order('a', '1', 'filled'));
  feed.update(order('a', '0.4', 'partially-filled')); // a late duplicate
  assert.equal(feed.latest('a')?.status, 'filled');
});

test('a symbol is settled only by REST asked while the stream was up in the same epoch, and not for ever', () => {
  const { feed, clock } = clockedFeed({ auditMs: 60_000 });
  feed.markSettled('BTC-USDT', feed.epoch, clock.now);
  assert.equal(feed.isSettled('BTC-USDT'), false, 'the stream was not up');

  feed.connected();
  const epoch = feed.epoch;
  feed.markSettled('BTC-USDT', epoch, clock.now);
  assert.equal(feed.isSettled('BTC-USDT'), true);
  assert.equal(feed.settledUntil('BTC-USDT'), 61_000);

  clock.now += 60_000;
  assert.equal(feed.isSettled('BTC-USDT'), false, 'the audit interval passed');
  feed.markSettled('BTC-USDT', epoch, clock.now);

  feed.disconnected();
  assert.equal(feed.isSettled('BTC-USDT'), false, 'the stream is down');
  feed.connected();
  assert.equal(feed.isSettled('BTC-USDT'), false, 'it reconnected: it may have missed changes');
  feed.markSettled('BTC-USDT', epoch, clock.now);
  assert.equal(feed.isSettled('BTC-USDT'), false, 'REST asked before the reconnect settles nothing');
});

test('forgetting an order unsettles its symbol: the stream can no longer say it did not change', () => {
  const { feed, clock } = clockedFeed({ maxOrders: 2 });
  feed.connected();
  for (const symbol of ['BTC-USDT', 'ETH-USDT']) feed.markSettled(symbol, feed.epoch, clock.now);
  feed.update(order('a', '0', 'open', 'ETH-USDT'));
  feed.update(order('b', '0', 'open', 'BTC-USDT'));
  feed.update(order('c', '0', 'open', 'BTC-USDT'));
  assert.equal(feed.latest('a'), undefined);
  assert.equal(feed.isSettled('ETH-USDT'), false);
  assert.equal(feed.isSettled('BTC-USDT'), true);
});

test("a waiter wakes on its symbol's news, on a reconnect, on abort or on time; not on other symbols' news", async () => {
  const { feed } = clockedFeed();
  feed.connected();
  const woke = (promise: Promise<void>) =>
    Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);

  const mine = feed.waitForNews('BTC-USDT', 10_000, new AbortController().signal);
  feed.update(order('x', '0', 'open', 'ETH-USDT'));
  assert.equal(await woke(mine), false);
  feed.update(order('y', '0', 'open', 'BTC-USDT'));
  assert.equal(await woke(mine), true);

  const reconnect = feed.waitForNews('BTC-USDT', 10_000, new AbortController().signal);
  feed.disconnected();
  assert.equal(await woke(reconnect), true);

  const abort = new AbortController();
  const aborted = feed.waitForNews('BTC-USDT', 10_000, abort.signal);
  abort.abort();
  assert.equal(await woke(aborted), true);

  assert.equal(await woke(feed.waitForNews('BTC-USDT', 5, new AbortController().signal)), true);
});

test('the stream has news of a watched order when it closed or filled further than the workflow knows', () => {
  const latest = new Map([
    ['open-same', order('open-same', '0.2', 'partially-filled')],
    ['filled-more', order('filled-more', '0.5', 'partially-filled')],
    ['cancelled', order('cancelled', '0', 'canceled')],
  ]);
  const watched = [
    { clientOrderId: 'open-same', filledQuantity: '0.20' },
    { clientOrderId: 'filled-more', filledQuantity: '0.2' },
    { clientOrderId: 'cancelled', filledQuantity: '0' },
    { clientOrderId: 'unheard', filledQuantity: '0' },
  ];
  assert.deepEqual(
    streamedChanges(watched, (id) => latest.get(id)).map((o) => o.clientOrderId),
    ['filled-more', 'cancelled'],
  );
});
