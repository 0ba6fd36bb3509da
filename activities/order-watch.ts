import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { compare, midpoint } from '../connectors/decimal';
import type { ExchangeConnector, MarketKind, Order, Venue } from '../connectors/exchange-connector';
import { recordVenueOrder } from '../db/order-ledger';

export interface WatchedOrder {
  clientOrderId: string;
  /** Cumulative filled quantity the workflow already knows about. */
  filledQuantity: string;
}

export interface OrderChange {
  clientOrderId: string;
  status: Order['status'];
  filledQuantity: string;
  averagePrice: string | null;
}

export interface WatchInput {
  venue: Venue;
  market: MarketKind;
  account: string;
  symbol: string;
  orders: WatchedOrder[];
  /** Return as soon as the mid price leaves [low, high]. */
  priceBand?: { low: string; high: string };
  /** Return after this long even when nothing happened, so the workflow can check in (continue-as-new). */
  maxWaitMs: number;
  pollMs: number;
}

export interface WatchResult {
  reason: 'orders' | 'price' | 'timeout';
  changes: OrderChange[];
  mid?: string;
}

/**
 * Which watched orders the venue's open-order list says have changed: gone from the list (filled,
 * cancelled, expired) or filled further. Only these need a lookup. Pure.
 */
export function ordersToLookUp(watched: WatchedOrder[], open: Order[]): string[] {
  const openById = new Map(open.map((order) => [order.clientOrderId, order]));
  return watched.flatMap(({ clientOrderId, filledQuantity }) => {
    const current = openById.get(clientOrderId);
    if (!current) return [clientOrderId];
    return compare(current.filledQuantity, filledQuantity) > 0 ? [clientOrderId] : [];
  });
}

/** The exact mid price, or undefined when a side of the book is empty. */
export function midPrice(bid: string, ask: string): string | undefined {
  if (compare(bid, '0') <= 0 || compare(ask, '0') <= 0) return undefined;
  return midpoint(bid, ask);
}

/** True when `mid` is outside [low, high]. */
export function outsideBand(mid: string, band: { low: string; high: string }): boolean {
  return compare(mid, band.low) < 0 || compare(mid, band.high) > 0;
}

export function createOrderWatchActivities(deps: {
  pool: Pool;
  connectors: (venue: Venue, market: MarketKind, account: string) => ExchangeConnector;
}) {
  return {
    /**
     * Long-running and heartbeating: polls the venue quietly and returns only when something the
     * strategy must act on has happened, so the workflow's history grows with events, not with ticks.
     * Every change it reports is first written to the ledger.
     */
    async watchOrders(input: WatchInput): Promise<WatchResult> {
      const context = Context.current();
      const exchange = deps.connectors(input.venue, input.market, input.account);
      const deadline = Date.now() + input.maxWaitMs;
      for (;;) {
        context.heartbeat();
        if (input.orders.length > 0) {
          const open = await exchange.openOrders(input.symbol);
          const changes: OrderChange[] = [];
          for (const clientOrderId of ordersToLookUp(input.orders, open)) {
            const order = await exchange.fetchOrderByClientId(input.symbol, clientOrderId);
            if (!order) continue;
            await recordVenueOrder(deps.pool, order);
            changes.push({
              clientOrderId,
              status: order.status,
              filledQuantity: order.filledQuantity,
              averagePrice: order.averagePrice,
            });
          }
          if (changes.length > 0) return { reason: 'orders', changes };
        }
        if (input.priceBand) {
          const quote = await exchange.bestBidAsk(input.symbol).catch(() => undefined);
          const mid = quote && midPrice(quote.bid, quote.ask);
          if (mid && outsideBand(mid, input.priceBand)) {
            return { reason: 'price', changes: [], mid };
          }
        }
        if (Date.now() >= deadline) return { reason: 'timeout', changes: [] };
        await context.sleep(input.pollMs);
      }
    },
  };
}
