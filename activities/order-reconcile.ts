import { Context } from '@temporalio/activity';
import { activeOrdersByPrefix, adoptVenueOrder, markAbandoned, recordVenueOrder } from '../db/order-ledger';
import type { MarketKind, Venue } from '../domain/venues';
import { lookUpChange, ordersToLookUp, type OrderChange, type WatchedOrder } from './order-watch';
import { cancelRecorded, sinceSentMs, type ExactlyOnceOrderDependencies } from './place-order-once';

export interface ReconcileInput {
  venue: Venue;
  market: MarketKind;
  account: string;
  symbol: string;
  strategy: string;
  /** Every order of the strategy carries it; anything of ours on the venue or in the ledger is found by it. */
  clientOrderIdPrefix: string;
  /** The orders the strategy's plan holds, with the fills it already knows. */
  tracked: WatchedOrder[];
}

export interface ReconcileResult {
  /** Tracked orders that filled or closed while nobody watched: feed them to the plan before acting. */
  changes: OrderChange[];
  /** Orders of ours the plan does not hold that were still live on the venue: cancelled and recorded. */
  strays: string[];
  /** Ledger rows left in intent/sending/unknown by earlier runs, proven never placed: now `abandoned`. */
  abandoned: string[];
  /** Ledger rows whose outcome cannot be proven yet (a request may still be in flight). */
  unsettled: string[];
  /**
   * Orders the plan holds, or ledger rows last seen live, that the venue no longer knows: left as they
   * are, for an operator (the strategy shows them as a problem).
   */
  missing: string[];
}

/**
 * Brings the ledger and the strategy's view into line with the venue before the strategy acts (on start,
 * resume, new parameters and after continue-as-new). Idempotent: a retry redoes the same lookups and finds
 * nothing more to cancel. A stray is cancelled rather than adopted, because the plan cannot place it.
 */
export function createOrderReconcileActivities(deps: ExactlyOnceOrderDependencies) {
  return {
    async reconcileOrders(input: ReconcileInput): Promise<ReconcileResult> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'none';
      const owner = { ...input, workflowId };
      const exchange = deps.connectors(input.venue, input.market, input.account);
      const ours = (id: string) => id.startsWith(input.clientOrderIdPrefix);
      const open = (await exchange.openOrders(input.symbol)).filter((order) => ours(order.clientOrderId));
      const tracked = new Set(input.tracked.map((order) => order.clientOrderId));
      const result: ReconcileResult = {
        changes: [],
        strays: [],
        abandoned: [],
        unsettled: [],
        missing: [],
      };

      for (const clientOrderId of ordersToLookUp(input.tracked, open)) {
        const change = await lookUpChange(deps.pool, exchange, input.symbol, clientOrderId);
        // The plan holds it and the venue does not know it: an operator must see that.
        if (change) result.changes.push(change);
        else result.missing.push(clientOrderId);
      }

      const cancelStray = async (clientOrderId: string) => {
        // Gone before the cancel arrived: record how it ended instead.
        if (!(await cancelRecorded(deps.pool, exchange, input.symbol, clientOrderId)))
          await lookUpChange(deps.pool, exchange, input.symbol, clientOrderId);
        result.strays.push(clientOrderId);
      };

      for (const order of open) {
        if (tracked.has(order.clientOrderId)) continue;
        await adoptVenueOrder(deps.pool, order, owner);
        await cancelStray(order.clientOrderId);
      }

      const seen = new Set(open.map((order) => order.clientOrderId));
      for (const row of await activeOrdersByPrefix(deps.pool, input.clientOrderIdPrefix)) {
        if (tracked.has(row.client_order_id) || seen.has(row.client_order_id)) continue;
        const found = await exchange.fetchOrderByClientId(input.symbol, row.client_order_id);
        if (found) {
          await recordVenueOrder(deps.pool, found);
          if (found.status === 'open' || found.status === 'partially-filled')
            await cancelStray(row.client_order_id);
          continue;
        }
        if (row.status === 'open' || row.status === 'partially-filled') {
          // The ledger saw it live and the venue no longer knows it (venues archive old closed orders).
          result.missing.push(row.client_order_id);
          continue;
        }
        if (sinceSentMs(row) < deps.settleWindowMs(input.venue)) result.unsettled.push(row.client_order_id);
        else if (await markAbandoned(deps.pool, row.client_order_id))
          result.abandoned.push(row.client_order_id);
      }
      return result;
    },
  };
}
