import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSignalOrder, positionAfter } from '../../../workflows/strategies/signal/signal-plan';

const rules = { tickSize: '0.01', lotSize: '0.001' };
const touch = { bid: '99.99', ask: '100.01' };

test('a taker order crosses: IOC at the far touch moved the slippage further, rounded away to the tick', () => {
  // 100.01 × 5 bps = 0.050005 → 100.060005, up to 100.07.
  assert.deepEqual(
    planSignalOrder({ side: 'buy', quantity: 0.1, reason: 'entry' }, touch, rules, 'taker', 5),
    {
      side: 'buy',
      price: '100.07',
      quantity: '0.1',
      timeInForce: 'IOC',
      postOnly: false,
    },
  );
  // 99.99 × 5 bps = 0.049995 → 99.940005, down to 99.94.
  const sell = planSignalOrder(
    { side: 'sell', quantity: 0.1, reason: 'exit-expired' },
    touch,
    rules,
    'taker',
    5,
  );
  assert.equal(sell?.price, '99.94');
  assert.equal(
    planSignalOrder({ side: 'buy', quantity: 0.1, reason: 'entry' }, touch, rules, 'taker', 0)?.price,
    '100.01',
  );
});

test('a maker entry joins the near touch, post-only and resting; its exits still take', () => {
  assert.deepEqual(
    planSignalOrder({ side: 'buy', quantity: 0.25, reason: 'entry' }, touch, rules, 'maker', 5),
    {
      side: 'buy',
      price: '99.99',
      quantity: '0.25',
      timeInForce: 'GTC',
      postOnly: true,
    },
  );
  assert.equal(
    planSignalOrder({ side: 'sell', quantity: 0.25, reason: 'entry' }, touch, rules, 'maker', 5)?.price,
    '100.01',
  );
  assert.equal(
    planSignalOrder({ side: 'sell', quantity: 0.25, reason: 'exit-reversal' }, touch, rules, 'maker', 5)
      ?.timeInForce,
    'IOC',
  );
});

test('quantity on the lot grid, rounded down; less than a lot is no order', () => {
  assert.equal(
    planSignalOrder({ side: 'buy', quantity: 0.12345, reason: 'entry' }, touch, rules, 'taker', 5)?.quantity,
    '0.123',
  );
  assert.equal(
    planSignalOrder({ side: 'buy', quantity: 0.0009, reason: 'entry' }, touch, rules, 'taker', 5),
    undefined,
  );
});

test('the position moves by what filled, a sell taking away', () => {
  assert.equal(positionAfter('0', 'buy', '0.1'), '0.1');
  assert.equal(positionAfter('0.1', 'sell', '0.25'), '-0.15');
  assert.equal(positionAfter('-0.15', 'buy', '0'), '-0.15');
});
