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
    'taken_at AS "takenAt"',
    filter.by === 'total' ? 'NULL::text AS symbol' : 'symbol',
    filter.by === 'strategy' ? 'strategy' : 'NULL::text AS strategy',
    filter.by === 'total' ? 'NULL::text AS position' : 'sum(position)::text AS position',
  ].join(', ');
  // Keyset: the row key after the last one read ($5, $6, $7 stand for taken_at, symbol, strategy).
  const after = `(${keys.join(', ')}) > (${keys.map((_, index) => `$${index + 5}`).join(', ')})`;
  let last: PerformanceRow | undefined;
  for (;;) {
    const key = last ? [last.takenAt, last.symbol ?? '', last.strategy ?? ''].slice(0, keys.length) : [];
    const { rows } = await pool.query<PerformanceRow>(
      `SELECT ${select}, sum(realized_pnl)::text AS "realizedPnl", sum(unrealized_pnl)::text AS "unrealizedPnl",
              sum(fees)::text AS fees, sum(volume)::text AS volume, sum(fills)::int AS fills
       FROM performance_snapshots
       WHERE ($1::text IS NULL OR symbol = $1) AND taken_at >= $2 AND taken_at < $3 ${last ? `AND ${after}` : ''}
       GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')} LIMIT $4`,
      [filter.symbol ?? null, filter.from, filter.to, pageSize, ...key],
    );
    yield* rows;
    if (rows.length < pageSize) return;
    last = rows.at(-1);
  }
}
