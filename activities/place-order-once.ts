import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import {
  ConnectorError,
  type CreateOrder,
  type ExchangeConnector,
  type ConnectorFactory,
} from '../connectors/exchange-connector';
import {
  ClientOrderIdConflict,
  findOrder,
  claimSend,
  markUnknown,
  recordIntent,
  recordRejection,
  recordVenueOrder,
  settledStatuses,
  type LedgerOrder,
  type OrderIntent,
  type PreTrade,
} from '../db/order-ledger';
import { MAX_RESERVED_SECONDS, takeOrderTurn, type OrderBudget } from '../db/venue-order-budget';
import type { RiskLimits } from '../domain/risk';
import { type Venue } from '../domain/venues';
import { asFailure, type Where } from './market-snapshot';
import { createPreTrade, type PreTradeFor } from './reference-prices';

export interface ExactlyOnceOrderDependencies {
  pool: Pool;
  connectors: ConnectorFactory;
  /**
   * How long after a request was sent a venue lookup that finds nothing proves the order was not placed:
   * longer than the transport's timeout plus the venue's recvWindow, so a request still in flight cannot
   * arrive after the lookup. Zero for the in-process simulator, whose calls are over when they return.
   */
  settleWindowMs: (venue: Venue) => number;
  /** The risk check's inputs from outside the ledger (activities/reference-prices.ts); one per worker. */
  preTradeFor?: PreTradeFor;
  /** The fleet-wide order budget `venue`'s orders take their turns from, or undefined for none. */
  orderBudget?: (venue: Venue) => OrderBudget | undefined;
}

/** Waits `ms` inside an activity, heartbeating each second (a watch's heartbeat timeout is 3 s). */
async function waitInActivity(ms: number): Promise<void> {
  const context = Context.current();
  for (let left = ms; left > 0; left -= 1_000) {
    context.heartbeat();
    await context.sleep(Math.min(left, 1_000));
  }
}

export interface PlaceOrderInput extends Omit<OrderIntent, 'venue' | 'workflowId'> {
  venue: Venue;
  postOnly?: boolean;
  /** Perp only: the venue refuses the order if it would open or grow a position rather than shrink it. */
  reduceOnly?: boolean;
  timeInForce?: 'GTC' | 'IOC' | 'FOK';
  /**
   * The symbol's own risk limits; the tightest of these and the account's and global ones applies. An
   * order that breaks one is denied: recorded with the rule and the numbers, never sent.
   */
  limits: RiskLimits;
  /** Whether the symbol's configuration means real money on this venue (VenueRef.live). */
  live: boolean;
}

/** The ledger's view of the order once placement has been settled. */
export interface PlacementResult {
  clientOrderId: string;
  status: LedgerOrder['status'];
  venueOrderId: string | null;
  filledQuantity: string;
  averagePrice: string | null;
  /** The venue's fee for the fills so far, in `feeAsset` (a spot buy pays in the base asset). */
  fee: string;
  feeAsset: string | null;
  /** Why the venue (or the connector's own checks) refused it: OrderRejected. */
  rejection: string | null;
  /** Which of Keel's limits refused it before it was sent (status `denied`), with the numbers. */
  denial: string | null;
  /** The risk rule that denied it (domain/risk.ts RISK_RULES), to act on without parsing `denial`. */
  denialRule: string | null;
}

const toResult = (row: LedgerOrder): PlacementResult => ({
  clientOrderId: row.client_order_id,
  status: row.status,
  venueOrderId: row.venue_order_id,
  filledQuantity: row.filled_quantity,
  averagePrice: row.average_price,
  fee: row.fee,
  feeAsset: row.fee_asset,
  rejection: row.rejection,
  denial: row.denial,
  denialRule: row.denial_rule,
});

/**
 * Carries an order whose intent is already in the ledger (`row`) to its settled outcome, exactly once
 * under its client order id, whatever happened before: a retry after a lost response, a worker that died
 * between sending and recording, a venue that accepts a reused id once the first order closed.
 */
export function createOrderPlacer(deps: ExactlyOnceOrderDependencies) {
  /** Asks the venue for the order; 'absent' only when absence is proven (the settle window has passed). */
  async function lookUp(exchange: ExchangeConnector, row: LedgerOrder): Promise<LedgerOrder | 'absent'> {
    const found = await exchange.fetchOrderByClientId(row.symbol, row.client_order_id);
    if (found) return recordVenueOrder(deps.pool, found);
    // Measured after the lookup, on PostgreSQL's clock, from when the send was last claimed.
    const sinceSent = sinceSentMs((await findOrder(deps.pool, row.client_order_id)) ?? row);
    const window = deps.settleWindowMs(row.venue as Venue);
    if (sinceSent < window) {
      // A request may still be in flight: only time can prove it will not arrive. Retry later.
      throw ApplicationFailure.retryable(
        `order ${row.client_order_id} not found ${Math.round(sinceSent)} ms after sending; its outcome settles after ${window} ms`,
        'OrderOutcomeUnknown',
      );
    }
    return 'absent';
  }

  /**
   * The order's turn in its venue's fleet-wide budget, taken before it is claimed for sending: activities on
   * the venue's task queue are paced by Temporal already, and this also paces the watches' replacements.
   */
  async function waitForTurn(venue: Venue): Promise<void> {
    const budget = deps.orderBudget?.(venue);
    if (!budget) return;
    const turn = await takeOrderTurn(deps.pool, budget);
    if (!turn.granted)
      throw ApplicationFailure.retryable(
        `${venue} is at its rate limit (${budget.perSecond} orders/s for the fleet), its turns taken ${MAX_RESERVED_SECONDS} s ahead: nothing sent, the order waits`,
        'VenueRateLimited',
      );
    if (turn.waitMs > 0) await waitInActivity(turn.waitMs);
  }

  return async function placeRecorded(input: PlaceOrderInput, row: LedgerOrder): Promise<PlacementResult> {
    if (settledStatuses.has(row.status)) return toResult(row);

    const exchange = deps.connectors(input.venue, input.market, input.account);
    if (row.status !== 'intent') {
      // An earlier attempt may have sent it: never send again before the venue has been asked.
      const looked = await lookUp(exchange, row);
      if (looked !== 'absent') return toResult(looked);
    }

    const request: CreateOrder = {
      symbol: input.symbol,
      clientOrderId: input.clientOrderId,
      side: input.side,
      type: input.type,
      quantity: input.quantity,
      ...(input.price !== undefined ? { price: input.price } : {}),
      ...(input.postOnly !== undefined ? { postOnly: input.postOnly } : {}),
      ...(input.reduceOnly ? { reduceOnly: true } : {}),
      ...(input.timeInForce !== undefined ? { timeInForce: input.timeInForce } : {}),
    };
    await waitForTurn(input.venue);
    // Taken before the claim is written, so the deadline below is never later than the window on the
    // database's clock (which starts when the claim is written).
    const claimedAt = Date.now();
    const claim = await claimSend(deps.pool, row);
    if (claim !== 'claimed') {
      // Halted since the intent was recorded (now denied), or another attempt got there first (a retry
      // racing a zombie), or a reconcile abandoned the order: this attempt sends nothing. The next one
      // reads the row again and asks the venue.
      const now = await findOrder(deps.pool, input.clientOrderId);
      if (now && settledStatuses.has(now.status)) return toResult(now);
      throw ApplicationFailure.retryable(
        `order ${input.clientOrderId} is being sent by another attempt`,
        'OrderOutcomeUnknown',
      );
    }
    const sendBy = sendDeadline(claimedAt, deps.settleWindowMs(input.venue), exchange);
    try {
      return toResult(await recordVenueOrder(deps.pool, await exchange.createOrder(request, { sendBy })));
    } catch (error) {
      if (!(error instanceof ConnectorError) || error.retryable) {
        // Outcome unknown: the order may exist. It stays `unknown` until a lookup settles it.
        await markUnknown(deps.pool, input.clientOrderId);
        throw error;
      }
      if (error.kind === 'duplicate-client-order-id') {
        const found = await exchange.fetchOrderByClientId(input.symbol, input.clientOrderId);
        if (found) return toResult(await recordVenueOrder(deps.pool, found));
        await markUnknown(deps.pool, input.clientOrderId);
        throw ApplicationFailure.retryable(
          `venue reports ${input.clientOrderId} as a duplicate but cannot find it`,
          'OrderOutcomeUnknown',
        );
      }
      await recordRejection(deps.pool, input.clientOrderId, `${error.kind}: ${error.message}`);
      // Refused for the account, not for the order: every order would be. The strategy must stop, visibly.
      if (error.kind === 'auth') throw error;
      return { ...toResult(row), status: 'rejected', rejection: `${error.kind}: ${error.message}` };
    }
  };
}

/**
 * Simulated and live never mix: an order configured for the simulator never goes to a real venue (and one
 * configured for real money never to a simulator), whatever the venue and account are called. Refused
 * before anything is recorded or sent; the strategy fails and shows why.
 */
export function refuseMixedMoney(input: PlaceOrderInput, exchange: ExchangeConnector): void {
  if (exchange.live === input.live) return;
  const configured = input.live ? 'real money (live: true)' : 'the simulator (live: false)';
  const actual = exchange.live ? 'a real venue' : 'a simulated one';
  throw ApplicationFailure.nonRetryable(
    `${input.venue}/${input.market}/${input.account} is configured for ${configured}, but this worker's ${input.venue} is ${actual}: nothing was sent`,
    'LiveSimulatedMismatch',
  );
}

/**
 * The latest moment the request may leave: a lookup proves the order absent `window` after the claim, so
 * the request must have left at least the venue's request expiry before that (the venue executes it by
 * then, or never). Undefined with no window: the in-process simulator's calls are over when they return.
 */
function sendDeadline(claimedAt: number, window: number, exchange: ExchangeConnector): number | undefined {
  if (window <= 0) return undefined;
  const sendBy = claimedAt + window - exchange.requestExpiryMs;
  if (sendBy <= claimedAt)
    throw ApplicationFailure.nonRetryable(
      `the settle window (${window} ms) must be longer than ${exchange.venue}'s request expiry (${exchange.requestExpiryMs} ms)`,
      'SettleWindowTooShort',
    );
  return sendBy;
}

/** Records the intent (or its denial); a row already there under this id for a different order is refused for good. */
export async function recordIntentOrRefuse(
  pool: Pool,
  intent: OrderIntent,
  preTrade?: PreTrade,
): Promise<LedgerOrder> {
  try {
    return await recordIntent(pool, intent, preTrade);
  } catch (error) {
    if (error instanceof ClientOrderIdConflict)
      throw ApplicationFailure.nonRetryable(error.message, 'ClientOrderIdConflict');
    throw error;
  }
}

interface CancelInput extends Where {
  symbol: string;
  clientOrderId: string;
}

/**
 * Time since a request for the order last went out, on PostgreSQL's clock; Infinity if none ever did. A
 * venue lookup that finds nothing proves the order absent only once this exceeds the settle window.
 */
export function sinceSentMs(row: Pick<LedgerOrder, 'since_sent_ms'>): number {
  return row.since_sent_ms ?? Infinity;
}

/** Cancels by client order id and records what the venue answers; undefined if the venue never had it. */
export async function cancelRecorded(
  pool: Pool,
  exchange: ExchangeConnector,
  symbol: string,
  clientOrderId: string,
): Promise<LedgerOrder | undefined> {
  try {
    return await recordVenueOrder(pool, await exchange.cancelOrder(symbol, clientOrderId));
  } catch (error) {
    if (error instanceof ConnectorError && error.kind === 'order-not-found') return undefined;
    throw error;
  }
}

export function createExactlyOnceOrderActivities(deps: ExactlyOnceOrderDependencies) {
  const placeRecorded = createOrderPlacer(deps);
  const preTradeFor = deps.preTradeFor ?? createPreTrade(deps.pool, deps.connectors);
  const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'none';
  const placeOnce = async (input: PlaceOrderInput) => {
    refuseMixedMoney(input, deps.connectors(input.venue, input.market, input.account));
    const preTrade = await preTradeFor(input, input.limits);
    return placeRecorded(
      input,
      await recordIntentOrRefuse(deps.pool, { ...input, workflowId: workflowId() }, preTrade),
    );
  };

  /** Cancels by client order id; idempotent (an order already closed is returned as it is). */
  const cancelOnce = async (input: CancelInput): Promise<PlacementResult | undefined> => {
    const exchange = deps.connectors(input.venue, input.market, input.account);
    const row = await cancelRecorded(deps.pool, exchange, input.symbol, input.clientOrderId).catch(
      (error: unknown) => Promise.reject(asFailure(error)),
    );
    return row && toResult(row);
  };

  return {
    /** Places an order exactly once under its client order id; the ledger row is written before anything is sent. */
    placeOrderOnce: placeOnce,

    /** Several orders one after another, each exactly once: one activity for a whole quote generation. */
    async placeOrdersOnce(orders: PlaceOrderInput[]): Promise<PlacementResult[]> {
      const results: PlacementResult[] = [];
      for (const order of orders) results.push(await placeOnce(order));
      return results;
    },

    cancelOrderOnce: cancelOnce,

    async cancelOrdersOnce(
      input: Omit<CancelInput, 'clientOrderId'> & { clientOrderIds: string[] },
    ): Promise<Array<PlacementResult | undefined>> {
      const { clientOrderIds, ...where } = input;
      const results: Array<PlacementResult | undefined> = [];
      for (const clientOrderId of clientOrderIds) results.push(await cancelOnce({ ...where, clientOrderId }));
      return results;
    },
  };
}
