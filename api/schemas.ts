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

const DAY_MS = 86_400_000;
/** The longest range one export covers. */
const MAX_RANGE_DAYS = 366;

/** A time range in a query string: refine it with `timeRange`. */
export const TimeRangeSchema = z.object({
  /** ISO 8601; default: 24 h before `to`. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** ISO 8601, exclusive; default: now. */
  to: z.iso.datetime({ offset: true }).optional(),
});

/** A range that runs forwards and spans at most MAX_RANGE_DAYS; `to` defaults to now, `from` to a day before. */
export function timeRange(
  query: { from?: string | undefined; to?: string | undefined },
  ctx: z.RefinementCtx,
): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_MS);
  if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['from'],
      message: `the range may span at most ${MAX_RANGE_DAYS} days`,
    });
  return { from, to };
}
