import { CancelledFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { ConnectorError, type ExchangeConnector, type Order } from '../connectors/exchange-connector';
import { recordOneIntentOf, recordVenueOrder, type LedgerOrder } from '../db/order-ledger';
import { compare, midpoint } from '../domain/decimal';
import { CLOSED_ORDER_STATUSES } from '../domain/trading';
import type { MarketKind, Venue } from '../domain/venues';
import { observeFillToReplacement } from '../metrics/order-metrics';
import type { OrderFeed, OrderFeeds } from './order-feeds';
import {
  createOrderPlacer,
  refuseMixedMoney,
  type ExactlyOnceOrderDependencies,
  type PlaceOrderInput,
  type PlacementResult,
} from './place-order-once';
import { createPreTrade } from './reference-prices';

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

/**
 * An order the strategy has decided, before the watch starts, to place the moment `trigger` fills
 * completely: its client order id is issued in the workflow's history, so placing it here is the same
 * exactly-once placement the workflow would make, without the round trip through the workflow.
 */
export interface Contingency {
  trigger: string;
  order: PlaceOrderInput;
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
  /** At most one of them fires per watch, and the watch then returns at once. */
  contingencies?: Contingency[];
}

/** How often the watch heartbeats, whatever its poll interval: well inside any heartbeat timeout. */
export const WATCH_HEARTBEAT_MS = 1_000;

/**
 * How often a watch fed by the order stream asks for the price its band is checked against. Orders no
 * longer need a request per poll; the price still does, so it is asked at most this often.
 */
export const STREAMED_BAND_CHECK_MS = 1_000;

export interface OrderWatchDependencies extends ExactlyOnceOrderDependencies {
  /** The worker's private order streams; without them (or a venue without one) watches poll. */
  orderFeeds?: OrderFeeds;
}

export interface WatchResult {
  /** `interrupted`: the workflow asked it to stop early (a command arrived), and nothing had happened yet. */
  reason: 'orders' | 'price' | 'timeout' | 'interrupted';
  /** With a fired contingency, its trigger's change comes first. */
  changes: OrderChange[];
  /** Watched orders the venue no longer knows (it answered a lookup with nothing). */
  missing?: string[];
  mid?: string;
  fired?: { trigger: string; placement: PlacementResult };
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

/**
 * The watched orders the stream has news of: closed, or filled further than the workflow knows. Pure.
 */
export function streamedChanges(
  watched: WatchedOrder[],
  latest: (clientOrderId: string) => Order | undefined,
) {
  return watched.flatMap(({ clientOrderId, filledQuantity }) => {
    const order = latest(clientOrderId);
    if (!order) return [];
    const news = CLOSED_ORDER_STATUSES.has(order.status) || compare(order.filledQuantity, filledQuantity) > 0;
    return news ? [order] : [];
  });
}

/** Looks the order up on the venue and records it; what changed, or undefined if the venue has no such order. */
export async function lookUpChange(
  pool: Pool,
  exchange: ExchangeConnector,
  symbol: string,
  clientOrderId: string,
  feed?: OrderFeed,
): Promise<OrderChange | undefined> {
  const order = await exchange.fetchOrderByClientId(symbol, clientOrderId);
  if (!order) return undefined;
  await recordVenueOrder(pool, order);
  feed?.update(order);
  const { status, filledQuantity, averagePrice } = order;
  return { clientOrderId, status, filledQuantity, averagePrice };
}

const SKIPPED = Symbol('skipped');
const MAX_TRANSIENT_FAILURES_IN_A_ROW = 10;

export function createOrderWatchActivities(deps: OrderWatchDependencies) {
  const placeRecorded = createOrderPlacer(deps);
  const preTradeFor = deps.preTradeFor ?? createPreTrade(deps.pool, deps.connectors);
  return {
    /**
     * Long-running and heartbeating: follows the account's private order stream (or, without one, polls
     * the venue) quietly and returns only when something the strategy must act on has happened, so the
     * workflow's history grows with events, not with ticks. REST settles what the stream cannot vouch for
     * (its first subscription, each reconnect, the audit interval). Every change it reports is first
     * written to the ledger. When a fill triggers one of the strategy's contingencies, the replacement is
     * placed here before returning.
     */
    async watchOrders(input: WatchInput): Promise<WatchResult> {
      const context = Context.current();
      const workflowId = context.info.workflowExecution?.workflowId ?? 'none';
      const exchange = deps.connectors(input.venue, input.market, input.account);
      const contingencies = input.contingencies ?? [];
      const intents = contingencies.map((contingency) => ({ ...contingency.order, workflowId }));
      for (const contingency of contingencies) refuseMixedMoney(contingency.order, exchange);

      const lookUp = (clientOrderId: string) =>
        lookUpChange(deps.pool, exchange, input.symbol, clientOrderId);
      /** Completes the placement of the contingency recorded in `row`, and reports its trigger first. */
      const fire = async (
        row: LedgerOrder,
        changes: OrderChange[],
        fillSeenAt: number,
      ): Promise<WatchResult> => {
        const contingency = contingencies.find((entry) => entry.order.clientOrderId === row.client_order_id);
        if (!contingency) throw new Error(`ledger row ${row.client_order_id} is not one of this watch's`);
        const placement = await placeRecorded(contingency.order, row);
        if (placement.venueOrderId !== null)
          observeFillToReplacement(
            { venue: input.venue, market: input.market, strategy: contingency.order.strategy },
            (performance.now() - fillSeenAt) / 1000,
          );
        const trigger =
          changes.find((change) => change.clientOrderId === contingency.trigger) ??
          (await lookUp(contingency.trigger));
        const rest = changes.filter((change) => change.clientOrderId !== contingency.trigger);
        return {
          reason: 'orders',
          changes: trigger ? [trigger, ...rest] : rest,
          fired: { trigger: contingency.trigger, placement },
        };
      };

      /** Transient venue errors since the last call that succeeded (see unlessTransient). */
      let failuresInARow = 0;
      // Heartbeats follow the clock, not the polls: a slow poll or a slow venue never makes a live watch look
      // dead, and the workflow's request to stop early arrives within a heartbeat.
      const beating = setInterval(() => context.heartbeat(), WATCH_HEARTBEAT_MS);
      try {
        return await watch();
      } catch (error) {
        // Asked to stop (a command arrived): whatever the call in flight then did — a cancellation, or a
        // venue error — the watch only owes its caller what it found, and it found nothing yet.
        if (error instanceof CancelledFailure || context.cancellationSignal.aborted)
          return { reason: 'interrupted', changes: [] };
        throw error;
      } finally {
        clearInterval(beating);
      }

      /**
       * A transient venue error costs one poll's call, not the watch: what the other calls found is kept
       * and the call is made again next poll. Otherwise, with many orders to look up on a venue failing a
       * tenth of its calls, nearly every attempt would fail and the watch would never report. Errors
       * without a success in between are still thrown once there are too many: a down venue is not hidden.
       */
      async function unlessTransient<T>(call: () => Promise<T>): Promise<T | typeof SKIPPED> {
        try {
          const result = await call();
          failuresInARow = 0;
          return result;
        } catch (error) {
          const transient = error instanceof ConnectorError && error.retryable;
          if (!transient || (failuresInARow += 1) > MAX_TRANSIENT_FAILURES_IN_A_ROW) throw error;
          return SKIPPED;
        }
      }

      /**
       * Asks the venue: its open orders, then each watched order that left them or filled further. When
       * every call answered while the stream was up, the symbol is settled against the stream.
       */
      async function askVenue(feed: OrderFeed | undefined) {
        const epoch = feed?.epoch ?? 0;
        const startedAt = Date.now();
        const open = await unlessTransient(() => exchange.openOrders(input.symbol));
        if (open === SKIPPED) return SKIPPED;
        for (const order of open) feed?.update(order);
        const changes: OrderChange[] = [];
        const missing: string[] = [];
        let complete = true;
        for (const clientOrderId of ordersToLookUp(input.orders, open)) {
          const change = await unlessTransient(() =>
            lookUpChange(deps.pool, exchange, input.symbol, clientOrderId, feed),
          );
          if (change === SKIPPED) complete = false;
          else if (change) changes.push(change);
          else missing.push(clientOrderId);
        }
        if (complete) feed?.markSettled(input.symbol, epoch, startedAt);
        return { changes, missing };
      }

      /**
       * What the stream said of the watched orders since the workflow last heard, recorded first; the
       * venue is asked instead while an order is one the stream never told of (placed a moment ago, or
       * one the venue lost): the stream can vouch only for orders it knows.
       */
      async function askStream(feed: OrderFeed) {
        if (input.orders.some(({ clientOrderId }) => !feed.latest(clientOrderId))) return askVenue(feed);
        const changes: OrderChange[] = [];
        for (const order of streamedChanges(input.orders, (id) => feed.latest(id))) {
          await recordVenueOrder(deps.pool, order);
          const { clientOrderId, status, filledQuantity, averagePrice } = order;
          changes.push({ clientOrderId, status, filledQuantity, averagePrice });
        }
        return { changes, missing: [] };
      }

      async function watch(): Promise<WatchResult> {
        const deadline = Date.now() + input.maxWaitMs;
        let bandCheckedAt = -Infinity;
        for (;;) {
          context.heartbeat();
          const feed = deps.orderFeeds?.feedFor(exchange, input.account);
          const streamed = feed?.isSettled(input.symbol) === true;
          if (input.orders.length > 0) {
            const found = feed && streamed ? await askStream(feed) : await askVenue(feed);
            if (found === SKIPPED) {
              await context.sleep(input.pollMs);
              continue;
            }
            const { changes, missing } = found;
            const firing = contingencies.findIndex((contingency) =>
              changes.some(
                (change) => change.clientOrderId === contingency.trigger && change.status === 'filled',
              ),
            );
            if (firing >= 0) {
              const fillSeenAt = performance.now();
              // If an earlier attempt of this watch fired one before it died, that one is returned instead:
              // its trigger has filled too, so it is seen here, and only it may ever be placed.
              const chosen = contingencies[firing]?.order;
              const row = await recordOneIntentOf(
                deps.pool,
                intents,
                intents[firing],
                chosen && (await preTradeFor(chosen, chosen.limits)),
              );
              if (row) return fire(row, changes, fillSeenAt);
            }
            if (changes.length > 0 || missing.length > 0) return { reason: 'orders', changes, missing };
          }
          if (input.priceBand && (!streamed || Date.now() - bandCheckedAt >= STREAMED_BAND_CHECK_MS)) {
            bandCheckedAt = Date.now();
            const quote = await exchange.bestBidAsk(input.symbol).catch(() => undefined);
            const mid = quote && midPrice(quote.bid, quote.ask);
            if (mid && outsideBand(mid, input.priceBand)) {
              return { reason: 'price', changes: [], mid };
            }
          }
          if (Date.now() >= deadline) return { reason: 'timeout', changes: [] };
          const settledUntil = feed?.settledUntil(input.symbol);
          if (feed && settledUntil !== undefined) {
            const wakeAt = Math.min(
              deadline,
              settledUntil,
              input.priceBand ? bandCheckedAt + STREAMED_BAND_CHECK_MS : Infinity,
            );
            await feed.waitForNews(input.symbol, wakeAt - Date.now(), context.cancellationSignal);
            if (context.cancellationSignal.aborted) return { reason: 'interrupted', changes: [] };
          } else await context.sleep(input.pollMs);
        }
      }
    },
  };
}
