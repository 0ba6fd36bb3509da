import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { committedModelFile, loadSignalModel } from '../activities/signal-model';
import {
  emptyFeatures,
  FeatureCalculator,
  type Features,
  type SnapshotRecord,
  type TradeRecord,
} from '../signal/features';
import { recordedUpdates, type MarketUpdate } from '../signal/market-updates';
import { imbalanceSignal, type Signal } from '../signal/signal-generator';
import { loadBinanceCapture } from '../sim/replay';

/**
 * Tick-to-decision in-process (issue #17: target p99 < 20 µs) and updates per second on one core (target
 * > 100,000), for the incremental ring-buffer hot loop (signal/) beside a naive one in the same run: arrays grown with
 * push and trimmed with shift, features from filtered and mapped copies, a new object per feature vector
 * and signal. Updates: the real Binance capture (`--capture`, default ../shared/data/binance-ws/
 * spot_btcusdt_20240808.gz when present: its bookTicker and trade messages), else a synthetic random walk of
 * the touch with a trade every fourth update. `--updates` (default 200,000), `--window` snapshots kept
 * (default 1,000).
 */
const { values } = parseArgs({
  options: { updates: { type: 'string' }, window: { type: 'string' }, capture: { type: 'string' } },
});
const CAPTURE =
  values.capture ??
  join(import.meta.dirname, '..', '..', 'shared', 'data', 'binance-ws', 'spot_btcusdt_20240808.gz');
const UPDATES = Number(values.updates ?? 200_000);
const CAPACITY = Number(values.window ?? 1_000);
const WINDOWS = { priceMs: 1_000, flowMs: 1_000 };

type Update = MarketUpdate;

/** The capture's touches and trades in order, as the hot loop sees them. */
async function recorded(file: string): Promise<Update[]> {
  return recordedUpdates(await loadBinanceCapture(file), UPDATES);
}

/** The updates, made once so both loops see the same ones (1 ms apart). */
function synthetic(): Update[] {
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  let mid = 100;
  return Array.from({ length: UPDATES }, (_, index) => {
    mid *= 1 + (random() - 0.5) * 1e-4;
    const snapshot = {
      time: index,
      bid: mid - 0.01,
      ask: mid + 0.01,
      bidSize: 1 + random() * 4,
      askSize: 1 + random() * 4,
      bidDepth: 10 + random() * 10,
      askDepth: 10 + random() * 10,
    };
    const trade =
      index % 4 === 0
        ? { time: index, price: mid, quantity: random(), side: random() < 0.5 ? 1 : -1 }
        : undefined;
    return { snapshot, trade };
  });
}

type Loop = (update: Update) => boolean;

function ringLoop(): Loop {
  const calculator = new FeatureCalculator(WINDOWS, { snapshots: CAPACITY, trades: CAPACITY });
  const features = emptyFeatures();
  const signal: Signal = { strength: 0, confidence: 0, holdingPeriodMs: 0 };
  const generator = imbalanceSignal();
  return ({ snapshot, trade }) => {
    if (trade) calculator.addTrade(trade);
    calculator.addSnapshot(snapshot);
    calculator.compute(features);
    return generator.generate(features, signal);
  };
}

function naiveLoop(): Loop {
  const snapshots: SnapshotRecord[] = [];
  const trades: TradeRecord[] = [];
  const generator = imbalanceSignal();
  return ({ snapshot, trade }) => {
    snapshots.push({ ...snapshot });
    if (snapshots.length > CAPACITY) snapshots.shift();
    if (trade) trades.push({ ...trade });
    if (trades.length > CAPACITY) trades.shift();
    const last = snapshots[snapshots.length - 1]!;
    const inWindow = snapshots.filter((entry) => entry.time >= last.time - WINDOWS.priceMs);
    const mids = inWindow.map((entry) => (entry.bid + entry.ask) / 2);
    const returns = mids.slice(1).map((mid, index) => Math.log(mid / mids[index]!));
    const mean = returns.reduce((sum, value) => sum + value, 0) / Math.max(1, returns.length);
    const variance =
      returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, returns.length - 1);
    const flow = trades.filter(
      (entry) => entry.time >= last.time - WINDOWS.flowMs && entry.time <= last.time,
    );
    const buys = flow.filter((entry) => entry.side > 0).reduce((sum, entry) => sum + entry.quantity, 0);
    const sells = flow.filter((entry) => entry.side < 0).reduce((sum, entry) => sum + entry.quantity, 0);
    const mid = (last.bid + last.ask) / 2;
    const features: Features = {
      volatility: Math.sqrt(variance),
      momentum: mid / mids[0]! - 1,
      imbalance: (last.bidSize - last.askSize) / (last.bidSize + last.askSize),
      spreadBps: ((last.ask - last.bid) / mid) * 10_000,
      depthRatio: last.bidDepth / last.askDepth,
      tradeFlowImbalance: buys + sells > 0 ? (buys - sells) / (buys + sells) : 0,
      samples: inWindow.length,
    };
    return generator.generate(features, { strength: 0, confidence: 0, holdingPeriodMs: 0 });
  };
}

function measure(name: string, loop: Loop, input: Update[]) {
  const latencies = new Float64Array(input.length);
  let signals = 0;
  const started = process.hrtime.bigint();
  for (let index = 0; index < input.length; index++) {
    const before = process.hrtime.bigint();
    if (loop(input[index]!)) signals++;
    latencies[index] = Number(process.hrtime.bigint() - before) / 1_000;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // The first tenth warms the JIT up; it is left out of the percentiles.
  const settled = latencies.slice(Math.floor(input.length / 10)).sort();
  const at = (q: number) => settled[Math.min(settled.length - 1, Math.floor(q * settled.length))]!;
  const figures = { p50: at(0.5), p99: at(0.99), p999: at(0.999), perSecond: input.length / seconds };
  console.log(
    `${name.padEnd(6)} tick-to-decision p50 ${figures.p50.toFixed(2)} µs, p99 ${figures.p99.toFixed(2)} µs, ` +
      `p99.9 ${figures.p999.toFixed(2)} µs; ${Math.round(figures.perSecond).toLocaleString('en')} updates/s ` +
      `(timed one by one); ${signals} signals`,
  );
  return figures;
}

function throughput(loop: Loop, input: Update[]): number {
  const started = process.hrtime.bigint();
  for (const update of input) loop(update);
  return input.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

const real = existsSync(CAPTURE);
const input = real ? await recorded(CAPTURE) : synthetic();
console.log(
  `${input.length.toLocaleString('en')} ${real ? `updates of ${CAPTURE}` : 'synthetic updates'}, ${CAPACITY} snapshots kept, windows 1,000 ms`,
);
const ring = measure('ring', ringLoop(), input);
const naive = measure('naive', naiveLoop(), input);
const ringRate = throughput(ringLoop(), input);
const naiveRate = throughput(naiveLoop(), input);
console.log(
  `untimed throughput: ring ${Math.round(ringRate).toLocaleString('en')} updates/s, naive ${Math.round(naiveRate).toLocaleString('en')} updates/s (×${(ringRate / naiveRate).toFixed(1)})`,
);
console.log(
  `ring against naive: p99 ×${(naive.p99 / ring.p99).toFixed(1)} lower; targets p99 < 20 µs: ${ring.p99 < 20 ? 'met' : 'missed'}, > 100,000 updates/s: ${ringRate > 100_000 ? 'met' : 'missed'}`,
);

// The ONNX model's signal on the same windows: onnxruntime answers asynchronously, so each update here
// waits for its inference (in the strategy, updates arriving meanwhile only join the windows).
const model = await loadSignalModel(committedModelFile('btcusdt-logistic'));
const modelInput = input.slice(0, Math.min(input.length, 5_000));
const calculator = new FeatureCalculator(WINDOWS, { snapshots: CAPACITY, trades: CAPACITY });
const features = emptyFeatures();
const signal: Signal = { strength: 0, confidence: 0, holdingPeriodMs: 0 };
const inference = new Float64Array(modelInput.length);
let modelSignals = 0;
for (let index = 0; index < modelInput.length; index++) {
  const { snapshot, trade } = modelInput[index]!;
  const before = process.hrtime.bigint();
  if (trade) calculator.addTrade(trade);
  calculator.addSnapshot(snapshot);
  calculator.compute(features);
  if (await model.generate(features, signal)) modelSignals++;
  inference[index] = Number(process.hrtime.bigint() - before) / 1_000;
}
const settledModel = inference.slice(Math.floor(modelInput.length / 10)).sort();
const modelAt = (q: number) =>
  settledModel[Math.min(settledModel.length - 1, Math.floor(q * settledModel.length))]!;
console.log(
  `model  tick-to-decision (${modelInput.length.toLocaleString('en')} updates, awaiting each inference) p50 ${modelAt(0.5).toFixed(2)} µs, p99 ${modelAt(0.99).toFixed(2)} µs; ${modelSignals} signals`,
);
