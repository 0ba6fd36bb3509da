import { z } from 'zod';
import { VenueRefSchema } from '../../domain/venues';
import { findStrategy, strategyRegistry } from '../strategies/strategy-registry';
import { SymbolRiskSchema } from '../strategies/strategy-types';

export const StrategyConfigSchema = z
  .object({
    name: z.string().min(1).max(32),
    /** Index into the symbol's `venues`. */
    venue: z.number().int().min(0).max(3).default(0),
    params: z.record(z.string().max(64), z.unknown()).default({}),
  })
  .strict();

/**
 * A symbol's whole configuration: which strategies run with which params, on which venue(s), under which
 * risk limits. Strategy names must be registered and their params must pass the strategy's own schema;
 * the parsed params (defaults filled in) are what the symbol workflow stores.
 */
export const SymbolConfigShapeSchema = z
  .object({
    strategies: z.array(StrategyConfigSchema).max(8).default([]),
    venues: z.array(VenueRefSchema.strict()).min(1).max(4),
    risk: SymbolRiskSchema.default({ maxOpenOrders: 20, maxOrderNotional: '10000' }),
    /**
     * When a strategy fails (an order activity failed for good, the venue refused the account): cancel its
     * orders (default) or leave them resting for an operator to handle. Either way it stops trading and the
     * symbol shows the failure until an operator resumes it.
     */
    onFailure: z.enum(['cancel-orders', 'leave-orders']).default('cancel-orders'),
  })
  .strict();

/** The shape plus the strategy checks (the API documents the shape and applies this in the handler). */
export const SymbolConfigSchema = SymbolConfigShapeSchema.transform((config, context) => {
  const seen = new Set<string>();
  const strategies = config.strategies.map((strategy, index) => {
    const definition = findStrategy(strategy.name);
    if (!definition) {
      context.addIssue({
        code: 'custom',
        path: ['strategies', index, 'name'],
        message: `unknown strategy "${strategy.name}" (known: ${Object.keys(strategyRegistry).join(', ')})`,
      });
      return strategy;
    }
    if (seen.has(strategy.name))
      context.addIssue({ code: 'custom', path: ['strategies', index, 'name'], message: 'listed twice' });
    seen.add(strategy.name);
    if (strategy.venue >= config.venues.length)
      context.addIssue({
        code: 'custom',
        path: ['strategies', index, 'venue'],
        message: 'no such venue index',
      });
    const params = definition.paramsSchema.safeParse(strategy.params);
    if (!params.success) {
      for (const issue of params.error.issues)
        context.addIssue({
          code: 'custom',
          path: [
            'strategies',
            index,
            'params',
            ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
          ],
          message: issue.message,
        });
      return strategy;
    }
    return { ...strategy, params: params.data as Record<string, unknown> };
  });
  return { ...config, strategies };
});
export type SymbolConfig = z.output<typeof SymbolConfigSchema>;
export type SymbolConfigInput = z.input<typeof SymbolConfigSchema>;

/**
 * starting → running or paused (pausing while its strategies cancel their orders); degraded: a strategy
 * failed or reports trouble (the others trade on);
 * failed: nothing trades because of failures; stopping: being removed (cancelling its orders).
 */
export const SymbolStatusSchema = z.enum([
  'starting',
  'running',
  'pausing',
  'paused',
  'degraded',
  'failed',
  'stopping',
]);
export type SymbolStatus = z.infer<typeof SymbolStatusSchema>;

/** One-line readable summary of a symbol's configuration (Web UI static summaries). */
export function describeConfig(config: SymbolConfig): string {
  const strategies = config.strategies.map((strategy) => strategy.name).join('+') || 'no strategy';
  const venues = config.venues.map((venue) => `${venue.venue}/${venue.market}`).join(', ');
  return `${strategies} on ${venues}`;
}
