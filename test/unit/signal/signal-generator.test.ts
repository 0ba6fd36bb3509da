import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyFeatures } from '../../../signal/features';
import { imbalanceSignal, type Signal } from '../../../signal/signal-generator';

const run = (imbalance: number, tradeFlowImbalance: number) => {
  const signal: Signal = { strength: 0, confidence: 0, holdingPeriodMs: 0 };
  const given = imbalanceSignal().generate({ ...emptyFeatures(), imbalance, tradeFlowImbalance }, signal);
  return given ? signal : undefined;
};

test('the seed defaults: threshold 0.3, minimum confidence 0.7, decay 500 ms', () => {
  assert.equal(run(0.29, 1), undefined, 'below the threshold');
  // 0.5: excess (0.5 − 0.3) / 0.7 = 2/7; with flow 0.5 its way: 0.5 + 0.25 × 2/7 + 0.125 = 0.6964 < 0.7.
  assert.equal(run(0.5, 0.5), undefined);
  const strong = run(0.5, 1)!;
  assert.equal(strong.strength, 0.5);
  assert.ok(Math.abs(strong.confidence - (0.5 + 0.25 * (2 / 7) + 0.25)) < 1e-12);
  assert.equal(strong.holdingPeriodMs, 500);
  // Selling: −0.8 with flow −0.2 (agreeing 0.2): 0.5 + 0.25 × (0.5 / 0.7) + 0.05 = 0.7286.
  const sell = run(-0.8, -0.2)!;
  assert.equal(sell.strength, -0.8);
  assert.ok(Math.abs(sell.confidence - (0.5 + 0.25 * (0.5 / 0.7) + 0.05)) < 1e-12);
  assert.equal(run(-0.8, 0.2), undefined, 'flow against it');
  assert.equal(run(1, 1)?.confidence, 1, 'a one-sided touch with all flow its way');
});
