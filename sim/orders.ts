import type { OrderType, Side, TimeInForce } from '../domain/trading';
import type { AccountId, ClientOrderId, MarketKind, SymbolId, VenueName, VenueOrderId } from './ids';
import { formatAtoms } from './instruments';
import type { Instrument } from './instruments';

export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';

/** What a client asks for; numbers are decimal strings, validated by the venue market. */
export interface PlaceOrderRequest {
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: string;
  price?: string | undefined;
  timeInForce?: TimeInForce | undefined;
  postOnly?: boolean | undefined;
  /** Perpetuals only. */
  reduceOnly?: boolean | undefined;
  clientOrderId?: string | undefined;
}

/** The venue's record of an order, in engine units. */
export interface VenueOrder {
  seq: number;
  orderId: VenueOrderId;
  clientOrderId: ClientOrderId;
  account: AccountId;
  venue: VenueName;
  market: MarketKind;
  inst: Instrument;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  priceTicks: number | undefined;
  lots: number;
  filledLots: number;
  cumQuoteAtoms: bigint;
  feeAtoms: bigint;
  feeAsset: string;
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  /** Funds held for this order: spot lock (quote for buys, base for sells) or perp initial margin. */
  reservedAtoms: bigint;
}

export const isOpen = (o: VenueOrder): boolean => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

export interface OrderView {
  orderId: VenueOrderId;
  clientOrderId: ClientOrderId;
  account: AccountId;
  venue: VenueName;
  market: MarketKind;
  symbol: SymbolId;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  price: string | null;
  quantity: string;
  filledQuantity: string;
  /** Average fill price, null before the first fill. */
  averagePrice: string | null;
  cumulativeQuote: string;
  fee: string;
  feeAsset: string;
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
}

export function orderView(o: VenueOrder): OrderView {
  return {
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    account: o.account,
    venue: o.venue,
    market: o.market,
    symbol: o.inst.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    reduceOnly: o.reduceOnly,
    price: o.priceTicks === undefined ? null : o.inst.formatPrice(o.priceTicks),
    quantity: o.inst.formatQty(o.lots),
    filledQuantity: o.inst.formatQty(o.filledLots),
    averagePrice:
      o.filledLots === 0
        ? null
        : formatAtoms((o.cumQuoteAtoms * 100_000_000n) / o.inst.baseAtoms(o.filledLots)),
    cumulativeQuote: formatAtoms(o.cumQuoteAtoms),
    fee: formatAtoms(o.feeAtoms),
    feeAsset: o.feeAsset,
    status: o.status,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/** One execution on the public tape (orders by id: a bot's closed order is not kept). */
export interface TradeRecord {
  tradeId: number;
  ts: number;
  inst: Instrument;
  priceTicks: number;
  lots: number;
  takerSide: Side;
  makerOrderId: VenueOrderId;
  takerOrderId: VenueOrderId;
}

export interface TradeView {
  tradeId: number;
  ts: number;
  symbol: SymbolId;
  price: string;
  quantity: string;
  takerSide: Side;
  makerOrderId: VenueOrderId;
  takerOrderId: VenueOrderId;
}

export function tradeView(t: TradeRecord): TradeView {
  return {
    tradeId: t.tradeId,
    ts: t.ts,
    symbol: t.inst.symbol,
    price: t.inst.formatPrice(t.priceTicks),
    quantity: t.inst.formatQty(t.lots),
    takerSide: t.takerSide,
    makerOrderId: t.makerOrderId,
    takerOrderId: t.takerOrderId,
  };
}

/** One execution from one account's point of view ("my trades"). */
export interface FillView {
  tradeId: number;
  ts: number;
  orderId: VenueOrderId;
  clientOrderId: ClientOrderId;
  symbol: SymbolId;
  side: Side;
  price: string;
  quantity: string;
  fee: string;
  feeAsset: string;
  liquidity: 'maker' | 'taker';
}
