import assert from 'node:assert/strict';
import { test } from 'node:test';
import { midPrice, ordersToLookUp, outsideBand } from '../../../activities/order-watch';
import type { Order } from '../../../connectors/exchange-connector';

const open = (clientOrderId: string, filledQuantity: string): Order => ({
  venueOrderId: `v-${clientOrderId}`,
  clientOrderId,
  symbol: 'BTC-USDT',
  side: 'buy',
  type: 'limit',
  price: '100',
  quantity: '1',
  filledQuantity,
  averagePrice: null,
  fee: '0',
  feeAsset: 'USDT',
  status: filledQuantity === '0' ? 'open' : 'partially-filled',
  createdAt: 0,
  updatedAt: 0,
});

test('only orders that left the open list or filled further need a lookup', () => {
  const watched = [
    { clientOrderId: 'a', filledQuantity: '0' }, // still open, unchanged
    { clientOrderId: 'b', filledQuantity: '0' }, // filled 0.3 since
    { clientOrderId: 'c', filledQuantity: '0.5' }, // gone from the list: filled or cancelled
    { clientOrderId: 'd', filledQuantity: '0.25' }, // open, 0.25 known already
  ];
  assert.deepEqual(ordersToLookUp(watched, [open('a', '0'), open('b', '0.3'), open('d', '0.250')]), [
    'b',
    'c',
  ]);
});

test('mid price is exact and absent when a side is empty', () => {
  assert.equal(midPrice('59999.99', '60000.02'), '60000.005'); // (59999.99 + 60000.02) / 2
  assert.equal(midPrice('0.1', '0.2'), '0.15'); // not 0.15000000000000002
  assert.equal(midPrice('0', '100'), undefined);
});

test('the band includes its bounds', () => {
  const band = { low: '100', high: '200' };
  assert.equal(outsideBand('100', band), false);
  assert.equal(outsideBand('200', band), false);
  assert.equal(outsideBand('99.99', band), true);
  assert.equal(outsideBand('200.01', band), true);
});
