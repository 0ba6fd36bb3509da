import { z } from 'zod';
import { toFixed } from '../../../domain/decimal';
import { DecimalParamSchema as Decimal } from '../../../domain/trading';

/** The value of a decimal field, or undefined when the field itself is malformed (its own error reports it). */
function valueOf(text: string): bigint | undefined {
  return Decimal.safeParse(text).success ? toFixed(text) : undefined;
}
const positive = (text: string) => (valueOf(text) ?? 1n) > 0n;

/** A grid's configuration, as an operator gives it (API, update, signal). */
export const GridParamsSchema = z
  .object({
    /** long: buy below, sell each filled buy one level up. neutral: buys below and sells above from the start. */
    mode: z.enum(['long', 'neutral']),
    lowerPrice: Decimal,
    upperPrice: Decimal,
    /** Number of price levels, bounds included. */
    levels: z.number().int().min(2).max(200),
    spacing: z.enum(['arithmetic', 'geometric']).default('arithmetic'),
    /** Size of every order, in base units or in quote currency (converted per level, rounded down to the lot). */
    orderSize: z.object({ unit: z.enum(['base', 'quote']), amount: Decimal }),
    /** Largest position the grid may hold, in base units (both ways in neutral mode). */
    maxInventory: Decimal,
    /** keep: leave resting orders when price leaves [lower, upper]; cancel: cancel them and wait for price to return. */
    outOfRange: z.enum(['keep', 'cancel']).default('keep'),
    /** Mid to lay the grid around while the book is empty or one-sided. */
    referencePrice: Decimal.optional(),
    /** How often the watch activity polls the venue, and how long one watch lasts before checking in. */
    pollMs: z.number().int().min(50).max(60_000).default(250),
    watchMs: z.number().int().min(1000).max(600_000).default(5000),
    /**
     * true: the watch places a filled order's replacement itself the moment it sees the fill (decided by
     * the plan beforehand, under an id issued beforehand; same exactly-once placement). false: every
     * replacement waits for a workflow task first (slower by a server round trip; see bench/grid-latency.ts).
     */
    replaceFromWatch: z.boolean().default(true),
  })
  .refine((p) => positive(p.lowerPrice), { message: 'lowerPrice must be above 0', path: ['lowerPrice'] })
  .refine((p) => (valueOf(p.lowerPrice) ?? 0n) < (valueOf(p.upperPrice) ?? 1n), {
    message: 'lowerPrice must be below upperPrice',
    path: ['upperPrice'],
  })
  .refine((p) => positive(p.orderSize.amount), {
    message: 'order size must be above 0',
    path: ['orderSize', 'amount'],
  })
  .refine((p) => positive(p.maxInventory), {
    message: 'maxInventory must be above 0',
    path: ['maxInventory'],
  });
export type GridParams = z.output<typeof GridParamsSchema>;
export type GridParamsInput = z.input<typeof GridParamsSchema>;

/** The venue's trading rules the grid must respect (decimal strings, from the connector's instrument). */
export interface TradingRules {
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  minNotional: string;
}
