import { z } from 'zod';

/**
 * What the simulator server sends a bot, as plain JSON types (checked with zod on arrival). Decimal
 * numbers are strings, times are ms since the epoch on the simulator's clock.
 */
const Decimal = z.string();
const Side = z.enum(['buy', 'sell']);

/** `{ code, reason, msg }`: how the simulator server refuses a request. */
export const ErrorBodySchema = z.object({ code: z.number(), reason: z.string(), msg: z.string() });

/** The touch (`GET .../ticker`, feed channel `bbo`); a side is null when its book is empty. */
export const TopSchema = z.object({
  symbol: z.string(),
  bidPrice: Decimal.nullable(),
  bidQty: Decimal.nullable(),
  askPrice: Decimal.nullable(),
  askQty: Decimal.nullable(),
  ts: z.number(),
});
export type Top = z.infer<typeof TopSchema>;

/** One execution on the public tape (`GET .../trades`, feed channel `trades`). */
export const TradeSchema = z.object({
  tradeId: z.number(),
  ts: z.number(),
  symbol: z.string(),
  price: Decimal,
  quantity: Decimal,
  takerSide: Side,
  makerOrderId: z.string(),
  takerOrderId: z.string(),
});
export type Trade = z.infer<typeof TradeSchema>;

export const DepthSchema = z.object({
  symbol: z.string(),
  bids: z.array(z.tuple([Decimal, Decimal])),
  asks: z.array(z.tuple([Decimal, Decimal])),
  ts: z.number(),
});
/** `GET .../depth`: `[price, quantity]` levels, best first. */
export type Depth = z.infer<typeof DepthSchema>;

export const OrderSchema = z.object({
  orderId: z.string(),
  clientOrderId: z.string(),
  account: z.string(),
  venue: z.string(),
  market: z.enum(['spot', 'perp']),
  symbol: z.string(),
  side: Side,
  type: z.enum(['limit', 'market']),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK']),
  postOnly: z.boolean(),
  reduceOnly: z.boolean(),
  price: Decimal.nullable(),
  quantity: Decimal,
  filledQuantity: Decimal,
  averagePrice: Decimal.nullable(),
  cumulativeQuote: Decimal,
  fee: Decimal,
  feeAsset: z.string(),
  status: z.enum(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED']),
  createdAt: z.number(),
  updatedAt: z.number(),
});
/** An order as the venue reports it (after matching, for a placement). */
export type Order = z.infer<typeof OrderSchema>;

export const FillSchema = z.object({
  tradeId: z.number(),
  ts: z.number(),
  orderId: z.string(),
  clientOrderId: z.string(),
  symbol: z.string(),
  side: Side,
  price: Decimal,
  quantity: Decimal,
  fee: Decimal,
  feeAsset: z.string(),
  liquidity: z.enum(['maker', 'taker']),
});
/** One of the account's own fills (`GET .../my-trades`). */
export type Fill = z.infer<typeof FillSchema>;

export const InstrumentSpecSchema = z.object({
  symbol: z.string(),
  tickSize: Decimal,
  lotSize: Decimal,
  minQty: Decimal,
  maxQty: Decimal,
  minNotional: Decimal,
  maintenanceMarginPpm: z.number().optional(),
  maxLeverage: z.number().optional(),
});

/** A request the simulator refused (`reason` as in docs/simulator.md) or that got no answer (`TRANSPORT`). */
export class BotRequestError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'BotRequestError';
  }
}
