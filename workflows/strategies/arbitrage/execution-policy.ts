import { compare, divideRounded, fromFixed, multiply, roundToStep, toFixed } from '../../../domain/decimal';
import type { Side } from '../../../domain/trading';
import type { ArbitrageParams, LegName } from './arbitrage-params';
import { priceFor, touchSize, type OrderBook } from './price-source';

/** A venue's trading rules for one leg (decimal strings, from the connector's instrument). */
export interface LegRules {
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  minNotional: string;
}

/** entry opens both legs, exit closes them. */
export type Phase = 'entry' | 'exit';

/** One leg's order, as the order path takes it (the strategy adds the symbol and the client order id). */
export interface LegOrder {
  leg: LegName;
  side: Side;
  type: 'limit';
  price: string;
  quantity: string;
  /** IOC for a taker (it takes what the limit allows at once), GTC for a maker resting at the touch. */
  timeInForce: 'IOC' | 'GTC';
  postOnly: boolean;
  /** Orders that close a perp leg may only reduce it. */
  reduceOnly: boolean;
  /** How long the leg may take to fill before it counts as failed. */
  timeoutMs: number;
}

export type LegOrderPlan = { order: LegOrder; reason?: undefined } | { order: undefined; reason: string };

type ExecutionParams = Pick<ArbitrageParams, 'long' | 'short' | 'execution' | 'priceSource'>;

const opposite = (side: Side): Side => (side === 'buy' ? 'sell' : 'buy');

/** The long leg buys on entry and sells on exit; the short leg the other way round. */
export function legSide(leg: LegName, phase: Phase): Side {
  const entry: Side = leg === 'long' ? 'buy' : 'sell';
  return phase === 'entry' ? entry : opposite(entry);
}

/**
 * The leg to place first. `less-liquid`: the one whose book shows less size at the touch it takes from
 * (the long leg on a tie), so the leg most likely to fall short is known before the other is committed.
 */
export function firstLeg(
  params: Pick<ArbitrageParams, 'execution'>,
  books: Record<LegName, OrderBook>,
  phase: Phase = 'entry',
): LegName {
  const policy = params.execution.firstLeg;
  if (policy !== 'less-liquid') return policy;
  const long = touchSize(books.long, legSide('long', phase));
  const short = touchSize(books.short, legSide('short', phase));
  return compare(short, long) < 0 ? 'short' : 'long';
}

/**
 * `price` moved `bps` against us (up for a buy, down for a sell) and put on the tick without going past
 * that bound: down for a buy, up for a sell. Exact: integers scaled by 10^12 × 10^4.
 */
export function slippageBound(price: string, side: Side, bps: number, tickSize: string): string {
  const direction = side === 'buy' ? 1n : -1n;
  const scaled = toFixed(price) * (10_000n + direction * BigInt(bps));
  const tick = toFixed(tickSize);
  const rounding = side === 'buy' ? 'floor' : 'ceil';
  if (tick <= 0n) return fromFixed(divideRounded(scaled, 10_000n, rounding));
  return fromFixed(divideRounded(scaled, tick * 10_000n, rounding) * tick);
}

/**
 * The order of one leg for `quantity` base units. A taker leg is an IOC limit at the price source's price
 * for that quantity, moved by at most maxSlippageBps; a maker leg rests post-only at its own side's touch
 * (the best bid for a buy, the best ask for a sell).
 */
export function legOrder(
  params: ExecutionParams,
  leg: LegName,
  phase: Phase,
  book: OrderBook,
  quantity: string,
  rules: Pick<LegRules, 'tickSize'>,
): LegOrderPlan {
  const side = legSide(leg, phase);
  const common = {
    leg,
    side,
    type: 'limit' as const,
    quantity,
    reduceOnly: phase === 'exit' && params[leg].market === 'perp',
    timeoutMs: params.execution.legTimeoutMs,
  };
  if (params.execution[leg] === 'maker') {
    const touch = (side === 'buy' ? book.bids : book.asks)[0];
    if (!touch)
      return { order: undefined, reason: `no ${side === 'buy' ? 'bid' : 'ask'} to rest the ${leg} leg at` };
    return { order: { ...common, price: touch[0], timeInForce: 'GTC', postOnly: true } };
  }
  const reference = priceFor(book, side, quantity, params.priceSource);
  if (reference.price === undefined) return { order: undefined, reason: `${leg} leg: ${reference.reason}` };
  const price = slippageBound(reference.price, side, params.execution.maxSlippageBps, rules.tickSize);
  return { order: { ...common, price, timeInForce: 'IOC', postOnly: false } };
}

/** Why the venue would refuse `quantity` at `price`, or undefined when it meets its minimums. */
export function legSizeViolation(
  quantity: string,
  rules: Pick<LegRules, 'minQuantity' | 'minNotional'>,
  price: string,
): string | undefined {
  if (toFixed(quantity) <= 0n || compare(quantity, rules.minQuantity) < 0)
    return `quantity ${quantity} is below the venue minimum ${rules.minQuantity}`;
  const notional = multiply(quantity, price);
  if (compare(notional, rules.minNotional) < 0)
    return `notional ${notional} (${quantity} at ${price}) is below the venue minimum ${rules.minNotional}`;
  return undefined;
}

export type SecondLegSize =
  /** `unhedged`: what the lot rounding left of the first leg without a counterpart. */
  | { action: 'place'; quantity: string; unhedged: string }
  | { action: 'unwind'; reason: string }
  /** The first leg filled nothing: both legs are flat and there is nothing to undo. */
  | { action: 'flat'; reason: string };

/**
 * The second leg sized to what the first actually filled, rounded down to the second venue's lot. Below
 * that venue's minimum quantity or notional (at `price`, the second leg's expected price) it cannot be
 * placed, and the first leg is unwound instead.
 */
export function secondLegSize(
  firstFilled: string,
  rules: Pick<LegRules, 'lotSize' | 'minQuantity' | 'minNotional'>,
  price: string,
): SecondLegSize {
  const filled = toFixed(firstFilled);
  if (filled <= 0n) return { action: 'flat', reason: 'the first leg filled nothing' };
  const lot = toFixed(rules.lotSize);
  const rounded = lot > 0n ? roundToStep(filled, lot, 'down') : filled;
  const quantity = fromFixed(rounded);
  const violation = legSizeViolation(quantity, rules, price);
  if (violation)
    return {
      action: 'unwind',
      reason: `the first leg filled ${firstFilled}; on the second venue's lot ${rules.lotSize} that is ${violation}`,
    };
  return { action: 'place', quantity, unhedged: fromFixed(filled - rounded) };
}

/** What the first leg actually did: its side and fill on its own venue. */
export interface LegFill {
  leg: LegName;
  side: Side;
  quantity: string;
  /** Its average fill price: the unwind's reference when its book is empty. */
  price: string;
}

/**
 * The order that flattens a filled first leg: the opposite side, the same quantity, a taker IOC limit at
 * the price source's price (the fill's own price when the book cannot give one), bounded by maxSlippageBps.
 */
export function unwindOrder(
  params: ExecutionParams,
  fill: LegFill,
  book: OrderBook,
  rules: Pick<LegRules, 'tickSize'>,
): LegOrder {
  const side = opposite(fill.side);
  const reference = priceFor(book, side, fill.quantity, params.priceSource).price ?? fill.price;
  return {
    leg: fill.leg,
    side,
    type: 'limit',
    price: slippageBound(reference, side, params.execution.maxSlippageBps, rules.tickSize),
    quantity: fill.quantity,
    timeInForce: 'IOC',
    postOnly: false,
    reduceOnly: params[fill.leg].market === 'perp',
    timeoutMs: params.execution.legTimeoutMs,
  };
}
