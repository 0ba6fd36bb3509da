import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positionFromFills } from '../../../db/positions';

test('buys average their cost: 1 @ 100 and 3 @ 120 hold 4 at (100 + 360) / 4 = 115', () => {
  assert.deepEqual(
    positionFromFills([
      { side: 'buy', quantity: '1', price: '100' },
      { side: 'buy', quantity: '3', price: '120' },
    ]),
    { quantity: '4', averagePrice: '115', realizedPnl: '0', fills: 2 },
  );
});

test('a partial sell realizes (exit − average) × quantity and keeps the average', () => {
  // Hold 4 @ 115; sell 1.5 @ 125: realized 1.5 × 10 = 15; 2.5 left at 115.
  const position = positionFromFills([
    { side: 'buy', quantity: '1', price: '100' },
    { side: 'buy', quantity: '3', price: '120' },
    { side: 'sell', quantity: '1.5', price: '125' },
  ]);
  assert.deepEqual(position, { quantity: '2.5', averagePrice: '115', realizedPnl: '15', fills: 3 });
});

test('a sell past flat flips to short at the fill price', () => {
  // Hold 1 @ 100; sell 3 @ 90: realize 1 × (90 − 100) = −10; short 2 opened at 90.
  assert.deepEqual(
    positionFromFills([
      { side: 'buy', quantity: '1', price: '100' },
      { side: 'sell', quantity: '3', price: '90' },
    ]),
    { quantity: '-2', averagePrice: '90', realizedPnl: '-10', fills: 2 },
  );
});

test('covering a short realizes (average − exit) × quantity; flat resets the average', () => {
  // Short 2 @ 90; buy 2 @ 80: realize 2 × 10 = 20; flat.
  assert.deepEqual(
    positionFromFills([
      { side: 'sell', quantity: '2', price: '90' },
      { side: 'buy', quantity: '2', price: '80' },
    ]),
    { quantity: '0', averagePrice: '0', realizedPnl: '20', fills: 2 },
  );
});

test('a grid round trip: buy 1 @ 95, sell 1 @ 100 realizes 5', () => {
  assert.deepEqual(
    positionFromFills([
      { side: 'buy', quantity: '1', price: '95' },
      { side: 'sell', quantity: '1', price: '100' },
    ]),
    { quantity: '0', averagePrice: '0', realizedPnl: '5', fills: 2 },
  );
});
