import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ConnectorError,
  type CreateOrder,
  type ExchangeConnector,
  type MarketKind,
  type Order,
  type Venue,
} from '../connectors/exchange-connector';

/** Builds (or returns a cached) connector for one account on one venue market. */
export type ConnectorFactory = (venue: Venue, market: MarketKind, account: string) => ExchangeConnector;

export interface OrderActivityDependencies {
  connectors?: ConnectorFactory;
}

interface Where {
  venue: Venue;
  market: MarketKind;
  account: string;
}

export interface MarketSnapshot {
  bid?: string;
  ask?: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  minNotional: string;
}

export interface PlacedOrder {
  clientOrderId: string;
  /** Accepted and still resting. */
  open: boolean;
  status: Order['status'] | 'rejected';
  venueOrderId?: string;
  /** Why the venue refused it (OrderRejected). */
  rejection?: string;
}

const OPEN_STATUSES = new Set<Order['status']>(['open', 'partially-filled']);

/** Venue refusals are business outcomes (non-retryable); `retryable` errors go back to Temporal's retry policy. */
function asFailure(error: unknown): Error {
  if (error instanceof ConnectorError && !error.retryable)
    return ApplicationFailure.nonRetryable(error.message, `Connector:${error.kind}`);
  return error instanceof Error ? error : new Error(String(error));
}

export function createOrderActivities(deps: OrderActivityDependencies) {
  const instruments = new Map<string, Promise<Awaited<ReturnType<ExchangeConnector['instruments']>>>>();
  const connector = (where: Where): ExchangeConnector => {
    if (!deps.connectors)
      throw ApplicationFailure.nonRetryable(
        'this worker has no exchange connectors configured',
        'NoConnectors',
      );
    return deps.connectors(where.venue, where.market, where.account);
  };

  return {
    /** Best bid/ask (absent when the book is empty) and the instrument's filters. */
    async marketSnapshot(input: Where & { symbol: string }): Promise<MarketSnapshot> {
      const exchange = connector(input);
      const key = `${input.venue}/${input.market}`;
      let list = instruments.get(key);
      if (!list) {
        list = exchange.instruments();
        instruments.set(key, list);
        list.catch(() => instruments.delete(key));
      }
      const instrument = (await list.catch((error: unknown) => Promise.reject(asFailure(error)))).find(
        (candidate) => candidate.symbol === input.symbol,
      );
      if (!instrument)
        throw ApplicationFailure.nonRetryable(
          `${input.symbol} is not listed on ${key}`,
          'Connector:unknown-symbol',
        );
      const snapshot: MarketSnapshot = {
        tickSize: instrument.tickSize,
        lotSize: instrument.lotSize,
        minQuantity: instrument.minQuantity,
        minNotional: instrument.minNotional,
      };
      try {
        const quote = await exchange.bestBidAsk(input.symbol);
        if (Number(quote.bid) > 0) snapshot.bid = quote.bid;
        if (Number(quote.ask) > 0) snapshot.ask = quote.ask;
      } catch (error) {
        // An empty or one-sided book is a normal state for a quiet market: the strategy quotes around its
        // reference price instead. The port reports it as a retryable error, recognised by its message.
        if (!(error instanceof ConnectorError && /book is empty/.test(error.message))) throw asFailure(error);
      }
      return snapshot;
    },

    /**
     * Places limit orders with workflow-derived client order ids. Idempotent under retries: an id the
     * venue already holds is looked up instead of placed again.
     */
    async placeOrders(
      input: Where & {
        symbol: string;
        orders: Array<{ clientOrderId: string; side: 'buy' | 'sell'; price: string; quantity: string }>;
      },
    ): Promise<PlacedOrder[]> {
      const exchange = connector(input);
      const retried = Context.current().info.attempt > 1;
      const results: PlacedOrder[] = [];
      for (const order of input.orders) {
        const placed = (found: Order): PlacedOrder => ({
          clientOrderId: order.clientOrderId,
          open: OPEN_STATUSES.has(found.status),
          status: found.status,
          venueOrderId: found.venueOrderId,
        });
        if (retried) {
          const existing = await exchange.fetchOrderByClientId(input.symbol, order.clientOrderId);
          if (existing) {
            results.push(placed(existing));
            continue;
          }
        }
        const request: CreateOrder = {
          symbol: input.symbol,
          clientOrderId: order.clientOrderId,
          side: order.side,
          type: 'limit',
          quantity: order.quantity,
          price: order.price,
          timeInForce: 'GTC',
          postOnly: true,
        };
        try {
          results.push(placed(await exchange.createOrder(request)));
        } catch (error) {
          if (!(error instanceof ConnectorError) || error.retryable) throw error;
          if (error.kind === 'duplicate-client-order-id') {
            const existing = await exchange.fetchOrderByClientId(input.symbol, order.clientOrderId);
            if (existing) {
              results.push(placed(existing));
              continue;
            }
          }
          results.push({
            clientOrderId: order.clientOrderId,
            open: false,
            status: 'rejected',
            rejection: `${error.kind}: ${error.message}`,
          });
        }
      }
      return results;
    },

    /** Cancels by client order id; an order already closed or unknown counts as cancelled. */
    async cancelOrders(input: Where & { symbol: string; clientOrderIds: string[] }): Promise<number> {
      const exchange = connector(input);
      let cancelled = 0;
      for (const clientOrderId of input.clientOrderIds) {
        try {
          await exchange.cancelOrder(input.symbol, clientOrderId);
          cancelled += 1;
        } catch (error) {
          if (error instanceof ConnectorError && error.kind === 'order-not-found') continue;
          throw asFailure(error);
        }
      }
      return cancelled;
    },

    /** Cancels every open order of `symbol` whose client order id starts with the prefix. */
    async cancelOpenOrders(input: Where & { symbol: string; clientOrderIdPrefix: string }): Promise<number> {
      const exchange = connector(input);
      const open = await exchange
        .openOrders(input.symbol)
        .catch((error: unknown) => Promise.reject(asFailure(error)));
      let cancelled = 0;
      for (const order of open) {
        if (!order.clientOrderId.startsWith(input.clientOrderIdPrefix)) continue;
        try {
          await exchange.cancelOrder(input.symbol, order.clientOrderId);
          cancelled += 1;
        } catch (error) {
          if (error instanceof ConnectorError && error.kind === 'order-not-found') continue;
          throw asFailure(error);
        }
      }
      return cancelled;
    },
  };
}
