import { z } from 'zod';
import { compare, isDecimal } from './decimal';

/*
 * Trading vocabulary shared by every layer. Commands are imperative (SubmitOrder, CancelOrder); what the
 * venue or our own checks answer is past tense (accepted, rejected by the venue, denied by us, filled,
 * canceled). Prices, quantities and money are decimal strings, never binary floats.
 */

/** A non-negative plain decimal of any precision, as venues send them. */
export const DecimalStringSchema = z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal string');

/** A plain decimal that may be negative (positions, PnL, funding rates). */
export const SignedDecimalStringSchema = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string');

/**
 * A non-negative decimal an operator gives (prices, sizes, limits): at most 20 digits before the point and
 * 12 after, so strategy fixed-point math (domain/decimal.ts, FIXED_SCALE) holds it exactly.
 */
export const DecimalParamSchema = z
  .string()
  .max(40)
  .regex(/^\d{1,20}(\.\d{1,12})?$/, 'must be a non-negative decimal string such as "0.01"');

export const OrderSideSchema = z.enum(['buy', 'sell']);
export type Side = z.infer<typeof OrderSideSchema>;

export const OrderTypeSchema = z.enum(['limit', 'market']);
export type OrderType = z.infer<typeof OrderTypeSchema>;

export const TimeInForceSchema = z.enum(['GTC', 'IOC', 'FOK']);
export type TimeInForce = z.infer<typeof TimeInForceSchema>;

/** What a venue says of an order. */
export const OrderStatusSchema = z.enum([
  'open',
  'partially-filled',
  'filled',
  'canceled',
  'expired',
  'rejected',
]);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

/** Statuses after which an order rests on the book no longer. */
export const CLOSED_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'filled',
  'canceled',
  'expired',
  'rejected',
]);

/**
 * A touch usable as a price: both sides positive decimals and not crossed. The market-data hub drops the
 * others, and the scanner's stream validation counts a symbol valid only once it showed one.
 */
export function isSoundQuote(bid: string, ask: string): boolean {
  return (
    isDecimal(bid, { unsigned: true }) &&
    isDecimal(ask, { unsigned: true }) &&
    compare(bid, '0') > 0 &&
    compare(ask, '0') > 0 &&
    compare(bid, ask) <= 0
  );
}
