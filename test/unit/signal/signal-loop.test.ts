import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatureCalculator, type Features } from '../../../signal/features';
import type { MarketUpdate } from '../../../signal/market-updates';
import { imbalanceSignal, type Signal, type SignalGenerator } from '../../../signal/signal-generator';
import { SignalLoop, type OrderDecision, type SignalLoopSettings } from '../../../signal/signal-loop';

const settings: SignalLoopSettings = {
  minSamples: 3,
  decision: { maxPosition: 1, orderSizeFraction: 0.5, lotSize: 0.001, allowShort: true },
};

const touch = (time: number, bidSize: number, askSize: number): MarketUpdate => ({
  snapshot: { time, bid: 99, ask: 101, bidSize, askSize, bidDepth: bidSize, askDepth: askSize },
  trade: undefined,
});

function harness(generator: SignalGenerator, position = { quantity: 0, holdUntil: 0 }, now = { t: 1_000 }) {
  const decisions: Array<{ decision: OrderDecision; signal: Signal | undefined }> = [];
  const failures: unknown[] = [];
  const calculator = new FeatureCalculator({ priceMs: 1_000, flowMs: 1_000 }, { snapshots: 64, trades: 64 });
  const loop = new SignalLoop(
    calculator,
    generator,
    settings,
    position,
    {
      decided: (decision, signal) => decisions.push({ decision, signal }),
      failed: (error) => failures.push(error),
    },
    () => now.t,
  );
  return { loop, decisions, failures, now, calculator };
}

test('no decision until the window holds minSamples snapshots; then one entry, and the loop is done', () => {
  const { loop, decisions } = harness(imbalanceSignal());
  // imbalance (19 − 1) / 20 = 0.9: excess 6/7, confidence 0.5 + 0.25 × 6/7 ≈ 0.714, past 0.7.
  loop.update(touch(0, 19, 1));
  loop.update(touch(10, 19, 1));
  assert.equal(decisions.length, 0, 'two snapshots: still warming up');
  loop.update(touch(20, 19, 1));
  assert.equal(decisions.length, 1);
  assert.deepEqual(decisions[0]!.decision, {
    action: 'order',
    side: 'buy',
    quantity: 0.5,
    reason: 'entry',
    holdUntil: 1_500,
  });
  assert.equal(decisions[0]!.signal?.strength, 0.9);
  loop.update(touch(30, 19, 1));
  assert.equal(decisions.length, 1, 'one decision per loop');
  assert.equal(loop.done, true);
});

test('holding: a signal renews the hold in the loop; an expired hold closes the position', () => {
  const { loop, decisions, now } = harness(imbalanceSignal(), { quantity: 1, holdUntil: 1_200 });
  for (const time of [0, 10, 20]) loop.update(touch(time, 19, 1));
  assert.equal(decisions.length, 0, 'at the limit: a hold');
  assert.equal(loop.position.holdUntil, 1_500, 'renewed by the signal');
  now.t = 1_400;
  loop.update(touch(30, 10, 10));
  loop.expire();
  assert.equal(decisions.length, 0, 'no signal, but the hold runs to 1,500');
  now.t = 1_500;
  loop.expire();
  assert.equal(decisions[0]?.decision.reason, 'exit-expired');
  assert.equal(decisions[0]?.decision.side, 'sell');
});

test("a model's late answer: updates meanwhile join the windows and the next evaluation reads the latest", async () => {
  const seen: number[] = [];
  let answer: (value: boolean) => void = () => undefined;
  const model: SignalGenerator = {
    name: 'slow',
    generate(features: Features, into: Signal) {
      seen.push(features.imbalance);
      into.strength = features.imbalance;
      into.confidence = 0.9;
      into.holdingPeriodMs = 100;
      return new Promise<boolean>((resolve) => (answer = resolve));
    },
  };
  const { loop, decisions } = harness(model);
  for (const time of [0, 10, 20]) loop.update(touch(time, 10, 10));
  assert.deepEqual(seen, [0], 'first evaluation');
  loop.update(touch(30, 30, 10));
  loop.update(touch(40, 40, 10));
  assert.deepEqual(seen, [0], 'still answering: not evaluated again');
  answer(false);
  await Promise.resolve();
  loop.update(touch(50, 90, 10));
  assert.deepEqual(seen, [0, 0.8], 'the next evaluation reads the latest touch');
  answer(true);
  await Promise.resolve();
  assert.equal(decisions[0]?.decision.side, 'buy');
  assert.equal(decisions[0]?.signal?.strength, 0.8);
});

test('a generator that throws, at once or later, stops the loop with the error', async () => {
  const throwing: SignalGenerator = {
    name: 'broken',
    generate() {
      throw new Error('bad tensor');
    },
  };
  const now = harness(throwing);
  for (const time of [0, 10, 20]) now.loop.update(touch(time, 10, 10));
  assert.match(String(now.failures[0]), /bad tensor/);
  assert.equal(now.loop.done, true);
  const rejecting: SignalGenerator = {
    name: 'late',
    generate: () => Promise.reject(new Error('session closed')),
  };
  const later = harness(rejecting);
  for (const time of [0, 10, 20]) later.loop.update(touch(time, 10, 10));
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(String(later.failures[0]), /session closed/);
  assert.equal(later.decisions.length, 0);
});

test('windows kept warm by a feed: a new loop on them decides on the first evaluation, no warm-up', () => {
  const first = harness(imbalanceSignal());
  for (const time of [0, 10, 20]) first.loop.update(touch(time, 19, 1));
  assert.equal(first.decisions.length, 1);
  // The feed goes on adding to the same windows; the next loop reads them at once.
  first.calculator.addSnapshot(touch(30, 19, 1).snapshot);
  const decisions: OrderDecision[] = [];
  const next = new SignalLoop(
    first.calculator,
    imbalanceSignal(),
    settings,
    { quantity: 0.5, holdUntil: 1_500 },
    { decided: (decision) => decisions.push(decision), failed: assert.fail },
    () => 1_000,
  );
  next.evaluate();
  assert.equal(decisions[0]?.quantity, 0.5, 'tops up to the limit on the standing windows');
});
