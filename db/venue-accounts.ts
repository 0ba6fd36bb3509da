import type { Pool } from 'pg';
import { z } from 'zod';

export const AccountStateSchema = z.enum(['ok', 'bad-credentials', 'unreachable', 'error']);
export type AccountState = z.infer<typeof AccountStateSchema>;

const AccountHealthSchema = z.object({
  venue: z.string(),
  account: z.string(),
  state: AccountStateSchema,
  detail: z.string(),
  rate_limit: z.string(),
  checked_at: z.date(),
});
export type AccountHealth = z.infer<typeof AccountHealthSchema>;

/** Records what a start-up check found (the latest check of an account wins). */
export async function recordAccountChecks(
  pool: Pool,
  checks: Array<{ venue: string; account: string; state: AccountState; detail: string; rateLimit: string }>,
): Promise<void> {
  for (const check of checks)
    await pool.query(
      `INSERT INTO venue_accounts (venue, account, state, detail, rate_limit) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (venue, account) DO UPDATE SET state = $3, detail = $4, rate_limit = $5, checked_at = now()`,
      [check.venue, check.account, check.state, check.detail, check.rateLimit],
    );
}

export async function accountHealth(pool: Pool): Promise<AccountHealth[]> {
  const { rows } = await pool.query('SELECT * FROM venue_accounts ORDER BY venue, account');
  return rows.map((row) => AccountHealthSchema.parse(row));
}

const OrderStreamRowSchema = z.object({
  venue: z.string(),
  market: z.string(),
  account: z.string(),
  worker: z.string(),
  live: z.boolean(),
  detail: z.string(),
  changed_at: z.date(),
});
export type OrderStreamRow = z.infer<typeof OrderStreamRowSchema>;

/** A worker's order stream went up or down. */
export async function recordOrderStream(
  pool: Pool,
  stream: Pick<OrderStreamRow, 'venue' | 'market' | 'account' | 'worker' | 'live' | 'detail'>,
): Promise<void> {
  await pool.query(
    `INSERT INTO venue_order_streams (venue, market, account, worker, live, detail) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (venue, market, account, worker) DO UPDATE SET live = $5, detail = $6, changed_at = now()`,
    [stream.venue, stream.market, stream.account, stream.worker, stream.live, stream.detail],
  );
}

/** The order streams of the workers named (those still polling). */
export async function orderStreams(pool: Pool, workers: readonly string[]): Promise<OrderStreamRow[]> {
  const { rows } = await pool.query(
    'SELECT * FROM venue_order_streams WHERE worker = ANY($1) ORDER BY venue, account, market, worker',
    [workers],
  );
  return rows.map((row) => OrderStreamRowSchema.parse(row));
}
