import { z } from 'zod';
import { add } from '../../domain/decimal';
import type { OrderStatus } from '../../domain/trading';
import type { MarketKind } from '../../domain/venues';
import { SIM_ERRORS } from '../../sim/errors';
import type { SimErrorReason } from '../../sim/errors';
import {
  BalanceSchema,
  BestBidAskSchema,
  ConnectorError,
  FundingPaymentSchema,
  FundingRateSchema,
  InstrumentSchema,
  OrderBookDiffSchema,
  OrderBookSnapshotSchema,
  OrderSchema,
  PositionSchema,
  PublicTradeSchema,
} from '../exchange-connector';
import type {
  Balance,
  BestBidAsk,
  ConnectorErrorKind,
  FundingPayment,
  FundingRate,
  Instrument,
  Order,
  OrderBookDiff,
  OrderBookSnapshot,
  Position,
  PublicTrade,
} from '../exchange-connector';

/**
 * Translation between the simulator's wire shapes (shared by the in-process client and the HTTP API)
 * and the port's types. Everything the simulator returns is validated here, at the boundary.
 */

const KIND_BY_REASON: Record<SimErrorReason, ConnectorErrorKind> = {
  MALFORMED_REQUEST: 'invalid-order',
  INVALID_NUMBER: 'invalid-order',
  UNKNOWN_VENUE: 'invalid-order',
  UNKNOWN_SYMBOL: 'unknown-symbol',
  PRICE_OFF_TICK: 'invalid-order',
  QTY_OFF_STEP: 'invalid-order',
  QTY_BELOW_MIN: 'invalid-order',
  QTY_ABOVE_MAX: 'invalid-order',
  NOTIONAL_BELOW_MIN: 'invalid-order',
  PRICE_REQUIRED: 'invalid-order',
  POST_ONLY_WOULD_CROSS: 'invalid-order',
  INSUFFICIENT_BALANCE: 'insufficient-funds',
  INSUFFICIENT_MARGIN: 'insufficient-funds',
  REDUCE_ONLY_REJECTED: 'invalid-order',
  DUPLICATE_CLIENT_ORDER_ID: 'duplicate-client-order-id',
  UNKNOWN_ORDER: 'order-not-found',
  // Only reachable from a cancel, which turns it into "return the order as it is".
  ORDER_NOT_OPEN: 'invalid-order',
  RATE_LIMITED: 'retryable',
  SERVER_ERROR: 'retryable',
  NETWORK_TIMEOUT: 'retryable',
  // Refused before it executed (older than its recvWindow): nothing was placed, a fresh attempt may pass.
  REQUEST_EXPIRED: 'retryable',
};

export const SimErrorBodySchema = z.object({
  code: z.number(),
  reason: z.enum(Object.keys(SIM_ERRORS) as [SimErrorReason, ...SimErrorReason[]]),
  msg: z.string(),
});

export function connectorErrorFromSim(reason: SimErrorReason, msg: string, code: number): ConnectorError {
  return new ConnectorError(KIND_BY_REASON[reason], `${reason}: ${msg}`, code);
}

const STATUS: Record<string, OrderStatus> = {
  NEW: 'open',
  PARTIALLY_FILLED: 'partially-filled',
  FILLED: 'filled',
  CANCELED: 'canceled',
  EXPIRED: 'expired',
};

const SimOrderSchema = z.object({
  orderId: z.string(),
  clientOrderId: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['limit', 'market']),
  price: z.string().nullable(),
  quantity: z.string(),
  filledQuantity: z.string(),
  averagePrice: z.string().nullable(),
  fee: z.string(),
  feeAsset: z.string(),
  status: z.enum(['NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED']),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export function orderFromSim(raw: unknown): Order {
  const o = SimOrderSchema.parse(raw);
  return OrderSchema.parse({
    venueOrderId: o.orderId,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    price: o.price,
    quantity: o.quantity,
    filledQuantity: o.filledQuantity,
    averagePrice: o.averagePrice,
    fee: o.fee,
    feeAsset: o.feeAsset,
    status: STATUS[o.status],
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  });
}

const SimInstrumentSchema = z.object({
  symbol: z.string(),
  base: z.string(),
  quote: z.string(),
  tickSize: z.string(),
  lotSize: z.string(),
  minQty: z.string(),
  maxQty: z.string(),
  minNotional: z.string(),
});

export function instrumentFromSim(raw: unknown, market: MarketKind): Instrument {
  const i = SimInstrumentSchema.parse(raw);
  return InstrumentSchema.parse({
    symbol: i.symbol,
    venueSymbol: i.symbol,
    base: i.base,
    quote: i.quote,
    market,
    tickSize: i.tickSize,
    lotSize: i.lotSize,
    minQuantity: i.minQty,
    maxQuantity: i.maxQty,
    minNotional: i.minNotional,
    trading: true,
  });
}

const SimTopSchema = z.object({
  symbol: z.string(),
  bidPrice: z.string().nullable(),
  bidQty: z.string().nullable(),
  askPrice: z.string().nullable(),
  askQty: z.string().nullable(),
  ts: z.number(),
});

/** Undefined while either side of the book is empty (there is no quote to give). */
export function quoteFromSim(raw: unknown): BestBidAsk | undefined {
  const t = SimTopSchema.parse(raw);
  if (t.bidPrice === null || t.askPrice === null || t.bidQty === null || t.askQty === null) return undefined;
  return BestBidAskSchema.parse({
    symbol: t.symbol,
    bid: t.bidPrice,
    bidSize: t.bidQty,
    ask: t.askPrice,
    askSize: t.askQty,
    timestamp: t.ts,
  });
}

const SimTradeSchema = z.object({
  symbol: z.string(),
  price: z.string(),
  quantity: z.string(),
  takerSide: z.enum(['buy', 'sell']),
  ts: z.number(),
});

/** The simulator's depth shapes are the port's, but for the venue time's name (`ts`). */
const SimStampedSchema = z.looseObject({ ts: z.number() });

export function orderBookSnapshotFromSim(raw: unknown): OrderBookSnapshot {
  const { ts, ...book } = SimStampedSchema.parse(raw);
  return OrderBookSnapshotSchema.parse({ ...book, timestamp: ts });
}

export function orderBookDiffFromSim(raw: unknown): OrderBookDiff {
  const { ts, ...diff } = SimStampedSchema.parse(raw);
  return OrderBookDiffSchema.parse({ ...diff, timestamp: ts });
}

export function tradeFromSim(raw: unknown): PublicTrade {
  const t = SimTradeSchema.parse(raw);
  return PublicTradeSchema.parse({
    symbol: t.symbol,
    price: t.price,
    quantity: t.quantity,
    takerSide: t.takerSide,
    timestamp: t.ts,
  });
}

const SimBalanceSchema = z.object({ asset: z.string(), locked: z.string(), available: z.string() });

export function spotBalancesFromSim(raw: unknown): Balance[] {
  return z
    .array(SimBalanceSchema)
    .parse(raw)
    .map((b) => BalanceSchema.parse({ asset: b.asset, free: b.available, locked: b.locked }));
}

const SimPositionSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short', 'flat']),
  quantity: z.string(),
  entryPrice: z.string().nullable(),
  markPrice: z.string(),
  unrealizedPnl: z.string(),
  realizedPnl: z.string(),
  leverage: z.number(),
  initialMargin: z.string(),
});

const SimPerpAccountSchema = z.object({
  asset: z.string(),
  orderMargin: z.string(),
  availableMargin: z.string(),
  positions: z.array(SimPositionSchema),
});

/**
 * The perp margin wallet as one balance, as ccxt gives a derivatives balance: free is the available margin
 * (never below zero), locked the margin in use (open orders' and positions' initial margin).
 */
export function perpBalancesFromSim(raw: unknown): Balance[] {
  const a = SimPerpAccountSchema.parse(raw);
  const free = a.availableMargin.startsWith('-') ? '0' : a.availableMargin;
  const locked = a.positions.reduce((sum, position) => add(sum, position.initialMargin), a.orderMargin);
  return [BalanceSchema.parse({ asset: a.asset, free, locked })];
}

/** The perp margin wallet's asset. */
export function perpWalletFromSim(raw: unknown): { asset: string } {
  return { asset: SimPerpAccountSchema.parse(raw).asset };
}

export function positionsFromSim(raw: unknown): Position[] {
  return SimPerpAccountSchema.parse(raw)
    .positions.filter((p) => p.side !== 'flat')
    .map((p) =>
      PositionSchema.parse({
        symbol: p.symbol,
        quantity: p.side === 'short' ? `-${p.quantity}` : p.quantity,
        entryPrice: p.entryPrice ?? '0',
        markPrice: p.markPrice,
        unrealizedPnl: p.unrealizedPnl,
        realizedPnl: p.realizedPnl,
        leverage: p.leverage,
        liquidationPrice: null,
      }),
    );
}

const SimFundingSchema = z.object({ symbol: z.string(), rate: z.string(), nextFundingTime: z.number() });

export function fundingFromSim(raw: unknown): FundingRate {
  const f = SimFundingSchema.parse(raw);
  return FundingRateSchema.parse({ symbol: f.symbol, rate: f.rate, nextFundingTime: f.nextFundingTime });
}

const SimFundingPaymentSchema = z.object({
  ts: z.number(),
  symbol: z.string(),
  rate: z.string(),
  amount: z.string(),
});

/**
 * The account's funding history as the simulator keeps it (every settlement, signed from the account's
 * view as its perp ledger books it: negative paid), those at or after `since`, oldest first. The simulator
 * gives no id: a payment is named by its symbol and settlement time, one per symbol and settlement.
 * `asset`: the margin wallet's, which funding is paid into.
 */
export function fundingPaymentsFromSim(raw: unknown, since: number, asset: string): FundingPayment[] {
  return z
    .array(SimFundingPaymentSchema)
    .parse(raw)
    .filter((p) => p.ts >= since)
    .sort((a, b) => a.ts - b.ts)
    .map((p) =>
      FundingPaymentSchema.parse({
        id: `${p.symbol}:${p.ts}`,
        symbol: p.symbol,
        at: p.ts,
        amount: p.amount,
        asset,
      }),
    );
}

export function notOnSpot(what: string): ConnectorError {
  return new ConnectorError('invalid-order', `${what} is available on perp markets only`);
}
