import { Context } from '@temporalio/activity';
import {
  ConnectorError,
  type CreateOrder,
  type ExchangeConnector,
  type Order,
  type ConnectorFactory,
} from '../connectors/exchange-connector';
import { asFailure, type Where } from './market-snapshot';

/**
 * Order activities from before every order went through the exactly-once ledger (`placeOrdersOnce`,
 * `cancelOrdersOnce`, `reconcileOrders`). Kept registered only so that runs which started before that
 * change can replay and finish: quote runs (`patched('quote-orders-on-ledger')`) and grid runs, whose pause
 * swept with `cancelOpenOrders` (`patched('grid-reconcile-replace-from-watch')`), stay on them until they
 * continue-as-new. Remove with `deprecatePatch` once no such run remains.
 */
export interface PlacedOrder {
  clientOrderId: string;
  /** Accepted and still resting. */
  open: boolean;
  status: Order['status'] | 'rejected';
  venueOrderId?: string;
  rejection?: string;
}

const OPEN_STATUSES = new Set<Order['status']>(['open', 'partially-filled']);

export function createLegacyOrderActivities(connectors: ConnectorFactory) {
  const connector = (where: Where): ExchangeConnector => connectors(where.venue, where.market, where.account);
  return {
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
