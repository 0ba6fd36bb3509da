import { z } from 'zod';
import { toFixed } from '../../../domain/decimal';
import { DecimalParamSchema as Decimal } from '../../../domain/trading';
import {
  AccountNameSchema,
  MarketKindSchema,
  VenueSchema,
  type MarketKind,
  type VenueRef,
} from '../../../domain/venues';

/** Each venue's base tier: a cautious default, since fees set too low let unprofitable entries through. */
export const DEFAULT_FEES_BPS: Readonly<Record<MarketKind, { makerBps: number; takerBps: number }>> = {
  spot: { makerBps: 10, takerBps: 10 },
  perp: { makerBps: 2, takerBps: 5 },
};

/** One leg: the venue market it trades on, and the fees its orders pay there (bps of notional). */
export const ArbitrageLegSchema = z
  .object({
    venue: VenueSchema,
    market: MarketKindSchema,
    /** The account on that venue; absent: the one the symbol's configuration names for it. */
    account: AccountNameSchema.optional(),
    /** Defaults per market (DEFAULT_FEES_BPS); a maker fee may be negative (a rebate). */
    fees: z
      .object({
        makerBps: z.number().finite().min(-100).max(1000).optional(),
        takerBps: z.number().finite().min(0).max(1000).optional(),
      })
      .optional(),
  })
  .transform(({ fees, ...leg }) => ({
    ...leg,
    fees: {
      makerBps: fees?.makerBps ?? DEFAULT_FEES_BPS[leg.market].makerBps,
      takerBps: fees?.takerBps ?? DEFAULT_FEES_BPS[leg.market].takerBps,
    },
  }));
export type ArbitrageLeg = z.output<typeof ArbitrageLegSchema>;

export const LegNameSchema = z.enum(['long', 'short']);
export type LegName = z.infer<typeof LegNameSchema>;

export const LiquiditySchema = z.enum(['maker', 'taker']);
export type Liquidity = z.infer<typeof LiquiditySchema>;

export const PriceSourceSchema = z.enum(['mid', 'touch', 'depth']);
export type PriceSourceKind = z.infer<typeof PriceSourceSchema>;

export const ExecutionPolicySchema = z.object({
  /** less-liquid: the leg with less size at the touch goes first, so the easier fill follows it. */
  firstLeg: z.enum(['long', 'short', 'less-liquid']).default('less-liquid'),
  /** taker: an IOC limit bounded by maxSlippageBps; maker: a post-only order resting at the touch. */
  long: LiquiditySchema.default('taker'),
  short: LiquiditySchema.default('taker'),
  /** How long a leg may take to fill before it counts as failed. */
  legTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
  /** How far a taker limit may sit beyond the price source's price. */
  maxSlippageBps: z.number().int().min(0).max(1000).default(10),
  /** unwind: close the first leg; hedge: cover it some other way (decided by the strategy). */
  onSecondLegFailure: z.enum(['unwind', 'hedge']).default('unwind'),
});
export type ExecutionPolicy = z.output<typeof ExecutionPolicySchema>;

const percent = z.number().finite().gt(0).max(100);

/** Headroom is the share of a venue account's equity not used as margin, in percent. */
export const MarginPolicySchema = z
  .object({
    /** Set on the venue for each perp leg. */
    leverage: z.number().int().min(1).max(20).default(1),
    /** Headroom each venue must keep after the entry, or the entry is refused. */
    minHeadroomPct: percent.default(50),
    reduceBelowPct: percent.default(30),
    exitBelowPct: percent.default(15),
    /** How often an open arbitrage reads its perp legs' headroom. */
    checkIntervalMs: z.number().int().min(1_000).max(600_000).default(10_000),
  })
  .superRefine((margin, ctx) => {
    if (margin.reduceBelowPct > margin.minHeadroomPct)
      ctx.addIssue({
        code: 'custom',
        path: ['reduceBelowPct'],
        message: 'must not exceed minHeadroomPct, or an entry would be reduced as soon as it is made',
      });
    if (margin.exitBelowPct > margin.reduceBelowPct)
      ctx.addIssue({ code: 'custom', path: ['exitBelowPct'], message: 'must not exceed reduceBelowPct' });
  });
export type MarginPolicy = z.output<typeof MarginPolicySchema>;

/**
 * An arbitrage's configuration, as an operator gives it. Buys `size` on the long leg and sells it on the
 * short leg when the spread between them (plus the funding expected over the horizon) reaches the entry
 * threshold; closes both when the spread that closes them falls to the exit threshold (see
 * decision-policy.ts). The thresholds are on the spread the books show, before fees, like the scanner's.
 */
export const ArbitrageParamsSchema = z
  .object({
    /** spot-perp: long spot, short perp, one venue, on quote changes. perp-perp: two perps, two venues, polled. */
    kind: z.enum(['spot-perp', 'perp-perp']),
    long: ArbitrageLegSchema,
    short: ArbitrageLegSchema,
    /** Base units per leg. */
    size: Decimal,
    entryThresholdBps: z.number().finite().min(-10_000).max(10_000),
    exitThresholdBps: z.number().finite().min(-10_000).max(10_000),
    /** How long a position is expected to be held: the funding over it counts in the edge. */
    fundingHorizonHours: z.number().finite().min(0).max(720).default(8),
    priceSource: PriceSourceSchema.default('depth'),
    execution: ExecutionPolicySchema.prefault({}),
    margin: MarginPolicySchema.prefault({}),
    /** perp-perp: how often both venues are read. */
    pollIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /**
     * spot-perp: the longest wait for a quote change; when it passes quietly both legs are read anyway
     * (margin checks, a maker leg's timeout).
     */
    quoteWaitMs: z.number().int().min(1_000).max(600_000).default(30_000),
  })
  .superRefine((params, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (params.kind === 'spot-perp') {
      if (params.long.market !== 'spot') issue(['long', 'market'], 'spot-perp buys spot: must be spot');
      if (params.short.market !== 'perp')
        issue(['short', 'market'], 'spot-perp sells the perp: must be perp');
      if (params.long.venue !== params.short.venue)
        issue(['short', 'venue'], `spot-perp trades on one venue: must be ${params.long.venue}`);
    } else {
      if (params.long.market !== 'perp') issue(['long', 'market'], 'perp-perp: must be perp');
      if (params.short.market !== 'perp') issue(['short', 'market'], 'perp-perp: must be perp');
      if (params.long.venue === params.short.venue)
        issue(['short', 'venue'], 'perp-perp trades across two venues: must differ from the long leg');
    }
    if (Decimal.safeParse(params.size).success && toFixed(params.size) === 0n)
      issue(['size'], 'must be above 0');
    if (params.entryThresholdBps <= params.exitThresholdBps)
      issue(['exitThresholdBps'], 'must be below entryThresholdBps');
    else {
      const never = thresholdsNeverTrade(params);
      if (never) issue(['entryThresholdBps'], never);
    }
  });
export type ArbitrageParams = z.output<typeof ArbitrageParamsSchema>;
export type ArbitrageParamsInput = z.input<typeof ArbitrageParamsSchema>;

/** Rounds away binary-float noise, so sums of bps compare as their decimal values do. */
export const roundBps = (bps: number): number => Math.round(bps * 1e6) / 1e6;

/** The fee one order of this leg pays, by the liquidity the execution policy gives it. */
export function legFeeBps(
  params: Pick<ArbitrageParams, 'long' | 'short' | 'execution'>,
  leg: LegName,
): number {
  const fees = params[leg].fees;
  return params.execution[leg] === 'maker' ? fees.makerBps : fees.takerBps;
}

/** Fees of a whole arbitrage: both legs, each paying on entry and again on exit. */
export function roundTripFeesBps(params: Pick<ArbitrageParams, 'long' | 'short' | 'execution'>): number {
  return roundBps(2 * (legFeeBps(params, 'long') + legFeeBps(params, 'short')));
}

type ThresholdParams = Pick<
  ArbitrageParams,
  'long' | 'short' | 'execution' | 'entryThresholdBps' | 'exitThresholdBps'
>;

/**
 * Why these thresholds can never trade at a profit, or undefined when they can. A cycle entered at the
 * entry threshold and closed at the exit threshold captures their difference, and pays the round-trip
 * fees; an exit below zero is not counted, since a spread that overshoots zero is not to be relied on.
 */
export function thresholdsNeverTrade(params: ThresholdParams): string | undefined {
  const fees = roundTripFeesBps(params);
  const exit = Math.max(params.exitThresholdBps, 0);
  const needed = roundBps(fees + exit);
  if (params.entryThresholdBps > needed) return undefined;
  const leg = (name: LegName) =>
    `${name} ${params[name].market} ${params.execution[name]} ${legFeeBps(params, name)} bps`;
  const feesText = `the round-trip fees of ${fees} bps (${leg('long')} and ${leg('short')}, each paid on entry and on exit)`;
  const floor = exit > 0 ? `${needed} bps: ${feesText} plus the exit threshold ${exit} bps` : feesText;
  return `entry threshold ${params.entryThresholdBps} bps can never trade at a profit: it must be above ${floor}`;
}

/**
 * The venue markets an arbitrage trades on (the strategy definition's `tradedMarkets`): both legs, each
 * on its own account or the symbol's, each order of `size` base units.
 */
export function arbitrageMarkets(params: ArbitrageParams, symbolVenue: VenueRef) {
  return LegNameSchema.options.map((leg) => ({
    venue: params[leg].venue,
    market: params[leg].market,
    account: params[leg].account ?? symbolVenue.account,
    quantity: params.size,
    what: `${leg} leg`,
  }));
}
