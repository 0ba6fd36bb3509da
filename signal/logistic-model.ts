import { z } from 'zod';
import type { Features } from './features';

/** The features a model may read, in the order of its input vector. */
export const MODEL_FEATURES = [
  'volatility',
  'momentum',
  'imbalance',
  'spreadBps',
  'depthRatio',
  'tradeFlowImbalance',
] as const satisfies ReadonlyArray<keyof Features>;
export type ModelFeature = (typeof MODEL_FEATURES)[number];

/**
 * What sits beside a model's `.onnx` file: the features it reads, in order, with the mean and standard
 * deviation each is normalized by before the model sees it; how its output (the probability the mid is
 * higher `horizonMs` later) becomes a signal; and, for checking, the weights as training found them.
 */
export const SignalModelSpecSchema = z
  .object({
    kind: z.literal('logistic'),
    features: z.array(z.enum(MODEL_FEATURES)).min(1),
    mean: z.array(z.number().finite()),
    std: z.array(z.number().finite().positive()),
    weights: z.array(z.number().finite()),
    bias: z.number().finite(),
    /** The label's horizon: the mid `horizonMs` after a snapshot, compared with the mid at it. */
    horizonMs: z.number().int().positive(),
    /** A probability this far from 0.5 or further is a signal (0.1: buy at ≥ 0.6, sell at ≤ 0.4). */
    edge: z.number().gt(0).lt(0.5),
    /** How long a signal holds (ms). */
    holdingPeriodMs: z.number().int().positive(),
  })
  .refine(
    (spec) => [spec.mean, spec.std, spec.weights].every((values) => values.length === spec.features.length),
    { message: 'mean, std and weights need one value per feature' },
  );
export type SignalModelSpec = z.infer<typeof SignalModelSpecSchema>;

/** Normalization fitted on training rows: each column's mean and standard deviation (1 where constant). */
export function fitNormalization(rows: Float64Array[], width: number): { mean: number[]; std: number[] } {
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const row of rows) for (let column = 0; column < width; column++) mean[column]! += row[column]!;
  for (let column = 0; column < width; column++) mean[column]! /= Math.max(1, rows.length);
  for (const row of rows)
    for (let column = 0; column < width; column++) std[column]! += (row[column]! - mean[column]!) ** 2;
  for (let column = 0; column < width; column++) {
    const deviation = Math.sqrt(std[column]! / Math.max(1, rows.length - 1));
    std[column] = deviation > 0 ? deviation : 1;
  }
  return { mean, std };
}

/** Writes the model's input (normalized, in the spec's order) for `features` into `into`. */
export function modelInput(
  spec: Pick<SignalModelSpec, 'features' | 'mean' | 'std'>,
  features: Features,
  into: Float32Array | Float64Array,
): void {
  for (let column = 0; column < spec.features.length; column++)
    into[column] = (features[spec.features[column]!] - spec.mean[column]!) / spec.std[column]!;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The model's probability that the mid rises, from an already normalized input: the training's own computation. */
export function upProbability(
  model: Pick<SignalModelSpec, 'weights' | 'bias'>,
  normalized: ArrayLike<number>,
): number {
  let z = model.bias;
  for (let column = 0; column < model.weights.length; column++)
    z += model.weights[column]! * normalized[column]!;
  return sigmoid(z);
}

export interface TrainingOptions {
  iterations: number;
  learningRate: number;
  /** L2 penalty on the weights (not the bias). */
  l2: number;
}

/**
 * Logistic regression by full-batch gradient descent on normalized rows (labels 1: the mid rose, 0: it
 * fell). Deterministic: the same rows give the same weights.
 */
export function trainLogistic(
  normalized: Float64Array[],
  labels: Uint8Array,
  width: number,
  options: TrainingOptions,
): { weights: number[]; bias: number } {
  const weights = new Float64Array(width);
  let bias = 0;
  const gradient = new Float64Array(width);
  const count = Math.max(1, normalized.length);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    gradient.fill(0);
    let biasGradient = 0;
    for (let row = 0; row < normalized.length; row++) {
      const x = normalized[row]!;
      const error = upProbability({ weights: weights as unknown as number[], bias }, x) - labels[row]!;
      for (let column = 0; column < width; column++) gradient[column]! += error * x[column]!;
      biasGradient += error;
    }
    for (let column = 0; column < width; column++)
      weights[column]! -= options.learningRate * (gradient[column]! / count + options.l2 * weights[column]!);
    bias -= options.learningRate * (biasGradient / count);
  }
  return { weights: [...weights], bias };
}

export interface ClassifierScores {
  rows: number;
  /** Share of rows whose label was 1. */
  baseRate: number;
  /** Share predicted right at probability 0.5. */
  accuracy: number;
  logLoss: number;
  /** Area under the ROC curve (0.5: no skill). */
  auc: number;
  /** Rows past the spec's edge, and the share of those whose direction was right. */
  signals: number;
  signalHitRate: number;
}

/** How a model's probabilities score against the labels. */
export function scoreClassifier(probabilities: number[], labels: Uint8Array, edge: number): ClassifierScores {
  const rows = probabilities.length;
  let positives = 0;
  let right = 0;
  let loss = 0;
  let signals = 0;
  let hits = 0;
  for (let row = 0; row < rows; row++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, probabilities[row]!));
    const label = labels[row]!;
    positives += label;
    if ((p >= 0.5 ? 1 : 0) === label) right++;
    loss -= label ? Math.log(p) : Math.log(1 - p);
    if (Math.abs(p - 0.5) >= edge) {
      signals++;
      if ((p > 0.5 ? 1 : 0) === label) hits++;
    }
  }
  // AUC by ranks (Mann–Whitney), ties sharing their average rank.
  const order = probabilities.map((p, row) => ({ p, label: labels[row]! })).sort((a, b) => a.p - b.p);
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && order[end]!.p === order[start]!.p) end++;
    const averageRank = (start + 1 + end) / 2;
    for (let index = start; index < end; index++) if (order[index]!.label) rankSum += averageRank;
    start = end;
  }
  const negatives = rows - positives;
  const auc =
    positives > 0 && negatives > 0
      ? (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
      : 0.5;
  return {
    rows,
    baseRate: rows ? positives / rows : 0,
    accuracy: rows ? right / rows : 0,
    logLoss: rows ? loss / rows : 0,
    auc,
    signals,
    signalHitRate: signals ? hits / signals : 0,
  };
}
