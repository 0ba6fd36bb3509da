import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { type ConnectorFactory } from '../connectors/exchange-connector';
import type { Venue } from '../domain/venues';
import { asFailure, createMarketActivities } from './market-snapshot';
import { createOrderReconcileActivities } from './order-reconcile';
import { createOrderWatchActivities } from './order-watch';
import { createExactlyOnceOrderActivities } from './place-order-once';
import { createPreTrade } from './reference-prices';
import { createSmokeActivities } from './smoke-activities';

export interface ActivityDependencies {
  pool: Pool;
  /** Exchange connectors by venue market and account; order activities fail (non-retryable) without them. */
  connectors?: ConnectorFactory;
  /**
   * After how long a lookup that finds nothing proves an order was not placed (see place-order-once.ts).
   * Default 30 s, above ccxt's 10 s timeout plus Binance's 5 s recvWindow.
   */
  settleWindowMs?: (venue: Venue) => number;
}

/** Every activity Keel registers, built from real dependencies by workers and from test ones by tests. */
export function createActivities(deps: ActivityDependencies) {
  const connectors: ConnectorFactory = (venue, market, account) => {
    if (!deps.connectors) {
      throw ApplicationFailure.nonRetryable(
        'this worker has no exchange connectors configured',
        'NoConnectors',
      );
    }
    return deps.connectors(venue, market, account);
  };
  const exactlyOnce = {
    pool: deps.pool,
    connectors,
    settleWindowMs: deps.settleWindowMs ?? (() => 30_000),
    preTradeFor: createPreTrade(deps.pool, connectors),
  };
  return failingLoudly({
    ...createSmokeActivities(deps),
    ...createMarketActivities(deps),
    ...createExactlyOnceOrderActivities(exactlyOnce),
    ...createOrderReconcileActivities(exactlyOnce),
    ...createOrderWatchActivities(exactlyOnce),
  });
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
