import { hostname } from 'node:os';
import { ApplicationFailure } from '@temporalio/activity';
import { Runtime } from '@temporalio/worker';
import type { Pool } from 'pg';
import { type ConnectorFactory } from '../connectors/exchange-connector';
import { recordOrderStream } from '../db/venue-accounts';
import type { OrderBudget } from '../db/venue-order-budget';
import type { Venue } from '../domain/venues';
import { countOrderPath } from '../metrics/order-metrics';
import { createAccountActivities } from './account-reconcile';
import { createAlertActivities, type AlertSettings } from './alerts';
import { createArbitrageLedgerActivities } from './arbitrage-ledger';
import { asFailure, createMarketActivities } from './market-snapshot';
import { createOrderFeeds, type OrderFeeds, type OrderStreamChange } from './order-feeds';
import { createOrderReconcileActivities } from './order-reconcile';
import { createOrderWatchActivities } from './order-watch';
import { createPerformanceActivities } from './performance';
import { createExactlyOnceOrderActivities } from './place-order-once';
import { createQuoteWatchActivities, marketDataHubs } from './quote-watch';
import { createPreTrade } from './reference-prices';
import { createRiskActivities } from './risk';
import { createScannerDiscoveryActivities } from './scanner-discovery';
import { createScannerTrackingActivities } from './scanner-tracking';
import { createSignalWatchActivities } from './signal-watch';
import { createSmokeActivities } from './smoke-activities';
import { recordVenueCalls } from './venue-calls';

export interface ActivityDependencies {
  pool: Pool;
  /** Exchange connectors by venue market and account; order activities fail (non-retryable) without them. */
  connectors?: ConnectorFactory;
  /**
   * After how long a lookup that finds nothing proves an order was not placed (see place-order-once.ts).
   * Default 30 s, above ccxt's 10 s timeout plus Binance's 5 s recvWindow.
   */
  settleWindowMs?: (venue: Venue) => number;
  /** KEEL_KILL_SWITCH_TOKEN: what a kill switch lift must prove knowledge of (activities/risk.ts). */
  killSwitchToken?: string | undefined;
  /** Where alerts go (Slack, Telegram); undefined: nowhere, and every alert says 'off'. */
  alerts?: AlertSettings | undefined;
  /**
   * The accounts' private order streams the watches follow (one set per worker by default); false: every
   * watch polls the venue, as on a venue without a stream (benchmarks compare the two).
   */
  orderFeeds?: OrderFeeds | false;
  /** The worker's Temporal identity (the SDK's default unless it was given one): names its order streams. */
  workerIdentity?: string;
  /** Each venue's fleet-wide order budget (its rate limit); none: orders are sent as soon as they may be. */
  orderBudget?: (venue: Venue) => OrderBudget | undefined;
}

/** Every activity Keel registers, built from real dependencies by workers and from test ones by tests. */
export function createActivities(deps: ActivityDependencies) {
  const configured: ConnectorFactory = (venue, market, account) => {
    if (!deps.connectors) {
      throw ApplicationFailure.nonRetryable(
        'this worker has no exchange connectors configured',
        'NoConnectors',
      );
    }
    return deps.connectors(venue, market, account);
  };
  // Every venue call is timed for the circuit breakers (and the metrics); the ledger's events are counted.
  const connectors = recordVenueCalls(deps.pool, configured).connectors;
  countOrderPath();
  const exactlyOnce = {
    pool: deps.pool,
    connectors,
    settleWindowMs: deps.settleWindowMs ?? (() => 30_000),
    preTradeFor: createPreTrade(deps.pool, connectors),
    ...(deps.orderBudget && { orderBudget: deps.orderBudget }),
  };
  // One market-data subscription per account and symbol, however many watches follow it.
  const hubFor = marketDataHubs(connectors);
  return failingLoudly({
    ...createSmokeActivities(deps),
    ...createMarketActivities({ connectors }),
    ...createQuoteWatchActivities({ connectors, hubFor }),
    ...createSignalWatchActivities({ connectors, hubFor }),
    ...createAccountActivities({ pool: deps.pool, connectors }),
    ...createArbitrageLedgerActivities({ pool: deps.pool }),
    ...createExactlyOnceOrderActivities(exactlyOnce),
    ...createOrderReconcileActivities(exactlyOnce),
    ...createOrderWatchActivities({
      ...exactlyOnce,
      ...(deps.orderFeeds !== false && {
        orderFeeds:
          deps.orderFeeds ??
          createOrderFeeds({
            onChange: reportOrderStream(deps.pool, deps.workerIdentity ?? `${process.pid}@${hostname()}`),
          }),
      }),
    }),
    ...createRiskActivities({ ...exactlyOnce, killSwitchToken: deps.killSwitchToken }),
    ...createAlertActivities({ pool: deps.pool, alerts: deps.alerts }),
    ...createPerformanceActivities({ pool: deps.pool }),
    ...createScannerDiscoveryActivities({ pool: deps.pool, connectors }),
    ...createScannerTrackingActivities({ pool: deps.pool, connectors }),
  });
}

/**
 * A stream going down makes its watches poll: a warning in the worker's log (its coming back a line), and
 * a row GET /venues and /status read. A failed write only leaves that view stale, and is logged.
 */
function reportOrderStream(pool: Pool, worker: string) {
  return (change: OrderStreamChange): void => {
    const { venue, market, account, live, detail } = change;
    const stream = `order stream ${venue}/${market}/${account}`;
    const { logger } = Runtime.instance();
    if (live) logger.info(`${stream} subscribed`, { venue, market, account });
    else
      logger.warn(`${stream} dropped (${detail}): its watches poll until it is back`, {
        venue,
        market,
        account,
      });
    recordOrderStream(pool, { ...change, worker }).catch((error: unknown) => {
      logger.warn(`could not record the state of the ${stream}: ${String(error)}`);
    });
  };
}

/**
 * Every activity's failures, mapped once: a connector error that retrying cannot fix (a revoked key, an
 * unknown symbol) becomes a non-retryable failure the workflow sees at once, instead of an endless retry
 * that looks healthy. Transient errors go on to Temporal's retry policy as they are.
 */
function failingLoudly<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const mapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities))
    mapped[name] = (...args: never[]) =>
      activity(...args).catch((error: unknown) => Promise.reject(asFailure(error)));
  return mapped as T;
}
