import type { FillView, OrderView } from '../../orders';
import type { FrontContext } from './context';
import { futuresOrder, futuresUserTrade, numericOrderId, spotMyTrade, spotOrder } from './format';
import { clampLimit, HistoryParamsSchema, parseParams, selectWindow } from './params';

/** More than the simulator keeps per account (10 000 fills): the whole history. */
const ALL = Number.MAX_SAFE_INTEGER;

/**
 * The SIGNED history route for `key` — the account's fills (`GET myTrades`, `GET v1/userTrades`) or all
 * its orders (`GET allOrders`, `GET v1/allOrders`) — as a thunk reading the simulator; undefined if not
 * one. Paging as on Binance: `startTime`/`endTime`, `fromId` (fills) or `orderId` (orders: that id and
 * newer; fills: that order's), `limit` (500, at most 1000).
 */
export function accountHistoryRoute(
  ctx: FrontContext,
  key: string,
  params: URLSearchParams,
  account: () => string,
): (() => unknown) | undefined {
  const { market, futures } = ctx;
  switch (key) {
    case 'GET myTrades':
    case 'GET v1/userTrades': {
      const acct = account();
      const p = parseParams(HistoryParamsSchema, params);
      const symbol = ctx.symbolOf(p.symbol);
      const orderId = p.orderId;
      const w = {
        startTime: p.startTime,
        endTime: p.endTime,
        fromId: p.fromId,
        limit: clampLimit(p.limit, 500, 1000),
      };
      const marginAsset = market.instrument(symbol).quote;
      return () => {
        const fills = market
          .accountFills(acct, symbol, ALL)
          .filter((f) => orderId === undefined || numericOrderId(f.orderId) === orderId);
        return selectWindow<FillView>(
          fills,
          w,
          (f) => f.tradeId,
          (f) => f.ts,
        ).map((f) => (futures ? futuresUserTrade(f, marginAsset) : spotMyTrade(f)));
      };
    }
    case 'GET allOrders':
    case 'GET v1/allOrders': {
      const acct = account();
      const p = parseParams(HistoryParamsSchema, params);
      const symbol = ctx.symbolOf(p.symbol);
      const w = {
        startTime: p.startTime,
        endTime: p.endTime,
        fromId: p.orderId,
        limit: clampLimit(p.limit, 500, 1000),
      };
      return () =>
        selectWindow<OrderView>(
          market.accountOrders(acct, symbol),
          w,
          (o) => numericOrderId(o.orderId),
          (o) => o.createdAt,
        ).map((o) => (futures ? futuresOrder(o) : spotOrder(o)));
    }
  }
  return undefined;
}
