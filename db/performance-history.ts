import type { Pool } from 'pg';

/** Rows per (symbol, strategy), per symbol (strategies summed) or in total, at each snapshot time. */
export type PerformanceGrouping = 'strategy' | 'symbol' | 'total';

export interface PerformanceFilter {
  symbol: string | undefined;
  /** Snapshots taken at or after `from` and before `to`. */
  from: Date;
  to: Date;
  by: PerformanceGrouping;
}

export interface PerformanceRow {
  takenAt: Date;
  /** Null in totals. */
  symbol: string | null;
  /** Null unless grouped by strategy. */
  strategy: string | null;
  /** Net base quantity; null in totals, where symbols' quantities do not add up. */
  position: string | null;
  realizedPnl: string;
  unrealizedPnl: string;
  fees: string;
  volume: string;
  fills: number;
}

const KEYS: Record<PerformanceGrouping, string[]> = {
  strategy: ['taken_at', 'symbol', 'strategy'],
  symbol: ['taken_at', 'symbol'],
  total: ['taken_at'],
};

/**
 * The performance history in the filter, oldest first, read in pages (keyset on the grouping's key) so an
 * export of any length holds one page in memory at a time.
 */
export async function* performanceHistory(
  pool: Pool,
  filter: PerformanceFilter,
  pageSize = 1_000,
): AsyncGenerator<PerformanceRow> {
  const keys = KEYS[filter.by];
  const select = [
    'taken_at',
    filter.by === 'total' ? 'NULL::text AS symbol' : 'symbol',
    filter.by === 'strategy' ? 'strategy' : 'NULL::text AS strategy',
    filter.by === 'total' ? 'NULL::text AS position' : 'sum(position)::text AS position',
  ].join(', ');
  // Keyset: the row key after the last one read ($4, $5, $6 stand for taken_at, symbol, strategy).
  const after = `(${keys.join(', ')}) > (${keys.map((_, index) => `$${index + 4}`).join(', ')})`;
  let last: [Date, string, string] | undefined;
  for (;;) {
    const params: unknown[] = [filter.symbol ?? null, filter.from, filter.to, pageSize];
    if (last) params.push(...last.slice(0, keys.length));
    const { rows } = await pool.query<{
      taken_at: Date;
      symbol: string | null;
      strategy: string | null;
      position: string | null;
      realized_pnl: string;
      unrealized_pnl: string;
      fees: string;
      volume: string;
      fills: number;
    }>(
      `SELECT ${select}, sum(realized_pnl)::text AS realized_pnl, sum(unrealized_pnl)::text AS unrealized_pnl,
              sum(fees)::text AS fees, sum(volume)::text AS volume, sum(fills)::int AS fills
       FROM performance_snapshots
       WHERE ($1::text IS NULL OR symbol = $1) AND taken_at >= $2 AND taken_at < $3 ${last ? `AND ${after}` : ''}
       GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')} LIMIT $4`,
      params,
    );
    for (const row of rows)
      yield {
        takenAt: row.taken_at,
        symbol: row.symbol,
        strategy: row.strategy,
        position: row.position,
        realizedPnl: row.realized_pnl,
        unrealizedPnl: row.unrealized_pnl,
        fees: row.fees,
        volume: row.volume,
        fills: row.fills,
      };
    if (rows.length < pageSize) return;
    const end = rows.at(-1)!;
    last = [end.taken_at, end.symbol ?? '', end.strategy ?? ''];
  }
}
