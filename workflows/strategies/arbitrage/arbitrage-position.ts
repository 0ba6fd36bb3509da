import { z } from 'zod';
import { add, compare, multiply, subtract } from '../../../domain/decimal';
import { splitCanonical } from '../../../domain/symbols';
import type { LegName } from './arbitrage-params';
import type { Fill, LegFills } from './arbitrage-pnl';

/*
 * What the two legs hold, from their fills alone: the saga asks it after every order, so a position is
 * never one-legged without the strategy knowing by how much and on which leg.
 */

export const FillSchema = z.object({ price: z.string(), quantity: z.string(), fee: z.string() });
export const LegFillsSchema = z.object({
  entries: z.array(FillSchema).default([]),
  exits: z.array(FillSchema).default([]),
  funding: z.array(z.string()).default([]),
});
export type LegFillsState = z.infer<typeof LegFillsSchema>;

const total = (fills: readonly Fill[]) => fills.reduce((sum, fill) => add(sum, fill.quantity), '0');

/** Base units a leg still holds: entered minus exited. */
export function openQuantity(fills: LegFills): string {
  return subtract(total(fills.entries), total(fills.exits));
}

/**
 * The leg holding more than the other and by how much, or undefined when both hold the same: the
 * quantity to close on that leg to be flat or hedged again.
 */
export function imbalance(legs: Record<LegName, LegFills>): { leg: LegName; quantity: string } | undefined {
  const long = openQuantity(legs.long);
  const short = openQuantity(legs.short);
  const order = compare(long, short);
  if (order === 0) return undefined;
  return order > 0
    ? { leg: 'long', quantity: subtract(long, short) }
    : { leg: 'short', quantity: subtract(short, long) };
}

/**
 * A venue's fee in the symbol's quote currency: a fee charged in the base asset (a spot buy) is worth its
 * quantity at the fill's price. Undefined for a fee in any other asset, which the caller must report.
 */
export function feeInQuote(
  symbol: string,
  fee: string,
  feeAsset: string | null,
  price: string,
): string | undefined {
  if (compare(fee, '0') === 0) return '0';
  const assets = splitCanonical(symbol);
  if (!assets || feeAsset === null || feeAsset === assets.quote) return fee;
  if (feeAsset === assets.base) return multiply(fee, price);
  return undefined;
}
