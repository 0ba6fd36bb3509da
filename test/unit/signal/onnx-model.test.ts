import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  committedModelFile,
  loadSignalModel,
  SIGNAL_MODELS_DIR,
  SignalModelError,
} from '../../../activities/signal-model';
import { logisticOnnx } from '../../../scripts/signal-model/onnx-logistic';
import { emptyFeatures, type Features } from '../../../signal/features';
import {
  MODEL_FEATURES,
  modelInput,
  upProbability,
  type SignalModelSpec,
} from '../../../signal/logistic-model';
import { repositoryRoot, sharedDataSet } from '../../support/shared-data';

const dir = mkdtempSync(join(tmpdir(), 'keel-onnx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const featuresFrom = (values: number[]): Features => {
  const features = emptyFeatures();
  MODEL_FEATURES.forEach((name, column) => (features[name] = values[column]!));
  return features;
};

/** The script's own computation: normalize as the spec says, then the logistic in float64. */
const scriptProbability = (spec: SignalModelSpec, features: Features) => {
  const normalized = new Float64Array(spec.features.length);
  modelInput(spec, features, normalized);
  return upProbability(spec, normalized);
};

const featureVectors = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
  minLength: MODEL_FEATURES.length,
  maxLength: MODEL_FEATURES.length,
});

function writeModel(name: string, spec: SignalModelSpec, graphWeights = spec.weights) {
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, logisticOnnx({ weights: graphWeights, bias: spec.bias }, name));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(spec));
  return file;
}

const spec: SignalModelSpec = {
  kind: 'logistic',
  features: [...MODEL_FEATURES],
  mean: [0, 0, 0.1, 0, 1, 0],
  std: [1, 2, 0.5, 1, 3, 1],
  weights: [0.25, -0.5, 1.75, 0, 0.4, -0.1],
  bias: -0.2,
  horizonMs: 1000,
  edge: 0.1,
  holdingPeriodMs: 750,
};

describe('the ONNX signal model', () => {
  test("the committed model: onnxruntime's output is the training script's own computation", async () => {
    const model = await loadSignalModel(committedModelFile('btcusdt-logistic'));
    assert.deepEqual(model.spec.features, [...MODEL_FEATURES]);
    await fc.assert(
      fc.asyncProperty(featureVectors, async (values) => {
        const features = featuresFrom(values);
        const expected = scriptProbability(model.spec, features);
        const actual = await model.upProbability(features);
        // float32 in the graph, float64 in the script.
        assert.ok(Math.abs(actual - expected) < 1e-5, `${actual} ≠ ${expected}`);
      }),
      { numRuns: 300 },
    );
  });

  test('an exported model gives the logistic of its weights; a signal past the edge, none inside it', async () => {
    const model = await loadSignalModel(writeModel('hand', spec));
    // imbalance 0.6 normalizes to 1; every other feature at its mean: z = 1.75 − 0.2 = 1.55.
    const features = featuresFrom([0, 0, 0.6, 0, 1, 0]);
    const p = 1 / (1 + Math.exp(-1.55));
    assert.ok(Math.abs((await model.upProbability(features)) - p) < 1e-6);
    const signal = { strength: 0, confidence: 0, holdingPeriodMs: 0 };
    assert.equal(await model.generate(features, signal), true);
    assert.ok(Math.abs(signal.strength - (2 * p - 1)) < 1e-6);
    assert.ok(Math.abs(signal.confidence - p) < 1e-6);
    assert.equal(signal.holdingPeriodMs, 750);
    // imbalance at its mean and bias only: p = σ(−0.2) = 0.45, inside the 0.1 edge.
    assert.equal(await model.generate(featuresFrom([0, 0, 0.1, 0, 1, 0]), signal), false);
    // Far the other way: a sell.
    assert.equal(await model.generate(featuresFrom([0, 0, -0.9, 0, 1, 0]), signal), true);
    assert.ok(signal.strength < -0.5 && signal.confidence > 0.75);
  });

  test('a file that is not ONNX is refused, naming the file', async () => {
    const file = join(dir, 'garbage.onnx');
    writeFileSync(file, 'these bytes are not a protobuf model');
    writeFileSync(join(dir, 'garbage.json'), JSON.stringify(spec));
    await assert.rejects(loadSignalModel(file), (error: unknown) => {
      assert.ok(error instanceof SignalModelError);
      assert.match(error.message, /garbage\.onnx is not an ONNX model onnxruntime can load/);
      return true;
    });
  });

  test("a model whose input shape is not the spec's features is refused before any update", async () => {
    const file = writeModel('narrow', spec, [1, 2, 3]);
    await assert.rejects(loadSignalModel(file), (error: unknown) => {
      assert.ok(error instanceof SignalModelError);
      assert.match(
        error.message,
        /narrow\.onnx takes 'features' as float32\[batch, 3\], but its spec lists 6 features/,
      );
      return true;
    });
  });

  test('a spec that is missing or does not hold together is refused', async () => {
    const lone = join(dir, 'lone.onnx');
    copyFileSync(committedModelFile('btcusdt-logistic'), lone);
    await assert.rejects(loadSignalModel(lone), /lone\.json cannot be read/);
    const file = writeModel('short-std', { ...spec, std: [1, 1] });
    await assert.rejects(loadSignalModel(file), /short-std\.json is not valid: .*one value per feature/);
    const zero = writeModel('zero-std', { ...spec, std: [1, 1, 0, 1, 1, 1] });
    await assert.rejects(loadSignalModel(zero), /zero-std\.json is not valid: std\.2/);
  });

  test('a model is named, never given as a path', () => {
    assert.throws(() => committedModelFile('../../etc/passwd'), SignalModelError);
    assert.match(committedModelFile('btcusdt-logistic'), /signal\/models\/btcusdt-logistic\.onnx$/);
  });
});

const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [
  'spot_btcusdt_20240808.gz',
  'spot_ethusdt_20240808.gz',
]);

test(
  'the committed model is what the training script makes from the captures, byte for byte',
  CAPTURES.options,
  () => {
    const out = mkdtempSync(join(dir, 'trained-'));
    CAPTURES.path('spot_btcusdt_20240808.gz');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repositoryRoot, 'scripts', 'train-signal-model.ts'),
        '--data',
        CAPTURES.dir,
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    for (const suffix of ['onnx', 'json', 'md'])
      assert.ok(
        readFileSync(join(out, `btcusdt-logistic.${suffix}`)).equals(
          readFileSync(join(SIGNAL_MODELS_DIR, `btcusdt-logistic.${suffix}`)),
        ),
        `btcusdt-logistic.${suffix} differs from what the script writes`,
      );
  },
);
