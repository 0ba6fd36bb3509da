import { z } from 'zod';
import { CanonicalSymbolSchema } from '../domain/symbols';
import { SymbolConfigShapeSchema } from '../workflows/symbol/symbol-config';

export const ErrorSchema = z.object({ error: z.string(), message: z.string() });

export const SymbolParamsSchema = z.object({ symbol: CanonicalSymbolSchema });
export const AddSymbolBodySchema = z
  .object({ symbol: CanonicalSymbolSchema, config: SymbolConfigShapeSchema })
  .strict();
export const UpdateSymbolBodySchema = z.object({ config: SymbolConfigShapeSchema }).strict();

export const ControlResultSchema = z.object({
  symbol: z.string().optional(),
  shard: z.number().optional(),
  workflowId: z.string().optional(),
  outcome: z.enum(['added', 'removing', 'updated', 'paused', 'resumed']),
  affected: z.number(),
});

export const SymbolViewSchema = z.object({
  symbol: z.string(),
  shard: z.number(),
  workflowId: z.string(),
  paused: z.boolean(),
  /** As the shard reports it: starting, running, pausing, paused, degraded, failed, stopping, or unknown. */
  status: z.string(),
  /** What is wrong, each named; empty when healthy. */
  problems: z.array(z.string()),
  config: z.unknown(),
});

export const SymbolDetailSchema = SymbolViewSchema.extend({
  strategies: z.array(
    z.object({
      name: z.string(),
      openOrders: z.array(z.string()),
      state: z.unknown(),
      health: z.enum(['ok', 'degraded', 'failed']),
      problems: z.array(z.string()),
    }),
  ),
  run: z.number().optional(),
});
