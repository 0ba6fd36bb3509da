import { divideRounded, fromFixed, multiplyFixed, toFixed } from '../../../domain/decimal';
import type { Side } from '../../../domain/trading';

/** What the quote strategy needs to know about the market at one moment (decimal strings). */
export interface QuoteMarket {
  bid?: string | undefined;
  ask?: string | undefined;
  tickSize: string;
  lotSize: string;
  minNotional: string;
}

export interface QuotePlanInput {
  market: QuoteMarket;
  /** Used as mid when the book is empty or one-sided. */
  referencePrice?: string | undefined;
  levels: number;
  /** Distance of the first level from mid, each side, in basis points. */
  halfSpreadBps: number;
  /** Extra distance of each further level, in basis points. */
  levelStepBps: number;
  quantity: string;
}

export interface PlannedOrder {
  side: Side;
  price: string;
  quantity: string;
}

/** Why a level is left out: the venue would refuse the order (Keel's own limits are the order path's). */
export type SkipReason = 'no-price' | 'quantity-below-lot' | 'notional-below-min';

export interface QuotePlan {
  mid: string | undefined;
  orders: PlannedOrder[];
  /** Levels left out, with why. */
  skipped: Array<{ side: Side; level: number; reason: SkipReason }>;
}

/**
 * A symmetric ladder of `levels` limit orders each side of mid, prices on the tick grid (bids rounded
 * down, asks up), quantity on the lot grid; levels the venue would refuse are skipped.
 * Pure: `(params, market) → orders`, tested as a plain function.
 */
export function planQuotes(input: QuotePlanInput): QuotePlan {
  const tick = toFixed(input.market.tickSize);
  const lot = toFixed(input.market.lotSize);
  const { bid, ask } = input.market;
  let mid: bigint | undefined;
  if (bid !== undefined && ask !== undefined && toFixed(bid) > 0n && toFixed(ask) > 0n)
    mid = (toFixed(bid) + toFixed(ask)) / 2n;
  else if (input.referencePrice !== undefined) mid = toFixed(input.referencePrice);
  const skipped: QuotePlan['skipped'] = [];
  if (mid === undefined || mid === 0n || tick === 0n || lot === 0n) {
    return { mid: undefined, orders: [], skipped: [{ side: 'buy', level: 0, reason: 'no-price' }] };
  }
  const quantity = (toFixed(input.quantity) / lot) * lot;
  const midTicks = mid / tick;
  const minNotional = toFixed(input.market.minNotional);
  const orders: PlannedOrder[] = [];
  const levels = Math.max(0, input.levels);
  for (let level = 0; level < levels; level += 1) {
    const bps = BigInt(input.halfSpreadBps + level * input.levelStepBps);
    const offsetTicks = (() => {
      const offset = divideRounded(midTicks * bps, 10_000n, 'ceil');
      return offset < 1n ? 1n : offset;
    })();
    for (const side of ['buy', 'sell'] as const) {
      const priceTicks = side === 'buy' ? midTicks - offsetTicks : midTicks + offsetTicks;
      if (priceTicks <= 0n) {
        skipped.push({ side, level, reason: 'no-price' });
        continue;
      }
      const price = priceTicks * tick;
      const notional = multiplyFixed(price, quantity, 'down');
      if (quantity === 0n) skipped.push({ side, level, reason: 'quantity-below-lot' });
      else if (notional < minNotional) skipped.push({ side, level, reason: 'notional-below-min' });
      else orders.push({ side, price: fromFixed(price), quantity: fromFixed(quantity) });
    }
  }
  return { mid: fromFixed(mid), orders, skipped };
}
