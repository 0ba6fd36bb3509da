import type { Pool } from 'pg';

export interface TradeExportFilter {
  /** One symbol, or every symbol when undefined. */
  symbol: string | undefined;
  /** Fills recorded at or after `from` and before `to`. */
  from: Date;
  to: Date;
}

export interface ExportedTrade {
  id: string;
  recordedAt: Date;
  clientOrderId: string;
  venue: string;
  market: string;
  account: string;
  symbol: string;
  strategy: string;
  side: string;
  quantity: string;
  price: string;
}

/**
 * The ledger's fills in the filter, oldest first, read in pages of `pageSize` (keyset on the fill id) so an
 * export of any length holds one page in memory at a time.
 */
export async function* exportTrades(
  pool: Pool,
  filter: TradeExportFilter,
  pageSize = 1_000,
): AsyncGenerator<ExportedTrade> {
  let after = '0';
  for (;;) {
    const { rows } = await pool.query<ExportedTrade>(
      `SELECT f.id::text, f.recorded_at AS "recordedAt", f.client_order_id AS "clientOrderId", o.venue, o.market,
              o.account, f.symbol, f.strategy, f.side, f.quantity::text, f.price::text
       FROM ledger_fills f JOIN ledger_orders o USING (client_order_id)
       WHERE f.id > $1::bigint AND ($2::text IS NULL OR f.symbol = $2) AND f.recorded_at >= $3 AND f.recorded_at < $4
       ORDER BY f.id LIMIT $5`,
      [after, filter.symbol ?? null, filter.from, filter.to, pageSize],
    );
    yield* rows;
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.id;
  }
}
