import type { LedgerEvent } from '../../db/ledger-events';
import type { LedgerFill, LedgerOrder } from '../../db/order-ledger';
import type { TradedBook } from '../../db/risk-observations';
import { normalize } from '../../domain/decimal';
import type { Candle } from './candles';
import type { Touch } from './market-watch';

/*
 * The live feed's messages, seed 002's shape: `{ type, data }`. `history` on connect, then `orders` on each
 * change of an order, `trade_event` on each fill and `position` after it; for each symbol followed by name,
 * `kline` (its candles so far, then the candle each change moved) and `book` (its touch); and state read
 * every few seconds, sent when it changes: `symbol` (status), `risk`, `account`, `tracking`. Pure: built once per event and
 * sent to every connection whose filter takes the symbol.
 */

export interface OrderView {
  id: string;
  venueOrderId: string | null;
  symbol: string;
  venue: string;
  market: string;
  account: string;
  strategy: string;
  side: string;
  type: string;
  price: string | null;
  quantity: string;
  status: string;
  filledQuantity: string;
  averagePrice: string | null;
}

export interface TradeView {
  id: string;
  symbol: string;
  strategy: string;
  side: string;
  price: string;
  amount: string;
  /** Seconds since the epoch, as seed 002's. */
  time: number;
}

export interface PositionView {
  symbol: string;
  venue: string;
  market: string;
  account: string;
  amount: string;
  lastPrice: string | null;
}

export type LiveMessage =
  | { type: 'history'; data: { orders: OrderView[]; trades: TradeView[] } }
  | { type: 'orders'; data: OrderView }
  | { type: 'trade_event'; data: TradeView }
  | { type: 'position'; data: PositionView }
  | { type: 'kline'; data: { symbol: string; interval: number; candles: Candle[] } }
  | { type: 'book'; data: { symbol: string } & Touch }
  | { type: 'symbol'; data: { symbol: string; status: string; problems: string[] } }
  | { type: 'risk'; data: { states: RiskStateView[] } }
  | { type: 'account'; data: AccountView }
  | { type: 'tracking'; data: TrackingView };

/** A trading state other than ACTIVE in force (domain/risk.ts), with who set it and why. */
export interface RiskStateView {
  scope: string;
  key: string;
  source: string;
  state: string;
  reason: string;
}

/** An account as its latest reconciliation read it from the venue: balances per market, perp positions. */
export interface AccountView {
  venue: string;
  account: string;
  /** ISO 8601. */
  takenAt: string;
  balances: Record<string, Array<{ asset: string; free: string; locked: string }>>;
  positions: Array<{ symbol: string; quantity: string; markPrice: string }>;
}

/** A spread the scanner tracks (or tracked): opened, and once it ends, its outcome. */
export interface TrackingView {
  id: string;
  symbol: string;
  direction: string;
  openedAt: string;
  entryBps: number;
  exitBps: number;
  closedAt: string | null;
  outcome: string | null;
}

export const orderView = (order: LedgerOrder): OrderView => ({
  id: order.client_order_id,
  venueOrderId: order.venue_order_id,
  symbol: order.symbol,
  venue: order.venue,
  market: order.market,
  account: order.account,
  strategy: order.strategy,
  side: order.side,
  type: order.order_type,
  price: order.price,
  quantity: order.quantity,
  status: order.status,
  filledQuantity: order.filled_quantity,
  averagePrice: order.average_price,
});

export const historyMessage = (orders: LedgerOrder[], fills: LedgerFill[]): LiveMessage => ({
  type: 'history',
  data: {
    orders: orders.map(orderView),
    trades: fills.map((fill) => ({
      id: fill.client_order_id,
      symbol: fill.symbol,
      strategy: fill.strategy,
      side: fill.side,
      price: normalize(fill.price),
      amount: normalize(fill.quantity),
      time: Math.floor(fill.recorded_at.getTime() / 1000),
    })),
  },
});

/** What one ledger event tells the feed; `now` (ms) stamps a fill. */
export function messagesOf(event: LedgerEvent, now: number): LiveMessage[] {
  const messages: LiveMessage[] = [{ type: 'orders', data: orderView(event.order) }];
  if (event.kind === 'reported' && event.fill)
    messages.push({
      type: 'trade_event',
      data: {
        id: event.order.client_order_id,
        symbol: event.order.symbol,
        strategy: event.order.strategy,
        side: event.order.side,
        price: normalize(event.fill.price),
        amount: normalize(event.fill.quantity),
        time: Math.floor(now / 1000),
      },
    });
  return messages;
}

export const positionMessage = (position: TradedBook): LiveMessage => ({
  type: 'position',
  data: {
    symbol: position.symbol,
    venue: position.venue,
    market: position.market,
    account: position.account,
    amount: normalize(position.quantity),
    lastPrice: position.lastPrice === null ? null : normalize(position.lastPrice),
  },
});

/** Candles of a symbol's mid: every one kept on connect, then the one a change moved. `interval` in seconds. */
export const klineMessage = (symbol: string, interval: number, candles: Candle[]): LiveMessage => ({
  type: 'kline',
  data: { symbol, interval, candles },
});

export const bookMessage = (symbol: string, touch: Touch): LiveMessage => ({
  type: 'book',
  data: {
    symbol,
    bid: normalize(touch.bid),
    ask: normalize(touch.ask),
    bidSize: normalize(touch.bidSize),
    askSize: normalize(touch.askSize),
  },
});
