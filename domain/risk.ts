import { z } from 'zod';
import { abs, add, compare, multiply, subtract } from './decimal';
import { DecimalParamSchema, type Side } from './trading';

/** nautilus_trader's trading states: REDUCING lets through only orders that reduce a position. */
export const TradingStateSchema = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
export type TradingState = z.infer<typeof TradingStateSchema>;

/**
 * Where a state or a limit applies. Keys: '' (global), a venue ('binance'), an account
 * (`binance:main`, see accountKey), a canonical symbol ('BTC-USDT', on every venue).
 */
export const RiskScopeSchema = z.enum(['global', 'venue', 'account', 'symbol']);
export type RiskScope = z.infer<typeof RiskScopeSchema>;

export const accountKey = (venue: string, account: string) => `${venue}:${account}`;

/**
 * Pre-trade limits, each optional; the tightest of the global, account and symbol values applies.
 * Quantities are in the base asset, notionals and exposures in the quote asset.
 */
export const RiskLimitsSchema = z
  .object({
    /** Quantity of any one order. */
    maxOrderQuantity: DecimalParamSchema.optional(),
    /** Price × quantity of any one order. */
    maxOrderNotional: DecimalParamSchema.optional(),
    /** |position| of one account in one symbol if every open order on the order's side filled. */
    maxPosition: DecimalParamSchema.optional(),
    /** The same worst case, valued, summed over an account's symbols. */
    maxAccountExposure: DecimalParamSchema.optional(),
    /** ... and over every account. */
    maxTotalExposure: DecimalParamSchema.optional(),
    /** Live orders of one symbol, across its strategies. */
    maxOpenOrders: z.number().int().min(0).max(10_000).optional(),
    /** New orders per account in any one second, across every worker process. */
    maxOrdersPerSecond: z.number().int().min(0).max(100_000).optional(),
    /** How far (basis points) a limit price may sit from the reference price: fat-finger protection. */
    priceBandBps: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();
export type RiskLimits = z.infer<typeof RiskLimitsSchema>;

export const RISK_RULES = [
  'halted',
  'reducing',
  'maxOrderQuantity',
  'maxOrderNotional',
  'priceBand',
  'maxOpenOrders',
  'maxOrdersPerSecond',
  'maxPosition',
  'maxAccountExposure',
  'maxTotalExposure',
] as const;
export type RiskRule = (typeof RISK_RULES)[number];

export interface Denial {
  rule: RiskRule;
  /** The numbers that denied it, for the ledger and the operator. */
  detail: string;
}

const STRICTNESS: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** The state that holds where several apply (global, venue, account, symbol): the strictest. */
export function strictestState(states: TradingState[]): TradingState {
  return states.reduce<TradingState>((a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a), 'ACTIVE');
}

/** Field by field, the tightest of several limit sets. */
export function tightestLimits(...sets: Array<RiskLimits | undefined>): RiskLimits {
  const merged: RiskLimits & Record<string, string | number | undefined> = {};
  for (const set of sets)
    for (const [field, value] of Object.entries(set ?? {})) {
      if (value === undefined) continue;
      const held = merged[field];
      const tighter =
        held === undefined ||
        (typeof value === 'number' ? value < Number(held) : compare(value, String(held)) < 0);
      if (tighter) merged[field] = value;
    }
  return merged;
}

export interface OrderToCheck {
  /** For the denial's text. */
  symbol?: string;
  side: Side;
  quantity: string;
  /** Limit price; absent for a market order. */
  price?: string | undefined;
}

/** One account's book in one symbol, as the ledger holds it. Quantities in the base asset. */
export interface SymbolBook {
  /** Signed net position. */
  position: string;
  /** Unfilled quantity of live buy orders. */
  openBuy: string;
  /** Unfilled quantity of live sell orders. */
  openSell: string;
}

/** What the ledger says at the moment of the check, read under the account's lock. */
export interface RiskPicture {
  state: TradingState;
  /** Who set the strictest state, and why, for the denial's text. */
  stateReason?: string;
  book: SymbolBook;
  /** Price the symbol's exposure is valued at (latest fill, else the highest resting price). */
  markPrice?: string | undefined;
  /** Mid price of the market now, for the price band; needed only when a band is set. */
  referencePrice?: string | undefined;
  /** Live orders of the symbol. */
  openOrders: number;
  /** New orders of the account in the last second. */
  ordersLastSecond: number;
  /** Worst-case exposure of the account (all its symbols, this one included), before the order. */
  accountExposure?: string | undefined;
  /** ... of every account. */
  totalExposure?: string | undefined;
}

/** The position if every live order on one side filled: max(|pos + buys|, |pos − sells|). */
export function worstCasePosition(book: SymbolBook): string {
  const long = abs(add(book.position, book.openBuy));
  const short = abs(subtract(book.position, book.openSell));
  return compare(long, short) >= 0 ? long : short;
}

export function withOrder(book: SymbolBook, order: OrderToCheck): SymbolBook {
  return order.side === 'buy'
    ? { ...book, openBuy: add(book.openBuy, order.quantity) }
    : { ...book, openSell: add(book.openSell, order.quantity) };
}

/**
 * Whether the order only ever brings the position towards zero, whatever else on its side fills first:
 * a sell that cannot take a long position below zero, a buy that cannot take a short one above it.
 */
export function reducesPosition(book: SymbolBook, order: OrderToCheck): boolean {
  if (order.side === 'sell')
    return compare(subtract(subtract(book.position, book.openSell), order.quantity), '0') >= 0;
  return compare(add(add(book.position, book.openBuy), order.quantity), '0') <= 0;
}

const above = (value: string, limit: string | undefined) => limit !== undefined && compare(value, limit) > 0;

/**
 * The first rule the order breaks, with the numbers; undefined when it may be sent. Cancels never come
 * here: they only reduce risk. Pure: the same order and picture always get the same answer.
 */
export function preTradeDenial(
  order: OrderToCheck,
  picture: RiskPicture,
  limits: RiskLimits,
): Denial | undefined {
  const reducing = reducesPosition(picture.book, order);
  if (picture.state === 'HALTED') return { rule: 'halted', detail: `trading is HALTED${why(picture)}` };
  if (picture.state === 'REDUCING' && !reducing)
    return {
      rule: 'reducing',
      detail: `trading is REDUCING${why(picture)}: ${order.side} ${order.quantity} would not reduce a position of ${picture.book.position} (open buys ${picture.book.openBuy}, sells ${picture.book.openSell})`,
    };
  if (above(order.quantity, limits.maxOrderQuantity))
    return {
      rule: 'maxOrderQuantity',
      detail: `quantity ${order.quantity} is above ${limits.maxOrderQuantity}`,
    };
  const price = order.price ?? picture.referencePrice;
  if (price === undefined && limits.maxOrderNotional !== undefined)
    return { rule: 'maxOrderNotional', detail: 'no price to value the order against its notional limit' };
  if (price !== undefined && above(multiply(price, order.quantity), limits.maxOrderNotional))
    return {
      rule: 'maxOrderNotional',
      detail: `${price} × ${order.quantity} = ${multiply(price, order.quantity)} is above ${limits.maxOrderNotional}`,
    };
  const band = priceBandDenial(order, picture, limits);
  if (band) return band;
  if (limits.maxOpenOrders !== undefined && picture.openOrders >= limits.maxOpenOrders)
    return {
      rule: 'maxOpenOrders',
      detail: `${order.symbol ?? 'the symbol'} already holds ${picture.openOrders} live orders, the limit is ${limits.maxOpenOrders}`,
    };
  if (limits.maxOrdersPerSecond !== undefined && picture.ordersLastSecond >= limits.maxOrdersPerSecond)
    return {
      rule: 'maxOrdersPerSecond',
      detail: `the account placed ${picture.ordersLastSecond} orders in the last second, the limit is ${limits.maxOrdersPerSecond}`,
    };
  // A reducing order never adds to the worst case (see worstCasePosition): the limits below let it pass,
  // so a position over a lowered limit can always be brought back under it.
  if (reducing) return undefined;
  return exposureDenial(order, picture, limits, price);
}

const why = (picture: RiskPicture) => (picture.stateReason ? ` (${picture.stateReason})` : '');

function priceBandDenial(order: OrderToCheck, picture: RiskPicture, limits: RiskLimits): Denial | undefined {
  if (limits.priceBandBps === undefined || order.price === undefined) return undefined;
  const reference = picture.referencePrice;
  if (reference === undefined || compare(reference, '0') <= 0)
    return { rule: 'priceBand', detail: 'no reference price to check the limit price against' };
  // |price − reference| × 10000 > band × reference, in exact decimals.
  const distance = multiply(abs(subtract(order.price, reference)), '10000');
  if (compare(distance, multiply(String(limits.priceBandBps), reference)) > 0)
    return {
      rule: 'priceBand',
      detail: `limit price ${order.price} is more than ${limits.priceBandBps} bps from the reference ${reference}`,
    };
  return undefined;
}

function exposureDenial(
  order: OrderToCheck,
  picture: RiskPicture,
  limits: RiskLimits,
  price: string | undefined,
): Denial | undefined {
  const before = worstCasePosition(picture.book);
  const after = worstCasePosition(withOrder(picture.book, order));
  if (above(after, limits.maxPosition))
    return {
      rule: 'maxPosition',
      detail: `position ${picture.book.position} with open buys ${picture.book.openBuy} and sells ${picture.book.openSell} could reach ${after} with this ${order.side} of ${order.quantity}; the limit is ${limits.maxPosition}`,
    };
  if (price === undefined) {
    const unvalued = limits.maxAccountExposure !== undefined ? 'maxAccountExposure' : 'maxTotalExposure';
    const limited = limits.maxAccountExposure !== undefined || limits.maxTotalExposure !== undefined;
    return limited
      ? { rule: unvalued, detail: 'no price to value the order against its exposure limit' }
      : undefined;
  }
  // The symbol's exposure is revalued at the higher of its mark and this order's price.
  const mark = picture.markPrice && compare(picture.markPrice, price) > 0 ? picture.markPrice : price;
  const added = subtract(multiply(after, mark), multiply(before, picture.markPrice ?? '0'));
  for (const [rule, current, limit] of [
    ['maxAccountExposure', picture.accountExposure, limits.maxAccountExposure],
    ['maxTotalExposure', picture.totalExposure, limits.maxTotalExposure],
  ] as const) {
    if (limit === undefined) continue;
    const next = add(current ?? '0', added);
    if (compare(next, limit) > 0)
      return { rule, detail: `exposure would reach ${next} (now ${current ?? '0'}); the limit is ${limit}` };
  }
  return undefined;
}

/** What the kill switch did with an order, as the ledger records it. */
export const KillOutcomeSchema = z.enum([
  /** An intent it denied: never sent. */
  'denied-before-send',
  /** Resting on the venue before it engaged, then cancelled. */
  'cancelled-resting',
  /** In flight when it engaged: cancelled once it had landed. */
  'cancelled-after-landing',
  /** Filled (or otherwise closed) before the cancel reached it. */
  'closed-before-cancel',
  /** In flight when it engaged and proven never to have reached the venue. */
  'never-landed',
]);
export type KillOutcome = z.infer<typeof KillOutcomeSchema>;

export interface KillSwitchTally {
  outcome: KillOutcome;
  count: number;
  /** Up to 20 client order ids, for the report. */
  examples: string[];
}

export const BREAKERS = ['latency', 'errors', 'drawdown', 'stale'] as const;
export type BreakerName = (typeof BREAKERS)[number];

/** A state a circuit breaker holds over a scope (source `breaker:<name>` in the database). */
export interface Trip {
  breaker: BreakerName;
  scope: RiskScope;
  key: string;
  state: TradingState;
  reason: string;
}
