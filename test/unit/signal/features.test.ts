import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  emptyFeatures,
  FeatureCalculator,
  type SnapshotRecord,
  type TradeRecord,
} from '../../../signal/features';

const close = (actual: number, expected: number, what: string, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);

const snapshot = (
  time: number,
  bid: number,
  ask: number,
  extra: Partial<SnapshotRecord> = {},
): SnapshotRecord => ({
  time,
  bid,
  ask,
  bidSize: 1,
  askSize: 1,
  bidDepth: 1,
  askDepth: 1,
  ...extra,
});

/** Three snapshots (mids 100, 101, 99) and three trades, in time order. */
function market(windows = { priceMs: 1000, flowMs: 1000 }) {
  const calculator = new FeatureCalculator(windows, { snapshots: 8, trades: 8 });
  calculator.addSnapshot(snapshot(0, 99, 101));
  calculator.addTrade({ time: 100, price: 100, quantity: 2, side: 1 });
  calculator.addSnapshot(snapshot(500, 100, 102));
  calculator.addTrade({ time: 600, price: 101, quantity: 1, side: -1 });
  calculator.addTrade({ time: 900, price: 100, quantity: 1, side: 1 });
  calculator.addSnapshot(snapshot(1000, 98, 100, { bidSize: 3, askSize: 1, bidDepth: 10, askDepth: 5 }));
  return calculator;
}

test('the features at the latest snapshot, computed by hand', () => {
  const features = emptyFeatures();
  assert.equal(market().compute(features), true);
  assert.equal(features.samples, 3);
  close(features.momentum, 99 / 100 - 1, 'momentum');
  // Two log returns: their sample standard deviation is |r1 − r2| / √2.
  const r1 = Math.log(101 / 100);
  const r2 = Math.log(99 / 101);
  close(features.volatility, Math.abs(r1 - r2) / Math.SQRT2, 'volatility');
  close(features.imbalance, (3 - 1) / (3 + 1), 'imbalance');
  close(features.spreadBps, (2 / 99) * 10_000, 'spread');
  close(features.depthRatio, 10 / 5, 'depth ratio');
  close(features.tradeFlowImbalance, (3 - 1) / (3 + 1), 'trade flow: buys 2 + 1, sells 1');
});

test('windows bound what is counted', () => {
  const features = emptyFeatures();
  market({ priceMs: 500, flowMs: 500 }).compute(features);
  assert.equal(features.samples, 2);
  close(features.momentum, 99 / 101 - 1, 'momentum from t=500');
  assert.equal(features.volatility, 0, 'one return: no deviation');
  assert.equal(features.tradeFlowImbalance, 0, 'from t=500: a sell of 1 and a buy of 1');
});

test('no snapshot: nothing computed; an empty touch: neutral values, never NaN', () => {
  const features = emptyFeatures();
  const calculator = new FeatureCalculator({ priceMs: 1000, flowMs: 1000 }, { snapshots: 2, trades: 2 });
  assert.equal(calculator.compute(features), false);
  calculator.addSnapshot(snapshot(0, 0, 0, { bidSize: 0, askSize: 0, bidDepth: 0, askDepth: 0 }));
  calculator.compute(features);
  for (const [name, value] of Object.entries(features))
    assert.ok(Number.isFinite(value), `${name} is ${value}`);
});

/** The same features from scratch over the records a window holds (the rings keep the latest `capacity`). */
function fromScratch(snapshots: SnapshotRecord[], trades: TradeRecord[], windowMs: number, capacity: number) {
  const kept = snapshots.slice(-capacity);
  const last = kept.at(-1)!;
  const inWindow = kept.filter((entry) => entry.time >= last.time - windowMs);
  const mids = inWindow.map((entry) => (entry.bid + entry.ask) / 2);
  const returns = mids.slice(1).map((mid, index) => Math.log(mid / mids[index]!));
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const variance =
    returns.length > 1
      ? returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (returns.length - 1)
      : 0;
  const flow = trades.slice(-capacity).filter((entry) => entry.time >= last.time - windowMs);
  const buys = flow.filter((entry) => entry.side > 0).reduce((sum, entry) => sum + entry.quantity, 0);
  const sells = flow.filter((entry) => entry.side < 0).reduce((sum, entry) => sum + entry.quantity, 0);
  return {
    samples: inWindow.length,
    momentum: mids.at(-1)! / mids[0]! - 1,
    volatility: Math.sqrt(variance),
    tradeFlowImbalance: buys + sells > 0 ? (buys - sells) / (buys + sells) : 0,
  };
}

test('kept incrementally, the features equal a computation from scratch under any sequence', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 12 }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(
        fc.record({
          gap: fc.integer({ min: 0, max: 20 }),
          move: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
          trade: fc.option(
            fc.record({ quantity: fc.double({ min: 0.01, max: 5, noNaN: true }), buy: fc.boolean() }),
          ),
        }),
        { minLength: 1, maxLength: 60 },
      ),
      (capacity, windowMs, steps) => {
        const calculator = new FeatureCalculator(
          { priceMs: windowMs, flowMs: windowMs },
          { snapshots: capacity, trades: capacity },
        );
        const snapshots: SnapshotRecord[] = [];
        const trades: TradeRecord[] = [];
        let time = 0;
        let mid = 100;
        const features = emptyFeatures();
        for (const step of steps) {
          time += step.gap;
          mid *= 1 + step.move;
          if (step.trade) {
            const trade = { time, price: mid, quantity: step.trade.quantity, side: step.trade.buy ? 1 : -1 };
            trades.push(trade);
            calculator.addTrade(trade);
          }
          const record = snapshot(time, mid - 0.01, mid + 0.01);
          snapshots.push(record);
          calculator.addSnapshot(record);
          calculator.compute(features);
          const expected = fromScratch(snapshots, trades, windowMs, capacity);
          assert.equal(features.samples, expected.samples);
          close(features.momentum, expected.momentum, 'momentum', 1e-9);
          close(features.volatility, expected.volatility, 'volatility', 1e-9);
          close(features.tradeFlowImbalance, expected.tradeFlowImbalance, 'trade flow', 1e-9);
        }
      },
    ),
  );
});
