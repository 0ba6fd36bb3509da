import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import { KillOutcomeSchema, type KillSwitchTally } from '../domain/risk';
import { LedgerOrderSchema, type LedgerOrder } from './order-ledger';
import { LIVE_STATUSES } from './risk';

const ROW = `*, (extract(epoch FROM now() - sent_at) * 1000)::float8 AS since_sent_ms`;
const parseRow = (row: unknown) => LedgerOrderSchema.parse(row);

/** Every order the ledger holds live, on every venue: what a kill switch must bring to an end. */
export async function liveOrders(pool: Pool): Promise<LedgerOrder[]> {
  const { rows } = await pool.query(
    `SELECT ${ROW} FROM ledger_orders WHERE status = ANY($1::text[]) ORDER BY venue, market, account, created_at`,
    [LIVE_STATUSES],
  );
  return rows.map(parseRow);
}

/** An intent not yet sent: denied for good, unless an attempt claimed it for sending first (false). */
export async function denyUnsent(pool: Pool, clientOrderId: string, incident: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE ledger_orders SET status = 'denied', denial_rule = 'halted',
       denial = 'halted: the kill switch ' || $2 || ' engaged before it was sent',
       kill_switch = $2, kill_outcome = 'denied-before-send', updated_at = now()
     WHERE client_order_id = $1 AND status = 'intent'`,
    [clientOrderId, incident],
  );
  return rowCount === 1;
}

/**
 * Marks every order live now as the kill switch's to end: whoever then closes it (the sweep, or a
 * strategy's watch recording a cancel whose response the sweep lost), the tally below accounts for it.
 */
export async function tagLiveOrders(pool: Pool, incident: string): Promise<void> {
  await pool.query(
    `UPDATE ledger_orders SET kill_switch = $1 WHERE kill_switch IS NULL AND status = ANY($2::text[])`,
    [incident, LIVE_STATUSES],
  );
}

/**
 * Names the outcome of every order of the kill switch that has ended. A cancelled order was in flight at
 * the engagement when the venue first acknowledged it after `engaged_at` (cancelled after landing), and
 * rested before otherwise.
 */
async function nameOutcomes(pool: Pool, incident: string): Promise<void> {
  await pool.query(
    `UPDATE ledger_orders o SET kill_outcome = CASE
       WHEN o.status = 'canceled' AND o.landed_at > k.engaged_at THEN 'cancelled-after-landing'
       WHEN o.status = 'canceled' THEN 'cancelled-resting'
       WHEN o.status = 'abandoned' THEN 'never-landed'
       WHEN o.status = 'denied' THEN 'denied-before-send'
       ELSE 'closed-before-cancel' END
     FROM kill_switch_incidents k
     WHERE k.incident = $1 AND o.kill_switch = $1 AND o.kill_outcome IS NULL AND NOT (o.status = ANY($2::text[]))`,
    [incident, LIVE_STATUSES],
  );
}

/** What the kill switch has done so far, from the ledger. */
export async function killSwitchTally(pool: Pool, incident: string): Promise<KillSwitchTally[]> {
  await nameOutcomes(pool, incident);
  const { rows } = await pool.query<{ outcome: string; count: number; examples: string[] }>(
    `SELECT kill_outcome AS outcome, count(*)::int AS count,
            (array_agg(client_order_id ORDER BY client_order_id))[1:20] AS examples
     FROM ledger_orders WHERE kill_switch = $1 AND kill_outcome IS NOT NULL GROUP BY kill_outcome ORDER BY 1`,
    [incident],
  );
  return rows.map((row) => ({ ...row, outcome: KillOutcomeSchema.parse(row.outcome) }));
}

/**
 * What lifts kill switch `incident`: HMAC-SHA256 of it under KEEL_KILL_SWITCH_TOKEN, in hex. The API makes
 * it from the token an operator gives; the worker checks it with its own copy. Only the proof travels
 * through the workflow (and its history), and it lifts that one incident, never a later one.
 */
export function liftProof(token: string, incident: string): string {
  return createHmac('sha256', token).update(`keel-lift:${incident}`).digest('hex');
}
