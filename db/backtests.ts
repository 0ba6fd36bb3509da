import type { Pool } from 'pg';
import { FEE_IN_QUOTE } from './performance';

export interface BacktestRun {
  id: string;
  capture: string;
  symbol: string;
  market: string;
  speed: number;
  params: unknown;
  workflowId: string;
  startedAt: Date;
  finishedAt: Date;
  report: unknown;
}

const COLUMNS = `id, capture, symbol, market, speed, params, workflow_id AS "workflowId",
  started_at AS "startedAt", finished_at AS "finishedAt", report`;

export async function recordBacktestRun(pool: Pool, run: BacktestRun): Promise<void> {
  await pool.query(
    `INSERT INTO backtest_runs (id, capture, symbol, market, speed, params, workflow_id, started_at, finished_at, report)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      run.id,
      run.capture,
      run.symbol,
      run.market,
      run.speed,
      JSON.stringify(run.params),
      run.workflowId,
      run.startedAt,
      run.finishedAt,
      JSON.stringify(run.report),
    ],
  );
}

export async function backtestRun(pool: Pool, id: string): Promise<BacktestRun | undefined> {
  const { rows } = await pool.query<BacktestRun>(`SELECT ${COLUMNS} FROM backtest_runs WHERE id = $1`, [id]);
  return rows[0];
}

/** The latest finished runs, newest first. */
export async function recentBacktestRuns(pool: Pool, limit: number): Promise<BacktestRun[]> {
  const { rows } = await pool.query<BacktestRun>(
    `SELECT ${COLUMNS} FROM backtest_runs ORDER BY finished_at DESC LIMIT $1`,
    [limit],
  );
  return rows;
}

export interface RunLedger {
  orders: number;
  fills: Array<{ clientOrderId: string; side: 'buy' | 'sell'; price: string; quantity: string }>;
  /** Fees in quote currency, valued as the performance snapshots value them. */
  feesInQuote: string;
}

/** A symbol workflow's orders and fills in the ledger, oldest first. */
export async function runLedger(pool: Pool, workflowId: string): Promise<RunLedger> {
  const orders = await pool.query<{ orders: number; fees: string }>(
    `SELECT count(*)::int AS orders,
            coalesce(sum(${FEE_IN_QUOTE}), 0)::text AS fees
       FROM ledger_orders WHERE workflow_id = $1`,
    [workflowId],
  );
  const fills = await pool.query<RunLedger['fills'][number]>(
    `SELECT f.client_order_id AS "clientOrderId", f.side, f.price::text AS price, f.quantity::text AS quantity
       FROM ledger_fills f JOIN ledger_orders o USING (client_order_id)
      WHERE o.workflow_id = $1 ORDER BY f.id`,
    [workflowId],
  );
  return { orders: orders.rows[0]?.orders ?? 0, fills: fills.rows, feesInQuote: orders.rows[0]?.fees ?? '0' };
}
