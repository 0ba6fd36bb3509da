import type { Pool } from 'pg';
import type { FundingPayment } from '../connectors/exchange-connector';

/** Stores the payments read from (venue, account); one already stored (same id) is left as it is. */
export async function saveFundingPayments(
  pool: Pool,
  venue: string,
  account: string,
  payments: readonly FundingPayment[],
): Promise<void> {
  if (payments.length === 0) return;
  await pool.query(
    `INSERT INTO funding_payments (venue, account, payment_id, symbol, settled_at, amount, asset)
     SELECT $1, $2, p.id, p.symbol, to_timestamp(p.at / 1000.0), p.amount::numeric, p.asset
     FROM jsonb_to_recordset($3::jsonb) AS p(id text, symbol text, at bigint, amount text, asset text)
     ON CONFLICT (venue, account, payment_id) DO NOTHING`,
    [venue, account, JSON.stringify(payments)],
  );
}

/** The payments stored for (venue, account), oldest first. */
export async function fundingPaymentsOf(
  pool: Pool,
  venue: string,
  account: string,
): Promise<Array<{ id: string; symbol: string; at: number; amount: string; asset: string }>> {
  const { rows } = await pool.query<{
    id: string;
    symbol: string;
    at: string;
    amount: string;
    asset: string;
  }>(
    `SELECT payment_id AS id, symbol, (extract(epoch FROM settled_at) * 1000)::bigint::text AS at,
            amount::text AS amount, asset
     FROM funding_payments WHERE venue = $1 AND account = $2 ORDER BY settled_at, payment_id`,
    [venue, account],
  );
  return rows.map((row) => ({ ...row, at: Number(row.at) }));
}
