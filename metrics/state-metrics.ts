import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { Counter, Gauge, Registry } from 'prom-client';
import { LIVE_STATUSES } from '../db/risk';

/** The workflow types Keel runs, whose running executions are counted. */
export const KEEL_WORKFLOW_TYPES = [
  'orchestratorWorkflow',
  'shardWorkflow',
  'symbolWorkflow',
  'riskWorkflow',
  'accountWorkflow',
  'pairDiscoveryWorkflow',
  'spreadEngineWorkflow',
  'spreadTrackerWorkflow',
  'marketRulesWorkflow',
  'performanceSnapshotWorkflow',
] as const;

/** How long one scrape waits for a source before leaving its series out and marking it down. */
const SOURCE_TIMEOUT_MS = 3_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/**
 * What Keel holds now, read at each scrape from the ledger and from Temporal (so it is right whichever
 * process placed the orders): open orders, positions and their notional, PnL marked at the last fill,
 * trading states and breaker trips, and running workflows by type. Labels stay bounded at any number of
 * symbols: per venue, market and account (and strategy for orders). A source that does not answer leaves
 * its series out, and `keel_metrics_source_up` says so.
 */
export function createStateMetrics(deps: { pool: Pool; temporal: Client }): {
  registry: Registry;
  /** Reads every source; call before rendering `registry`. */
  refresh(): Promise<void>;
} {
  const registry = new Registry();
  const registers = [registry];
  const sourceUp = new Gauge({
    name: 'keel_metrics_source_up',
    help: 'Whether the last scrape could read the source (postgres, temporal)',
    labelNames: ['source'],
    registers,
  });

  const openOrders = new Gauge({
    name: 'keel_open_orders',
    help: 'Orders live on the venue or on their way there, from the ledger',
    labelNames: ['venue', 'market', 'account', 'strategy'],
    registers,
  });
  const positions = new Gauge({
    name: 'keel_positions_open',
    help: 'Symbols with a non-zero position, from the ledger',
    labelNames: ['venue', 'market', 'account'],
    registers,
  });
  const notional = new Gauge({
    name: 'keel_position_notional_quote',
    help: 'Gross notional of the positions at their last fill price, in the quote currency',
    labelNames: ['venue', 'market', 'account'],
    registers,
  });
  const pnl = new Gauge({
    name: 'keel_pnl_quote',
    help: 'Realized plus unrealized PnL of every fill, positions marked at their last fill price, fees excluded',
    labelNames: ['venue', 'market', 'account'],
    registers,
  });
  const tradingStates = new Gauge({
    name: 'keel_trading_states',
    help: 'Trading states in force (HALTED, REDUCE_ONLY), by scope and source (breakers, operator, kill switch)',
    labelNames: ['scope', 'state', 'source'],
    registers,
  });
  const breakerTrips = new Counter({
    name: 'keel_breaker_trips_total',
    help: 'Times each circuit breaker set a trading state where it had none, from the risk change log',
    labelNames: ['breaker'],
    registers,
  });
  const workflows = new Gauge({
    name: 'keel_workflows_running',
    help: 'Running workflow executions by type, from Temporal visibility',
    labelNames: ['workflow_type'],
    registers,
  });

  const ledger = async () => {
    const [orders, books, states, trips] = await Promise.all([
      deps.pool.query<{ venue: string; market: string; account: string; strategy: string; count: number }>(
        `SELECT venue, market, account, strategy, count(*)::int AS count FROM ledger_orders
         WHERE status = ANY($1::text[]) GROUP BY 1, 2, 3, 4`,
        [LIVE_STATUSES],
      ),
      deps.pool.query<{
        venue: string;
        market: string;
        account: string;
        open: number;
        notional: string;
        pnl: string;
      }>(
        `WITH flows AS (
           SELECT o.venue, o.market, o.account,
                  sum(CASE f.side WHEN 'sell' THEN f.quantity * f.price ELSE -f.quantity * f.price END) AS cash
           FROM ledger_fills f JOIN ledger_orders o USING (client_order_id) GROUP BY 1, 2, 3),
         books AS (
           SELECT venue, market, account, count(*) FILTER (WHERE quantity <> 0)::int AS open,
                  COALESCE(sum(abs(quantity) * last_price), 0) AS notional,
                  COALESCE(sum(quantity * last_price), 0) AS marked
           FROM ledger_positions GROUP BY 1, 2, 3)
         SELECT venue, market, account, COALESCE(b.open, 0) AS open, COALESCE(b.notional, 0)::float8::text AS notional,
                (COALESCE(f.cash, 0) + COALESCE(b.marked, 0))::float8::text AS pnl
         FROM flows f FULL JOIN books b USING (venue, market, account)`,
      ),
      deps.pool.query<{ scope: string; state: string; source: string; count: number }>(
        `SELECT scope, state, source, count(*)::int AS count FROM trading_states GROUP BY 1, 2, 3`,
      ),
      // A trip: the breaker's source appears at a scope where it was not (a state it renews is no new trip).
      deps.pool.query<{ breaker: string; count: number }>(
        `SELECT substr(source, 9) AS breaker, count(*)::int AS count FROM risk_changes
         WHERE kind = 'state' AND source LIKE 'breaker:%' AND after ? source AND NOT (COALESCE(before, '{}') ? source)
         GROUP BY source`,
      ),
    ]);
    openOrders.reset();
    for (const { count, ...where } of orders.rows) openOrders.set(where, count);
    positions.reset();
    notional.reset();
    pnl.reset();
    for (const row of books.rows) {
      const where = { venue: row.venue, market: row.market, account: row.account };
      positions.set(where, row.open);
      notional.set(where, Number(row.notional));
      pnl.set(where, Number(row.pnl));
    }
    breakerTrips.reset();
    for (const row of trips.rows) breakerTrips.inc({ breaker: row.breaker }, row.count);
    tradingStates.reset();
    for (const row of states.rows)
      tradingStates.set({ scope: row.scope, state: row.state, source: row.source }, row.count);
  };

  const temporal = async () => {
    const counts = await Promise.all(
      KEEL_WORKFLOW_TYPES.map(
        async (type) =>
          [
            type,
            (await deps.temporal.workflow.count(`WorkflowType = '${type}' AND ExecutionStatus = 'Running'`))
              .count,
          ] as const,
      ),
    );
    workflows.reset();
    for (const [type, count] of counts) workflows.set({ workflow_type: type }, count);
  };

  /** Each source's failure only leaves its own series out. */
  const refresh = async () => {
    const read = async (source: string, work: () => Promise<void>, clear: () => void) => {
      try {
        await within(SOURCE_TIMEOUT_MS, work());
        sourceUp.set({ source }, 1);
      } catch {
        clear();
        sourceUp.set({ source }, 0);
      }
    };
    await Promise.all([
      read('postgres', ledger, () => {
        for (const gauge of [openOrders, positions, notional, pnl, tradingStates]) gauge.reset();
      }),
      read('temporal', temporal, () => workflows.reset()),
    ]);
  };
  return { registry, refresh };
}
