import type { Pool } from 'pg';
import { BREAKERS, RiskScopeSchema, TradingStateSchema, type Trip } from '../domain/risk';
import { LIVE_STATUSES } from './risk';

export interface VenueHealth {
  venue: string;
  calls: number;
  errors: number;
  /** Round trip median and p99 over the window, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Whether the latest call succeeded. */
  lastOk: boolean;
}

/** Every worker's venue calls of the last `windowMs`, per venue (activities/venue-calls.ts writes them). */
export async function venueHealth(pool: Pool, windowMs: number): Promise<VenueHealth[]> {
  const { rows } = await pool.query<VenueHealth>(
    `SELECT venue, count(*)::int AS calls, (count(*) FILTER (WHERE NOT ok))::int AS errors,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS "p50Ms",
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS "p99Ms",
            (array_agg(ok ORDER BY at DESC))[1] AS "lastOk"
     FROM venue_calls WHERE at > now() - make_interval(secs => $1::float8 / 1000) GROUP BY venue ORDER BY venue`,
    [windowMs],
  );
  return rows;
}

/** Drops samples no breaker looks at any more. */
export async function pruneObservations(pool: Pool, keepMs: number): Promise<void> {
  await pool.query(`DELETE FROM venue_calls WHERE at < now() - make_interval(secs => $1::float8 / 1000)`, [
    keepMs,
  ]);
  await pool.query(`DELETE FROM pnl_samples WHERE at < now() - make_interval(secs => $1::float8 / 1000)`, [
    keepMs,
  ]);
}

export interface TradedBook {
  venue: string;
  market: string;
  account: string;
  symbol: string;
  /** Net position (0 when only orders rest). */
  quantity: string;
  lastPrice: string | null;
}

/** What Keel trades now: every book with live orders or a position. The breakers watch these. */
export async function tradedBooks(pool: Pool): Promise<TradedBook[]> {
  const { rows } = await pool.query<TradedBook>(
    `SELECT venue, market, account, symbol, COALESCE(p.quantity, 0)::text AS quantity, p.last_price::text AS "lastPrice"
     FROM (SELECT DISTINCT venue, market, account, symbol FROM ledger_orders WHERE status = ANY($1::text[])
           UNION SELECT venue, market, account, symbol FROM ledger_positions WHERE quantity <> 0
           -- A symbol the stale breaker halted keeps being watched, so that fresh quotes can lift it.
           UNION (SELECT DISTINCT ON (symbol) venue, market, account, symbol FROM ledger_orders
                  WHERE symbol IN (SELECT scope_key FROM trading_states WHERE scope = 'symbol' AND source = 'breaker:stale')
                  ORDER BY symbol, created_at DESC)) books
     LEFT JOIN ledger_positions p USING (venue, market, account, symbol)
     ORDER BY venue, market, account, symbol`,
    [LIVE_STATUSES],
  );
  return rows;
}

/** Cash flow of every fill: sells in, buys out (fees are in several assets and are left out). */
export async function fillCashFlow(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ cash: string }>(
    `SELECT COALESCE(sum(CASE WHEN side = 'sell' THEN quantity * price ELSE -quantity * price END), 0)::text AS cash
     FROM ledger_fills`,
  );
  return rows[0]?.cash ?? '0';
}

/** Records a PnL sample and returns the highest PnL of the window (this sample included). */
export async function samplePnl(pool: Pool, pnl: string, windowMs: number): Promise<string> {
  await pool.query('INSERT INTO pnl_samples (pnl) VALUES ($1)', [pnl]);
  const { rows } = await pool.query<{ peak: string }>(
    `SELECT max(pnl)::text AS peak FROM pnl_samples WHERE at > now() - make_interval(secs => $1::float8 / 1000)`,
    [windowMs],
  );
  return rows[0]?.peak ?? pnl;
}

/** Orders the risk check denied in the last `windowMs`. */
export async function recentDenials(pool: Pool, windowMs: number): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM ledger_orders
     WHERE status = 'denied' AND updated_at > now() - make_interval(secs => $1::float8 / 1000)`,
    [windowMs],
  );
  return rows[0]?.count ?? 0;
}

/** The states circuit breakers hold now. */
export async function breakerStates(pool: Pool): Promise<Trip[]> {
  const { rows } = await pool.query<{
    scope: string;
    scope_key: string;
    source: string;
    state: string;
    reason: string;
  }>(
    `SELECT scope, scope_key, source, state, reason FROM trading_states WHERE starts_with(source, 'breaker:') ORDER BY 1, 2, 3`,
  );
  return rows.flatMap((row) => {
    const breaker = BREAKERS.find((name) => `breaker:${name}` === row.source);
    if (!breaker) return [];
    return [
      {
        breaker,
        scope: RiskScopeSchema.parse(row.scope),
        key: row.scope_key,
        state: TradingStateSchema.parse(row.state),
        reason: row.reason,
      },
    ];
  });
}
