import { z } from 'zod';

/** A committed model's name: `signal/models/<name>.onnx`, never a path. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** Which signal the signal strategy trades on (issue #17): the imbalance rule, or a committed ONNX model. */
export const SignalGeneratorConfigSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('imbalance'),
      /** |imbalance| at the touch at or above which there is a signal (seed default 0.3). */
      threshold: z.number().gt(0).lt(1).default(0.3),
      minConfidence: z.number().min(0).max(1).default(0.7),
      /** How long a signal holds (seed: signal decay 500 ms). */
      decayMs: z.number().int().min(1).max(3_600_000).default(500),
    })
    .strict(),
  z
    .object({
      kind: z.literal('model'),
      /** A committed model's name: signal/models/<name>.onnx beside its <name>.json. */
      model: z.string().regex(MODEL_NAME_PATTERN, 'a model name: lowercase letters, digits and dashes'),
    })
    .strict(),
]);
export type SignalGeneratorConfig = z.infer<typeof SignalGeneratorConfigSchema>;
