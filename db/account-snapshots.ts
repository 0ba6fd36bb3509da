import type { Pool } from 'pg';

/** A perp position on which the venue and Keel's fills disagree: signed base quantities. */
export interface PositionDiscrepancy {
  symbol: string;
  venueQuantity: string;
  ledgerQuantity: string;
}

export interface AccountSnapshot {
  venue: string;
  account: string;
  balances: Record<string, Array<{ asset: string; free: string; locked: string }>>;
  positions: Array<{ symbol: string; quantity: string; markPrice: string }>;
  funding: Array<{ symbol: string; rate: string; nextFundingTime: number }>;
  discrepancies: PositionDiscrepancy[];
}

/**
 * Per perp symbol, the signed position Keel's own fills on (venue, perp, account) add up to: buys minus
 * sells, every strategy together (the venue nets them the same way).
 */
export async function ledgerPerpPositions(
  pool: Pool,
  venue: string,
  account: string,
): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ symbol: string; quantity: string }>(
    `SELECT o.symbol, sum(CASE f.side WHEN 'buy' THEN f.quantity ELSE -f.quantity END)::text AS quantity
     FROM ledger_fills f JOIN ledger_orders o USING (client_order_id)
     WHERE o.venue = $1 AND o.market = 'perp' AND o.account = $2
     GROUP BY o.symbol`,
    [venue, account],
  );
  return new Map(rows.map((row) => [row.symbol, row.quantity]));
}

export async function saveAccountSnapshot(pool: Pool, snapshot: AccountSnapshot): Promise<void> {
  await pool.query(
    `INSERT INTO account_snapshots (venue, account, balances, positions, funding, discrepancies)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      snapshot.venue,
      snapshot.account,
      JSON.stringify(snapshot.balances),
      JSON.stringify(snapshot.positions),
      JSON.stringify(snapshot.funding),
      JSON.stringify(snapshot.discrepancies),
    ],
  );
}

export interface LatestAccountSnapshot {
  venue: string;
  account: string;
  takenAt: Date;
  balances: AccountSnapshot['balances'];
  positions: AccountSnapshot['positions'];
}

/** Each account's latest snapshot of the last `withinMs` (older ones are left out, not looked for). */
export async function latestAccountSnapshots(pool: Pool, withinMs: number): Promise<LatestAccountSnapshot[]> {
  const { rows } = await pool.query<{
    venue: string;
    account: string;
    taken_at: Date;
    balances: AccountSnapshot['balances'];
    positions: AccountSnapshot['positions'];
  }>(
    `SELECT DISTINCT ON (venue, account) venue, account, taken_at, balances, positions
     FROM account_snapshots WHERE taken_at > now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY venue, account, taken_at DESC`,
    [withinMs],
  );
  return rows.map((row) => ({
    venue: row.venue,
    account: row.account,
    takenAt: row.taken_at,
    balances: row.balances,
    positions: row.positions,
  }));
}
