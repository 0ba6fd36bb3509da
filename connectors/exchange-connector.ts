import { z } from 'zod';
import { ClientOrderIdSchema } from '../domain/ids';
import { CanonicalSymbolSchema } from '../domain/symbols';
import {
  DecimalStringSchema,
  OrderSideSchema,
  OrderStatusSchema,
  OrderTypeSchema,
  SignedDecimalStringSchema,
  TimeInForceSchema,
} from '../domain/trading';
import { MarketKindSchema, type MarketKind, type Venue } from '../domain/venues';

/**
 * The one port through which Keel touches an exchange. Activities call it; adapters implement it
 * (`connectors/sim/` for the simulator, `connectors/ccxt/` for real venues). No Temporal here.
 * Prices, quantities and money are decimal strings; symbols are canonical (`BTC-USDT`).
 */

export const InstrumentSchema = z.object({
  symbol: CanonicalSymbolSchema,
  venueSymbol: z.string(),
  base: z.string(),
  quote: z.string(),
  market: MarketKindSchema,
  tickSize: DecimalStringSchema,
  lotSize: DecimalStringSchema,
  minQuantity: DecimalStringSchema,
  maxQuantity: DecimalStringSchema.optional(),
  minNotional: DecimalStringSchema,
  trading: z.boolean(),
});
export type Instrument = z.infer<typeof InstrumentSchema>;

export const BestBidAskSchema = z.object({
  symbol: CanonicalSymbolSchema,
  bid: DecimalStringSchema,
  bidSize: DecimalStringSchema,
  ask: DecimalStringSchema,
  askSize: DecimalStringSchema,
  /** Venue time of the quote, ms since epoch. */
  timestamp: z.number(),
});
export type BestBidAsk = z.infer<typeof BestBidAskSchema>;

/** A trade printed on the venue's public tape. */
export const PublicTradeSchema = z.object({
  symbol: CanonicalSymbolSchema,
  price: DecimalStringSchema,
  quantity: DecimalStringSchema,
  /** The side that took liquidity (the aggressor). */
  takerSide: z.enum(['buy', 'sell']),
  /** Venue time of the trade, ms since epoch. */
  timestamp: z.number(),
});
export type PublicTrade = z.infer<typeof PublicTradeSchema>;

/** One price level of an L2 book: price and the size resting there ('0' in a diff: the level is gone). */
const BookLevelSchema = z.tuple([DecimalStringSchema, DecimalStringSchema]);

/** A symbol's L2 book as of the venue's update id `lastUpdateId`, best levels first. */
export const OrderBookSnapshotSchema = z.object({
  symbol: CanonicalSymbolSchema,
  lastUpdateId: z.number().int().nonnegative(),
  /** Venue time, ms since epoch. */
  timestamp: z.number(),
  bids: z.array(BookLevelSchema),
  asks: z.array(BookLevelSchema),
});
export type OrderBookSnapshot = z.infer<typeof OrderBookSnapshotSchema>;

/**
 * The levels whose size changed, spanning the venue's update ids `firstUpdateId`..`finalUpdateId`
 * (Binance's U..u); `previousFinalUpdateId` (futures' pu) is the previous diff's last id where the venue
 * sends it. The reader keeps the book: it applies diffs on a snapshot and checks that none is missing.
 */
export const OrderBookDiffSchema = z.object({
  symbol: CanonicalSymbolSchema,
  firstUpdateId: z.number().int().nonnegative(),
  finalUpdateId: z.number().int().nonnegative(),
  previousFinalUpdateId: z.number().int().nonnegative().optional(),
  timestamp: z.number(),
  bids: z.array(BookLevelSchema),
  asks: z.array(BookLevelSchema),
});
export type OrderBookDiff = z.infer<typeof OrderBookDiffSchema>;

/**
 * What a depth stream carries: diffs, or, from a venue client that keeps the book itself and checks its
 * sequence (ccxt.pro), the whole book each time.
 */
export type OrderBookUpdate = ({ kind: 'diff' } & OrderBookDiff) | ({ kind: 'snapshot' } & OrderBookSnapshot);

export const CreateOrderSchema = z.object({
  symbol: CanonicalSymbolSchema,
  clientOrderId: ClientOrderIdSchema,
  side: OrderSideSchema,
  type: OrderTypeSchema,
  quantity: DecimalStringSchema,
  price: DecimalStringSchema.optional(),
  timeInForce: TimeInForceSchema.default('GTC'),
  postOnly: z.boolean().default(false),
  reduceOnly: z.boolean().default(false),
});
export type CreateOrder = z.input<typeof CreateOrderSchema>;

/** Every connector's first step on createOrder: a malformed order never reaches a venue. */
export function parseCreateOrder(input: CreateOrder): z.output<typeof CreateOrderSchema> {
  const parsed = CreateOrderSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConnectorError('invalid-order', `bad order: ${issues}`);
}

export const OrderSchema = z.object({
  venueOrderId: z.string(),
  clientOrderId: z.string(),
  symbol: CanonicalSymbolSchema,
  side: OrderSideSchema,
  type: OrderTypeSchema,
  price: DecimalStringSchema.nullable(),
  quantity: DecimalStringSchema,
  filledQuantity: DecimalStringSchema,
  averagePrice: DecimalStringSchema.nullable(),
  fee: DecimalStringSchema,
  feeAsset: z.string(),
  status: OrderStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Order = z.infer<typeof OrderSchema>;

export const BalanceSchema = z.object({
  asset: z.string(),
  free: DecimalStringSchema,
  locked: DecimalStringSchema,
});
export type Balance = z.infer<typeof BalanceSchema>;

export const PositionSchema = z.object({
  symbol: CanonicalSymbolSchema,
  /** Signed: negative for a short. */
  quantity: SignedDecimalStringSchema,
  entryPrice: DecimalStringSchema,
  markPrice: DecimalStringSchema,
  unrealizedPnl: z.string(),
  realizedPnl: z.string(),
  leverage: z.number().positive(),
  liquidationPrice: DecimalStringSchema.nullable(),
});
export type Position = z.infer<typeof PositionSchema>;

export const FundingRateSchema = z.object({
  symbol: CanonicalSymbolSchema,
  rate: z.string(),
  nextFundingTime: z.number(),
});
export type FundingRate = z.infer<typeof FundingRateSchema>;

/** Funding the venue settled on the account's position in one perp: what it paid or received. */
export const FundingPaymentSchema = z.object({
  /** The venue's own id; where it gives none, `${symbol}:${at}` (one payment per symbol and settlement). */
  id: z.string().min(1).max(128),
  symbol: CanonicalSymbolSchema,
  /** Settlement time, ms since epoch. */
  at: z.number(),
  /** Signed from the account's view: positive received, negative paid. */
  amount: SignedDecimalStringSchema,
  /** The asset it was paid in (the perp's settlement asset, e.g. USDT). */
  asset: z.string(),
});
export type FundingPayment = z.infer<typeof FundingPaymentSchema>;

export interface ConnectorCapabilities {
  canTrade: boolean;
  canStream: boolean;
  hasPositions: boolean;
  hasFunding: boolean;
  /**
   * How often the best bid/ask stream re-sends a quote that has not changed (Bybit's level-1 book: every
   * 3 s); absent for a stream that sends only on change, where a quiet symbol is not a dead one.
   */
  quoteRepublishMs?: number;
}

/**
 * The documented error set. `retryable` covers network, timeout, rate limit and venue unavailable;
 * for createOrder it means *outcome unknown*: the order may exist, so look it up before placing again.
 * `no-quote`: the book has no bid or no ask right now, a normal state of a quiet market (retryable too).
 */
export const ConnectorErrorKindSchema = z.enum([
  'retryable',
  'invalid-order',
  'insufficient-funds',
  'unknown-symbol',
  'auth',
  'duplicate-client-order-id',
  'order-not-found',
  'no-quote',
]);
export type ConnectorErrorKind = z.infer<typeof ConnectorErrorKindSchema>;

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly kind: ConnectorErrorKind,
    message: string,
    /** The venue's own code when it gave one (e.g. Binance -2010). */
    readonly venueCode?: string | number,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'no-quote';
  }
}

export interface SendOptions {
  sendBy?: number;
}

export interface ExchangeConnector {
  readonly venue: Venue;
  readonly market: MarketKind;
  /** Orders here spend real money (a real venue), rather than a simulator's or a test front's. */
  readonly live: boolean;
  /**
   * How long after it left a request may still be executed by the venue: its recvWindow plus the clock
   * skew it tolerates (or, where a venue has none, the transport's timeout plus a margin). A lookup that
   * finds nothing proves an order absent only once this has passed since its request could last leave.
   */
  readonly requestExpiryMs: number;
  readonly capabilities: ConnectorCapabilities;
  instruments(): Promise<Instrument[]>;
  bestBidAsk(symbol: string): Promise<BestBidAsk>;
  /** Streams best bid/ask for many symbols until the signal aborts. */
  watchBestBidAsk(
    symbols: string[],
    onQuote: (quote: BestBidAsk) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * `sendBy` (wall clock, ms): the request must not leave after it; the connector drops it unsent
   * (`retryable`) instead. The exactly-once placer sets it from its settle window.
   */
  createOrder(order: CreateOrder, options?: SendOptions): Promise<Order>;
  /**
   * Streams a symbol's public trades until the signal aborts. Absent where the connector has no public
   * trade stream yet: readers of trade flow see none (the signal strategy reports it).
   */
  watchTrades?(symbol: string, onTrade: (trade: PublicTrade) => void, signal: AbortSignal): Promise<void>;
  /**
   * Streams a symbol's L2 book until the signal aborts (resolves) or the stream drops (rejects,
   * 'retryable'). `onLive` is called once subscribed: a snapshot fetched after it lines up with the diffs
   * that follow. Absent where the connector has no depth stream: readers keep to the touch.
   */
  watchOrderBook?(
    symbol: string,
    onUpdate: (update: OrderBookUpdate) => void,
    signal: AbortSignal,
    onLive?: () => void,
  ): Promise<void>;
  /** The top `levels` levels of a symbol's book now: where a reader of diffs starts, and resyncs after a gap. */
  orderBookSnapshot?(symbol: string, levels: number): Promise<OrderBookSnapshot>;
  /** Idempotent: cancelling a closed order returns it as it is. */
  cancelOrder(symbol: string, clientOrderId: string): Promise<Order>;
  /** Undefined when the venue has no order with this id. */
  fetchOrderByClientId(symbol: string, clientOrderId: string): Promise<Order | undefined>;
  openOrders(symbol?: string): Promise<Order[]>;
  /**
   * The account's private order stream on this market, every symbol: calls `onOrder` with each order's
   * state as it changes, until the signal aborts (resolves) or the stream drops (rejects, 'retryable').
   * `onLive` is called once the stream is subscribed: changes before that may have been missed, so a
   * caller settles what it watches with REST then. Absent where the venue or transport has no such
   * stream; callers then poll.
   */
  watchOrders?(onOrder: (order: Order) => void, signal: AbortSignal, onLive?: () => void): Promise<void>;
  balances(): Promise<Balance[]>;
  positions(): Promise<Position[]>;
  fundingRate(symbol: string): Promise<FundingRate>;
  /**
   * The funding settled on this account's perp positions at or after `since` (ms), oldest first; perp
   * markets only (spot: 'invalid-order', as `fundingRate`). Where the venue caps what one read returns, the
   * oldest it reached come first, so a caller that moves `since` up to the last payment it got reads on.
   */
  fundingPayments(since: number): Promise<FundingPayment[]>;
  setLeverage(symbol: string, leverage: number): Promise<void>;
  close(): Promise<void>;
}

/** Builds (or returns a cached) connector for one account on one venue market. */
export type ConnectorFactory = (venue: Venue, market: MarketKind, account: string) => ExchangeConnector;
