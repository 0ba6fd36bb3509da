import { z } from 'zod';
import { DecimalParamSchema } from '../../../domain/trading';

/** A quoting strategy's configuration, as an operator gives it (API, update, signal). */
export const QuoteParamsSchema = z.object({
  levels: z.number().int().min(1).max(10).default(2),
  halfSpreadBps: z.number().int().min(1).max(5000).default(10),
  levelStepBps: z.number().int().min(0).max(5000).default(10),
  quantity: DecimalParamSchema,
  /** Mid to quote around while the book is empty or one-sided; without it the strategy waits. */
  referencePrice: DecimalParamSchema.optional(),
  requoteIntervalMs: z.number().int().min(1000).max(86_400_000).default(60_000),
});
export type QuoteParams = z.infer<typeof QuoteParamsSchema>;
