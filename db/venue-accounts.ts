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
