import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  fitNormalization,
  MODEL_FEATURES,
  scoreClassifier,
  trainLogistic,
  upProbability,
  type ClassifierScores,
  type SignalModelSpec,
} from '../signal/logistic-model';
import { recordedUpdates } from '../signal/market-updates';
import { buildTrainingSet, type TrainingSet } from '../signal/training-set';
import { loadBinanceCapture } from '../sim/replay';
import { logisticOnnx } from './signal-model/onnx-logistic';

/**
 * Trains the signal strategy's model (issue #17) on the real Binance captures and writes it where the
 * strategy loads it: `signal/models/<name>.onnx` (the graph), `<name>.json` (features, normalization, how
 * the output becomes a signal, and the trained weights for checking) and `<name>.md` (the training report).
 * A logistic regression of "the mid is higher `horizonMs` later" on the hot loop's own features, trained on
 * the first 70% of one capture in time order and scored on the rest and on a second capture.
 * Deterministic: the same captures give byte-identical files.
 *   node scripts/run.mjs scripts/train-signal-model.ts [--data ../shared/data/binance-ws] [--name btcusdt-logistic]
 */
const { values } = parseArgs({
  options: { data: { type: 'string' }, name: { type: 'string' }, out: { type: 'string' } },
});
const data = values.data ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'binance-ws');
const name = values.name ?? 'btcusdt-logistic';
const out = values.out ?? join(import.meta.dirname, '..', 'signal', 'models');
const TRAIN_ON = 'spot_btcusdt_20240808.gz';
const ALSO_SCORED_ON = 'spot_ethusdt_20240808.gz';

const WINDOWS = { priceMs: 1_000, flowMs: 1_000 };
const CAPACITY = 1_000;
const HORIZON_MS = 1_000;
const EDGE = 0.1;
const HOLDING_PERIOD_MS = 1_000;
const TRAINING = { iterations: 400, learningRate: 0.5, l2: 1e-3 };
const TRAIN_SHARE = 0.7;

async function trainingSet(file: string): Promise<TrainingSet> {
  return buildTrainingSet(
    recordedUpdates(await loadBinanceCapture(join(data, file))),
    WINDOWS,
    CAPACITY,
    HORIZON_MS,
  );
}

const normalize = (rows: Float64Array[], mean: number[], std: number[]) =>
  rows.map((row) => row.map((value, column) => (value - mean[column]!) / std[column]!));

const primary = await trainingSet(TRAIN_ON);
const split = Math.floor(primary.rows.length * TRAIN_SHARE);
const trainRows = primary.rows.slice(0, split);
const { mean, std } = fitNormalization(trainRows, MODEL_FEATURES.length);
const { weights, bias } = trainLogistic(
  normalize(trainRows, mean, std),
  primary.labels.slice(0, split),
  MODEL_FEATURES.length,
  TRAINING,
);
const spec: SignalModelSpec = {
  kind: 'logistic',
  features: [...MODEL_FEATURES],
  mean,
  std,
  weights,
  bias,
  horizonMs: HORIZON_MS,
  edge: EDGE,
  holdingPeriodMs: HOLDING_PERIOD_MS,
};

const score = (rows: Float64Array[], labels: Uint8Array): ClassifierScores =>
  scoreClassifier(
    normalize(rows, mean, std).map((row) => upProbability(spec, row)),
    labels,
    EDGE,
  );
const second = await trainingSet(ALSO_SCORED_ON);
const scored: Array<[string, ClassifierScores]> = [
  [`${TRAIN_ON}, first 70% (training)`, score(trainRows, primary.labels.slice(0, split))],
  [`${TRAIN_ON}, last 30% (held out)`, score(primary.rows.slice(split), primary.labels.slice(split))],
  [`${ALSO_SCORED_ON}, all (another market)`, score(second.rows, second.labels)],
];

const fixed = (value: number, digits = 4) => value.toFixed(digits);
const report = [
  `# Signal model \`${name}\``,
  '',
  `Written by \`scripts/train-signal-model.ts\` from \`../shared/data/binance-ws/\`; do not edit by hand.`,
  '',
  `Logistic regression of "the mid ${HORIZON_MS} ms later is higher" on the hot loop's features (windows: price`,
  `${WINDOWS.priceMs} ms, trade flow ${WINDOWS.flowMs} ms, ${CAPACITY} records), over every touch update of`,
  `\`${TRAIN_ON}\` whose mid moved within the horizon. Trained on the first ${TRAIN_SHARE * 100}% in time order`,
  `(${split} rows; full-batch gradient descent, ${TRAINING.iterations} iterations, rate ${TRAINING.learningRate},`,
  `L2 ${TRAINING.l2}); features normalized by the training rows' mean and standard deviation (in \`${name}.json\`).`,
  `A probability at least ${EDGE} from 0.5 is a signal, held ${HOLDING_PERIOD_MS} ms.`,
  '',
  '| rows scored | rows | base rate (up) | accuracy | log loss | AUC | signals | signal hit rate |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...scored.map(
    ([what, s]) =>
      `| ${what} | ${s.rows} | ${fixed(s.baseRate)} | ${fixed(s.accuracy)} | ${fixed(s.logLoss)} | ${fixed(s.auc)} | ${s.signals} | ${fixed(s.signalHitRate)} |`,
  ),
  '',
  '| feature | mean | std | weight |',
  '| --- | --- | --- | --- |',
  ...MODEL_FEATURES.map(
    (feature, column) =>
      `| ${feature} | ${mean[column]!.toPrecision(6)} | ${std[column]!.toPrecision(6)} | ${weights[column]!.toPrecision(6)} |`,
  ),
  `| (bias) | | | ${bias.toPrecision(6)} |`,
  '',
].join('\n');

writeFileSync(join(out, `${name}.onnx`), logisticOnnx(spec, `keel signal model ${name}; see ${name}.md`));
writeFileSync(join(out, `${name}.json`), `${JSON.stringify(spec, null, 2)}\n`);
writeFileSync(join(out, `${name}.md`), report);
console.log(report);
console.log(`wrote ${basename(out)}/${name}.{onnx,json,md}`);
