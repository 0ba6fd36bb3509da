import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fitNormalization,
  scoreClassifier,
  trainLogistic,
  upProbability,
} from '../../../signal/logistic-model';
import type { MarketUpdate } from '../../../signal/market-updates';
import { buildTrainingSet } from '../../../signal/training-set';

test('normalization: each column by its mean and sample deviation; a constant column by 1', () => {
  const rows = [Float64Array.of(1, 5), Float64Array.of(3, 5), Float64Array.of(5, 5)];
  const { mean, std } = fitNormalization(rows, 2);
  assert.deepEqual(mean, [3, 5]);
  assert.deepEqual(std, [2, 1]);
});

test('training finds the feature that separates the labels, and the weights score well on them', () => {
  // Label is 1 exactly when the first feature is positive; the second is noise that repeats either way.
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  for (let index = 0; index < 200; index++) {
    const x = ((index % 20) - 9.5) / 5;
    rows.push(Float64Array.of(x, (index % 3) - 1));
    labels.push(x > 0 ? 1 : 0);
  }
  const model = trainLogistic(rows, Uint8Array.from(labels), 2, {
    iterations: 300,
    learningRate: 0.5,
    l2: 0,
  });
  assert.ok(model.weights[0]! > 2, `weight on the separating feature: ${model.weights[0]}`);
  assert.ok(Math.abs(model.weights[1]!) < 0.1, `weight on the noise: ${model.weights[1]}`);
  const scores = scoreClassifier(
    rows.map((row) => upProbability(model, row)),
    Uint8Array.from(labels),
    0.1,
  );
  assert.equal(scores.accuracy, 1);
  assert.equal(scores.auc, 1);
  assert.equal(scores.baseRate, 0.5);
});

test('scores computed by hand: accuracy, log loss, AUC with a tie, signals past the edge', () => {
  const scores = scoreClassifier([0.9, 0.6, 0.6, 0.2], Uint8Array.of(1, 0, 1, 0), 0.2);
  assert.equal(scores.accuracy, 0.75);
  const logLoss = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.6) + Math.log(0.8)) / 4;
  assert.ok(Math.abs(scores.logLoss - logLoss) < 1e-12);
  // Positives 0.9 and 0.6 against negatives 0.6 and 0.2: 1 + 1 + 0.5 + 1 of 4 pairs.
  assert.equal(scores.auc, 3.5 / 4);
  // Only 0.9 and 0.2 are 0.2 or more from 0.5; both right.
  assert.equal(scores.signals, 2);
  assert.equal(scores.signalHitRate, 1);
});

const touch = (time: number, bid: number, ask: number, bidSize = 1, askSize = 1): MarketUpdate => ({
  snapshot: { time, bid, ask, bidSize, askSize, bidDepth: bidSize, askDepth: askSize },
  trade: undefined,
});

test('the training set: a row per touch with full windows, labelled by the mid one horizon later', () => {
  const updates = [
    touch(0, 99, 101),
    touch(100, 99, 101, 3, 1),
    touch(200, 100, 102),
    // A trade rides on the touch and makes no row of its own.
    { snapshot: touch(250, 100, 102).snapshot, trade: { time: 250, price: 102, quantity: 1, side: 1 } },
    touch(300, 99, 101),
    touch(400, 99, 101),
    touch(1_000, 99, 101),
  ];
  const set = buildTrainingSet(updates, { priceMs: 1_000, flowMs: 1_000 }, 16, 150, 2);
  // t=100: mid 100, at 250 (the trade's touch) 101: up. t=200: mid 101, at 350 (t=300's touch) 100: down.
  // t=300: 100, at 450 still 100: unchanged, left out; t=400 likewise; t=1000's horizon runs past the end.
  assert.deepEqual(set.times, [100, 200]);
  assert.deepEqual([...set.labels], [1, 0]);
  // The imbalance column at t=100: (3 − 1) / 4.
  assert.equal(set.rows[0]![2], 0.5);
});
