import { z } from 'zod';
import { toFixed } from '../../../domain/decimal';
import { SignalGeneratorConfigSchema } from '../../../domain/signal-config';
import { DecimalParamSchema } from '../../../domain/trading';

/** The signal strategy's configuration (issue #17, seed 003), as an operator gives it. */
export const SignalParamsSchema = z
  .object({
    generator: SignalGeneratorConfigSchema.prefault({ kind: 'imbalance' }),
    /** The features' windows: volatility and momentum, and trade flow (seed: 1,000 ms). */
    windowMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Snapshots a window must hold before a signal counts: the warm-up after each start. */
    minSamples: z.number().int().min(1).max(1_000).default(5),
    /** The largest position either way, in base units (seed: 1.0). */
    maxPosition: DecimalParamSchema.refine((text) => toFixed(text) > 0n, 'must be above zero'),
    /** Each entry is this fraction of maxPosition (seed: 0.5). */
    orderSizeFraction: z.number().gt(0).max(1).default(0.5),
    /** Whether a sell signal may open a short (a perp); false: it only closes a long (a spot account). */
    allowShort: z.boolean().default(false),
    /**
     * taker: every order crosses the spread (IOC at the far touch, at most maxSlippageBps beyond it);
     * maker: an entry joins the near touch (post-only) and rests makerWaitMs, then what did not fill is
     * cancelled. Exits always take.
     */
    execution: z.enum(['taker', 'maker']).default('taker'),
    makerWaitMs: z.number().int().min(100).max(600_000).default(2_000),
    maxSlippageBps: z.number().int().min(0).max(1_000).default(5),
    /**
     * After a decision whose order filled nothing (denied by a risk limit, refused by the venue, or an IOC
     * the touch ran from), how long before the next one: a refusal is not re-sent on every update.
     */
    cooldownMs: z.number().int().min(0).max(3_600_000).default(1_000),
    /** The longest one watch of the market lasts before the workflow looks again (a quiet market). */
    quietWaitMs: z.number().int().min(1_000).max(600_000).default(60_000),
    /** Whether removing the symbol (or the strategy) closes the position first. */
    flattenOnStop: z.boolean().default(true),
  })
  .strict();
export type SignalParams = z.infer<typeof SignalParamsSchema>;
