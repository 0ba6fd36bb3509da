import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { MODEL_NAME_PATTERN } from '../domain/signal-config';
import type { Features } from '../signal/features';
import { modelInput, SignalModelSpecSchema, type SignalModelSpec } from '../signal/logistic-model';
import type { Signal, SignalGenerator } from '../signal/signal-generator';

/** Where the committed models are: `<name>.onnx` beside `<name>.json` (scripts/train-signal-model.ts). */
export const SIGNAL_MODELS_DIR = join(import.meta.dirname, '..', 'signal', 'models');

/** A model that cannot be used, and why, naming the file: the strategy's run fails on it, not retried. */
export class SignalModelError extends Error {
  override readonly name = 'SignalModelError';
}

/** The graph's input and output as the training script writes them. */
const INPUT = 'features';
const OUTPUT = 'up_probability';

async function readSpec(file: string): Promise<SignalModelSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new SignalModelError(`model spec ${file} cannot be read: ${(error as Error).message}`);
  }
  const parsed = SignalModelSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new SignalModelError(
      `model spec ${file} is not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(spec)'}: ${issue.message}`).join('; ')}`,
    );
  return parsed.data;
}

async function openSession(file: string): Promise<InferenceSession> {
  try {
    return await InferenceSession.create(await readFile(file));
  } catch (error) {
    throw new SignalModelError(
      `model ${file} is not an ONNX model onnxruntime can load: ${(error as Error).message}`,
    );
  }
}

/** The graph must take [batch, features] float32 as `features` and give `up_probability`: said before any update. */
function checkShape(file: string, session: InferenceSession, width: number): void {
  const input = session.inputMetadata.find((value) => value.name === INPUT);
  if (!input || !input.isTensor)
    throw new SignalModelError(
      `model ${file} has no tensor input '${INPUT}' (inputs: ${session.inputNames.join(', ')})`,
    );
  const last = input.shape[input.shape.length - 1];
  if (input.type !== 'float32' || input.shape.length !== 2 || last !== width)
    throw new SignalModelError(
      `model ${file} takes '${INPUT}' as ${input.type}[${input.shape.join(', ')}], but its spec lists ${width} features: it needs float32[batch, ${width}]`,
    );
  if (!session.outputNames.includes(OUTPUT))
    throw new SignalModelError(
      `model ${file} has no output '${OUTPUT}' (outputs: ${session.outputNames.join(', ')})`,
    );
}

export interface ModelSignalGenerator extends SignalGenerator {
  readonly spec: SignalModelSpec;
  /** The model's probability that the mid rises, for `features` (onnxruntime's own answer). */
  upProbability(features: Features): Promise<number>;
}

/**
 * A signal generator running an ONNX model (onnxruntime-node): the features, normalized as the spec beside
 * the model says, go in; the probability the mid rises comes out. A probability at least `edge` from 0.5 is
 * a signal that way: strength 2p − 1, confidence the probability of the side taken, held `holdingPeriodMs`.
 */
export async function loadSignalModel(onnxFile: string): Promise<ModelSignalGenerator> {
  const specFile = join(dirname(onnxFile), `${basename(onnxFile, '.onnx')}.json`);
  const spec = await readSpec(specFile);
  const session = await openSession(onnxFile);
  checkShape(onnxFile, session, spec.features.length);
  const input = new Float32Array(spec.features.length);
  const tensor = new Tensor('float32', input, [1, spec.features.length]);
  const upProbability = async (features: Features) => {
    modelInput(spec, features, input);
    const output = (await session.run({ [INPUT]: tensor }))[OUTPUT];
    const probability = Number(output?.data[0]);
    if (!Number.isFinite(probability)) throw new SignalModelError(`model ${onnxFile} gave no probability`);
    return probability;
  };
  return {
    name: `model:${basename(onnxFile, '.onnx')}`,
    spec,
    upProbability,
    async generate(features: Features, into: Signal) {
      const probability = await upProbability(features);
      if (Math.abs(probability - 0.5) < spec.edge) return false;
      into.strength = 2 * probability - 1;
      into.confidence = Math.max(probability, 1 - probability);
      into.holdingPeriodMs = spec.holdingPeriodMs;
      return true;
    },
  };
}

/** A committed model by name (`signal/models/<name>.onnx`); names are plain words, never paths. */
export function committedModelFile(name: string): string {
  if (!MODEL_NAME_PATTERN.test(name))
    throw new SignalModelError(`model name '${name}' is not a model's name`);
  return join(SIGNAL_MODELS_DIR, `${name}.onnx`);
}
