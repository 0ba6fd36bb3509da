import { emptyFeatures, FeatureCalculator, type FeatureWindows } from './features';
import { MODEL_FEATURES } from './logistic-model';
import type { MarketUpdate } from './market-updates';

export interface TrainingSet {
  /** Raw feature vectors (MODEL_FEATURES order), one per labelled touch. */
  rows: Float64Array[];
  /** 1: the mid `horizonMs` later was higher; 0: lower. Touches whose mid did not move are left out. */
  labels: Uint8Array;
  /** The touch time of each row (ms). */
  times: number[];
}

const mid = (update: MarketUpdate) => (update.snapshot.bid + update.snapshot.ask) / 2;

/**
 * Labelled rows from a recording: at each touch update (not trades) whose windows are full enough
 * (`minSamples` snapshots), the features the hot loop would compute, and whether the mid `horizonMs` later
 * (the last touch at or before then) was higher or lower. Rows near the end, whose horizon runs past the
 * recording, are left out.
 */
export function buildTrainingSet(
  updates: MarketUpdate[],
  windows: FeatureWindows,
  capacity: number,
  horizonMs: number,
  minSamples = 5,
): TrainingSet {
  const calculator = new FeatureCalculator(windows, { snapshots: capacity, trades: capacity });
  const features = emptyFeatures();
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const times: number[] = [];
  let ahead = 0;
  for (let index = 0; index < updates.length; index++) {
    const update = updates[index]!;
    if (update.trade) calculator.addTrade(update.trade);
    calculator.addSnapshot(update.snapshot);
    if (update.trade || !calculator.compute(features) || features.samples < minSamples) continue;
    const until = update.snapshot.time + horizonMs;
    ahead = Math.max(ahead, index);
    while (ahead + 1 < updates.length && updates[ahead + 1]!.snapshot.time <= until) ahead++;
    if (ahead + 1 >= updates.length) break;
    const later = mid(updates[ahead]!);
    const now = mid(update);
    if (later === now) continue;
    rows.push(Float64Array.from(MODEL_FEATURES, (name) => features[name]));
    labels.push(later > now ? 1 : 0);
    times.push(update.snapshot.time);
  }
  return { rows, labels: Uint8Array.from(labels), times };
}
