import type { Pool } from 'pg';

/** How far ahead orders may reserve their turn: past this, a sender is told to come back later. */
export const MAX_RESERVED_SECONDS = 5;

/** A venue's orders per second for a whole deployment, named by the venue's task queue (`keel@binance`). */
export interface OrderBudget {
  name: string;
  perSecond: number;
}

/** A turn taken (`turnAt`: when, in ms on PostgreSQL's clock, `waitMs` from now), or refused. */
export type OrderTurn =
  { granted: true; waitMs: number; turnAt: number } | { granted: false; retryInMs: number };

/**
 * Takes one order's turn from a fleet-wide budget of `perSecond` orders (a token bucket holding at most one
 * second's worth, on PostgreSQL's clock, so every worker process shares it). The turn is taken at once and
 * may lie ahead (`waitMs`): the sender waits that long before sending. A turn further ahead than
 * MAX_RESERVED_SECONDS is not taken.
 */
export async function takeOrderTurn(pool: Pool, { name, perSecond }: OrderBudget): Promise<OrderTurn> {
  await pool.query(
    `INSERT INTO venue_order_budget (name, tokens, refilled_at) VALUES ($1, $2::float8, clock_timestamp())
     ON CONFLICT (name) DO NOTHING`,
    [name, perSecond],
  );
  const { rows } = await pool.query<{ tokens: number; taken: boolean; now_ms: number }>(
    `WITH now AS (SELECT clock_timestamp() AS at),
     current AS (
       SELECT LEAST($2::float8, tokens + $2::float8 * EXTRACT(EPOCH FROM (SELECT at FROM now) - refilled_at)) AS tokens
       FROM venue_order_budget WHERE name = $1 FOR UPDATE
     ),
     taken AS (
       UPDATE venue_order_budget SET tokens = current.tokens - 1, refilled_at = (SELECT at FROM now)
       FROM current WHERE name = $1 AND current.tokens - 1 >= -$2::float8 * $3::float8
       RETURNING venue_order_budget.tokens
     )
     SELECT COALESCE((SELECT tokens FROM taken), (SELECT tokens FROM current)) AS tokens,
            EXISTS (SELECT 1 FROM taken) AS taken,
            EXTRACT(EPOCH FROM (SELECT at FROM now))::float8 * 1000 AS now_ms`,
    [name, perSecond, MAX_RESERVED_SECONDS],
  );
  const { tokens, taken, now_ms: nowMs } = rows[0]!;
  if (!taken) return { granted: false, retryInMs: Math.ceil(((1 - tokens) / perSecond) * 1000) };
  const aheadMs = tokens >= 0 ? 0 : (-tokens / perSecond) * 1000;
  return { granted: true, waitMs: Math.ceil(aheadMs), turnAt: Number(nowMs) + aheadMs };
}
