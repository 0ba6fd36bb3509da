import { divide, multiply, subtract } from '../../../domain/decimal';
import { roundBps, roundTripFeesBps, type ArbitrageParams, type LegName } from './arbitrage-params';
import { priceFor, type OrderBook } from './price-source';

/*
 * When to enter and when to exit, from both legs' books and the perps' funding. Spreads are in basis
 * points, as JS numbers: they are ratios that only decide, while the prices behind them stay decimal
 * strings. The thresholds are on the spread (plus the funding expected over the horizon), before fees;
 * the schema refuses an entry threshold that does not pay the round-trip fees, so every entry it lets
 * through has a positive edge.
 */

/** A perp's current funding rate per interval (signed decimal string; positive: longs pay shorts). */
export interface FundingQuote {
  rate: string;
  /** Hours between two fundings on that venue. */
  intervalHours?: number;
}

export interface ArbitrageMarket {
  long: OrderBook;
  short: OrderBook;
  /** Funding of the perp legs; a spot leg's is ignored. */
  funding?: Partial<Record<LegName, FundingQuote>>;
}

const DEFAULT_FUNDING_INTERVAL_HOURS = 8;

/** Where the spread is measured from: divided to this many places, rounded down. */
const SPREAD_PLACES = 6;

/** (shortPrice − longPrice) / longPrice in basis points: what selling the short leg above the long earns. */
export function spreadBps(longPrice: string, shortPrice: string): number {
  return Number(
    divide(multiply(subtract(shortPrice, longPrice), '10000'), longPrice, SPREAD_PLACES, 'floor'),
  );
}

/**
 * Funding the position is expected to receive over `fundingHorizonHours` at today's rates, in bps: the
 * short perp receives its rate, the long perp pays its own (a spot leg neither). `missing` names the perp
 * legs without a rate, which count nothing (none are missing when the horizon is zero).
 */
export function expectedFundingBps(
  params: Pick<ArbitrageParams, 'long' | 'short' | 'fundingHorizonHours'>,
  funding: ArbitrageMarket['funding'],
): { bps: number; missing: LegName[] } {
  let bps = 0;
  const missing: LegName[] = [];
  if (params.fundingHorizonHours === 0) return { bps, missing };
  for (const [leg, direction] of [
    ['long', -1],
    ['short', 1],
  ] as const) {
    if (params[leg].market !== 'perp') continue;
    const quote = funding?.[leg];
    if (!quote) {
      missing.push(leg);
      continue;
    }
    const hours = quote.intervalHours;
    const intervals =
      params.fundingHorizonHours / (hours && hours > 0 ? hours : DEFAULT_FUNDING_INTERVAL_HOURS);
    bps += direction * Number(multiply(quote.rate, '10000')) * intervals;
  }
  return { bps: roundBps(bps), missing };
}

export type EntryDecision =
  | {
      enter: true;
      /** The spread at the prices the price source gives for the size. */
      spreadBps: number;
      fundingBps: number;
      /** Round-trip fees of both legs. */
      feesBps: number;
      /** What the entry earns if the spread closes to zero: spread + funding − fees. */
      edgeBps: number;
      longPrice: string;
      shortPrice: string;
    }
  | { enter: false; reason: string; spreadBps?: number; fundingBps?: number };

/** Enter when the spread of buying the long leg and selling the short leg, plus funding, reaches the entry threshold. */
export function decideEntry(params: ArbitrageParams, market: ArbitrageMarket): EntryDecision {
  const long = priceFor(market.long, 'buy', params.size, params.priceSource);
  if (long.price === undefined) return { enter: false, reason: `long leg: ${long.reason}` };
  const short = priceFor(market.short, 'sell', params.size, params.priceSource);
  if (short.price === undefined) return { enter: false, reason: `short leg: ${short.reason}` };
  const spread = spreadBps(long.price, short.price);
  const funding = expectedFundingBps(params, market.funding);
  if (funding.missing.length > 0)
    return {
      enter: false,
      reason: `no funding rate for the ${funding.missing.join(' and ')} perp yet, and funding counts in the edge`,
      spreadBps: spread,
    };
  const signal = roundBps(spread + funding.bps);
  if (signal < params.entryThresholdBps)
    return {
      enter: false,
      reason: `spread ${spread} bps + funding ${funding.bps} bps = ${signal} bps is below the entry threshold ${params.entryThresholdBps} bps`,
      spreadBps: spread,
      fundingBps: funding.bps,
    };
  const fees = roundTripFeesBps(params);
  return {
    enter: true,
    spreadBps: spread,
    fundingBps: funding.bps,
    feesBps: fees,
    edgeBps: roundBps(signal - fees),
    longPrice: long.price,
    shortPrice: short.price,
  };
}

export type ExitDecision =
  | {
      exit: true;
      /** The spread of selling the long leg and buying back the short leg. */
      closingSpreadBps: number;
      fundingBps: number;
      /** Entry spread − closing spread: the spread the cycle captured. */
      capturedBps: number;
      /** Captured − round-trip fees (funding received is counted by the PnL, once paid). */
      edgeBps: number;
      longPrice: string;
      shortPrice: string;
    }
  | { exit: false; reason: string; closingSpreadBps?: number; fundingBps?: number };

/**
 * Exit when the spread that closes the position, plus the funding that holding on would still earn, is at
 * or below the exit threshold: strong funding keeps a position open longer, funding turned against it
 * closes it sooner. A perp without a rate counts no funding here rather than holding the exit up.
 */
export function decideExit(
  params: ArbitrageParams,
  market: ArbitrageMarket,
  entrySpreadBps: number,
): ExitDecision {
  const long = priceFor(market.long, 'sell', params.size, params.priceSource);
  if (long.price === undefined) return { exit: false, reason: `long leg: ${long.reason}` };
  const short = priceFor(market.short, 'buy', params.size, params.priceSource);
  if (short.price === undefined) return { exit: false, reason: `short leg: ${short.reason}` };
  const closing = spreadBps(long.price, short.price);
  const funding = expectedFundingBps(params, market.funding).bps;
  const signal = roundBps(closing + funding);
  if (signal > params.exitThresholdBps)
    return {
      exit: false,
      reason: `closing spread ${closing} bps + funding ${funding} bps = ${signal} bps is above the exit threshold ${params.exitThresholdBps} bps`,
      closingSpreadBps: closing,
      fundingBps: funding,
    };
  const captured = roundBps(entrySpreadBps - closing);
  return {
    exit: true,
    closingSpreadBps: closing,
    fundingBps: funding,
    capturedBps: captured,
    edgeBps: roundBps(captured - roundTripFeesBps(params)),
    longPrice: long.price,
    shortPrice: short.price,
  };
}
