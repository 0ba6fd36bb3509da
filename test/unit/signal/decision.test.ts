import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, type DecisionSettings } from '../../../signal/decision';

const settings: DecisionSettings = { maxPosition: 1, orderSizeFraction: 0.5, lotSize: 0.001 };
const buySignal = { strength: 0.6, confidence: 0.8, holdingPeriodMs: 500 };
const sellSignal = { strength: -0.6, confidence: 0.8, holdingPeriodMs: 500 };

test('a signal enters half the allowed position its way, up to the limit, and holds it', () => {
  assert.deepEqual(decide(buySignal, { quantity: 0, holdUntil: 0 }, 1_000, settings), {
    action: 'order',
    side: 'buy',
    quantity: 0.5,
    reason: 'entry',
    holdUntil: 1_500,
  });
  // 0.8 held: only 0.2 of room left.
  const topUp = decide(buySignal, { quantity: 0.8, holdUntil: 1_200 }, 1_100, settings);
  assert.equal(topUp.action === 'order' && topUp.quantity, 0.2);
  // At the limit: nothing more, but the signal renews the hold.
  assert.deepEqual(decide(buySignal, { quantity: 1, holdUntil: 1_200 }, 1_100, settings), {
    action: 'hold',
    holdUntil: 1_600,
  });
  const short = decide(sellSignal, { quantity: 0, holdUntil: 0 }, 1_000, settings);
  assert.equal(short.action === 'order' && short.side, 'sell');
});

test('a signal against the position closes it first; an expired hold closes it', () => {
  assert.deepEqual(decide(sellSignal, { quantity: 0.5, holdUntil: 2_000 }, 1_000, settings), {
    action: 'order',
    side: 'sell',
    quantity: 0.5,
    reason: 'exit-reversal',
    holdUntil: 1_000,
  });
  assert.deepEqual(decide(undefined, { quantity: -0.5, holdUntil: 1_000 }, 999, settings), {
    action: 'hold',
    holdUntil: 1_000,
  });
  assert.deepEqual(decide(undefined, { quantity: -0.5, holdUntil: 1_000 }, 1_000, settings), {
    action: 'order',
    side: 'buy',
    quantity: 0.5,
    reason: 'exit-expired',
    holdUntil: 1_000,
  });
  assert.deepEqual(decide(undefined, { quantity: 0, holdUntil: 0 }, 5_000, settings), {
    action: 'hold',
    holdUntil: 0,
  });
});

test('sizes are rounded down to the lot; less than a lot is no order', () => {
  const coarse = { ...settings, lotSize: 0.3 };
  const entry = decide(buySignal, { quantity: 0, holdUntil: 0 }, 0, coarse);
  assert.equal(entry.action === 'order' && entry.quantity, 0.3);
  assert.equal(decide(buySignal, { quantity: 0.9, holdUntil: 0 }, 0, coarse).action, 'hold');
});

test('long only: a sell signal closes a long but opens no short', () => {
  const longOnly = { ...settings, allowShort: false };
  assert.deepEqual(decide(sellSignal, { quantity: 0, holdUntil: 0 }, 1_000, longOnly), {
    action: 'hold',
    holdUntil: 0,
  });
  const close = decide(sellSignal, { quantity: 0.5, holdUntil: 2_000 }, 1_000, longOnly);
  assert.equal(close.action === 'order' && close.reason, 'exit-reversal');
  const entry = decide(buySignal, { quantity: 0, holdUntil: 0 }, 1_000, longOnly);
  assert.equal(entry.action === 'order' && entry.side, 'buy');
});
