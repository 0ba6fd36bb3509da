import type pg from 'pg';
import type { Pool } from 'pg';
import { z } from 'zod';
import {
  accountKey,
  RiskLimitsSchema,
  strictestState,
  TradingStateSchema,
  type RiskLimits,
  type RiskPicture,
  type RiskScope,
  type TradingState,
} from '../domain/risk';
import { withTransaction } from './pool';

/** Where an order sits, for the scopes that may hold a state or a limit over it. */
export interface OrderScope {
  venue: string;
  market: string;
  account: string;
  symbol: string;
  workflowId: string;
}

export const LIVE_STATUSES = ['intent', 'sending', 'unknown', 'open', 'partially-filled'];
/** The same, as an SQL list: a constant lets a prepared statement's generic plan use the partial indexes on it. */
const LIVE_IN_SQL = `(${LIVE_STATUSES.map((status) => `'${status}'`).join(', ')})`;

/** Rows that hold a state over an order, in SQL: the order's venue, account and symbol, and global. */
export const STATES_OVER_ORDER = `(scope = 'global'
  OR (scope = 'venue' AND scope_key = $1) OR (scope = 'account' AND scope_key = $1 || ':' || $2)
  OR (scope = 'symbol' AND scope_key = $3))`;

const numeric = z.union([z.string(), z.number()]).transform(String);

const PictureRowSchema = z.object({
  states: z.array(z.object({ state: TradingStateSchema, source: z.string(), reason: z.string() })).nullable(),
  position: numeric,
  open_buy: numeric,
  open_sell: numeric,
  mark_price: numeric.nullable(),
  open_orders: z.number(),
  orders_last_second: z.number(),
  account_exposure: numeric.nullable(),
  total_exposure: numeric.nullable(),
});

// One round trip for everything every order needs, prepared once per connection (planning it cost more than
// running it). The book's position, live orders and exposure are kept
// with every ledger write (migrations/0007_ledger_books.sql), so the exposure sums add one row per book.
// The rate counts on clock_timestamp(): intents are stamped with it too, so a transaction that waited for
// the account's lock still counts what went before. (Computed once, in a subquery, so that the account's
// time index serves the count.)
const PICTURE = `
SELECT
  (SELECT json_agg(json_build_object('state', state, 'source', source, 'reason', reason))
     FROM trading_states WHERE ${STATES_OVER_ORDER}) AS states,
  COALESCE(book.quantity, 0) AS position,
  COALESCE(book.open_buy, 0) AS open_buy,
  COALESCE(book.open_sell, 0) AS open_sell,
  COALESCE(book.last_price, book.top_open_price) AS mark_price,
  (SELECT count(*)::int FROM ledger_orders WHERE workflow_id = $5 AND status IN ${LIVE_IN_SQL}) AS open_orders,
  (SELECT count(*)::int FROM ledger_orders WHERE venue = $1 AND account = $2
     AND created_at > (SELECT clock_timestamp() - interval '1 second') AND status <> 'denied') AS orders_last_second,
  CASE WHEN $6 THEN (SELECT COALESCE(sum(exposure), 0) FROM ledger_positions WHERE venue = $1 AND account = $2) END
    AS account_exposure,
  CASE WHEN $7 THEN (SELECT COALESCE(sum(exposure), 0) FROM ledger_positions) END AS total_exposure
FROM (SELECT 1) AS one
LEFT JOIN ledger_positions book ON book.venue = $1 AND book.account = $2 AND book.symbol = $3 AND book.market = $4`;

/**
 * Everything the pre-trade check reads, under the locks the caller holds (`limits`: the tightest that
 * hold; the exposure sums are read only when an exposure limit applies).
 */
export async function readRiskPicture(
  client: pg.ClientBase,
  order: OrderScope,
  limits: RiskLimits,
): Promise<RiskPicture> {
  const wantsAccount = limits.maxAccountExposure !== undefined;
  const wantsTotal = limits.maxTotalExposure !== undefined;
  const { rows } = await client.query({
    name: 'keel-risk-picture',
    text: PICTURE,
    values: [
      order.venue,
      order.account,
      order.symbol,
      order.market,
      order.workflowId,
      wantsAccount || wantsTotal,
      wantsTotal,
    ],
  });
  const row = PictureRowSchema.parse(rows[0]);
  const states = row.states ?? [];
  const state = strictestState(states.map((entry) => entry.state));
  const setter = states.find((entry) => entry.state === state);
  return {
    state,
    ...(setter ? { stateReason: `${setter.source}: ${setter.reason}` } : {}),
    book: { position: row.position, openBuy: row.open_buy, openSell: row.open_sell },
    markPrice: row.mark_price ?? undefined,
    openOrders: row.open_orders,
    ordersLastSecond: row.orders_last_second,
    ...(row.account_exposure !== null ? { accountExposure: row.account_exposure } : {}),
    ...(row.total_exposure !== null ? { totalExposure: row.total_exposure } : {}),
  };
}

const TOTAL_EXPOSURE_LOCK = 'keel-total-exposure';

const LOCKS = `
SELECT pg_advisory_xact_lock(hashtext($1)), pg_advisory_xact_lock(hashtext($2)),
       stored.limits,
       CASE WHEN $3 AND ($4 OR stored.total)
            THEN (SELECT true FROM pg_advisory_xact_lock(hashtext('${TOTAL_EXPOSURE_LOCK}'))) END AS all_accounts
FROM (SELECT COALESCE(json_agg(limits), '[]') AS limits, COALESCE(bool_or(limits ? 'maxTotalExposure'), false) AS total
      FROM risk_limits WHERE $3 AND (scope = 'global' OR (scope = 'account' AND scope_key = $5))) AS stored`;

const LocksRowSchema = z.object({ limits: z.array(RiskLimitsSchema) });

/**
 * Serialises placements where a limit counts across them: per symbol workflow (open orders), per account
 * (rate, position, account exposure) and, when a total exposure limit applies, globally. Always taken in
 * that order, so two placements never wait on each other crosswise. With `symbolLimits` (the order is to
 * be checked) returns the global and the account's limits stored in the database, read in the same round
 * trip (the symbol's own travel with its orders).
 */
export async function lockForRisk(
  client: pg.ClientBase,
  order: OrderScope,
  symbolLimits?: RiskLimits,
): Promise<RiskLimits[]> {
  const { rows } = await client.query({
    name: 'keel-risk-locks',
    text: LOCKS,
    values: [
      `keel-limits:${order.workflowId}`,
      `keel-account:${accountKey(order.venue, order.account)}`,
      symbolLimits !== undefined,
      symbolLimits?.maxTotalExposure !== undefined,
      accountKey(order.venue, order.account),
    ],
  });
  return LocksRowSchema.parse(rows[0]).limits;
}

// ── Changes: states, limits, the kill switch ─────────────────────────────────────────────────────────

export interface StateChange {
  scope: RiskScope;
  key: string;
  state: TradingState;
  /** 'operator' or what set it: 'breaker:latency', 'kill-switch'. */
  source: string;
  actor: string;
  reason: string;
}

const StateRowSchema = z.object({
  scope: z.string(),
  scope_key: z.string(),
  source: z.string(),
  state: TradingStateSchema,
  reason: z.string(),
  actor: z.string(),
  updated_at: z.date(),
});
export type StateRow = z.infer<typeof StateRowSchema>;

/**
 * Sets (or with ACTIVE, clears) one source's state at a scope, and records the change. An operator's
 * ACTIVE clears every source at that scope (breakers included, not the kill switch), so an operator can
 * always lift what a breaker set. Returns the sources it cleared.
 */
export async function setTradingState(pool: Pool, change: StateChange): Promise<{ cleared: string[] }> {
  return withTransaction(pool, async (client) => {
    const before = await statesAt(client, change.scope, change.key);
    let cleared: string[] = [];
    if (change.state === 'ACTIVE') {
      const all = change.source === 'operator';
      const { rows } = await client.query<{ source: string }>(
        `DELETE FROM trading_states WHERE scope = $1 AND scope_key = $2 AND source <> 'kill-switch'
           AND ($3 OR source = $4) RETURNING source`,
        [change.scope, change.key, all, change.source],
      );
      cleared = rows.map((row) => row.source);
    } else {
      await client.query(
        `INSERT INTO trading_states (scope, scope_key, source, state, reason, actor) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (scope, scope_key, source) DO UPDATE SET state = $4, reason = $5, actor = $6, updated_at = now()`,
        [change.scope, change.key, change.source, change.state, change.reason, change.actor],
      );
    }
    const after = await statesAt(client, change.scope, change.key);
    await recordChange(client, { kind: 'state', ...change }, before, after);
    return { cleared };
  });
}

async function statesAt(client: pg.ClientBase, scope: string, key: string) {
  const { rows } = await client.query<{ source: string; state: string }>(
    'SELECT source, state FROM trading_states WHERE scope = $1 AND scope_key = $2 ORDER BY source',
    [scope, key],
  );
  return Object.fromEntries(rows.map((row) => [row.source, row.state]));
}

interface ChangeRecord {
  kind: 'state' | 'limits' | 'kill-switch';
  scope: string;
  key: string;
  source: string;
  actor: string;
  reason: string;
}

async function recordChange(client: pg.ClientBase, change: ChangeRecord, before: unknown, after: unknown) {
  await client.query(
    `INSERT INTO risk_changes (kind, scope, scope_key, source, actor, reason, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      change.kind,
      change.scope,
      change.key,
      change.source,
      change.actor,
      change.reason,
      JSON.stringify(before),
      JSON.stringify(after),
    ],
  );
}

export interface LimitsChange {
  scope: 'global' | 'account';
  key: string;
  /** The whole set for the scope: fields left out no longer apply there. */
  limits: RiskLimits;
  actor: string;
  reason: string;
}

export async function setRiskLimits(pool: Pool, change: LimitsChange): Promise<void> {
  await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ limits: unknown }>(
      'SELECT limits FROM risk_limits WHERE scope = $1 AND scope_key = $2 FOR UPDATE',
      [change.scope, change.key],
    );
    await client.query(
      `INSERT INTO risk_limits (scope, scope_key, limits) VALUES ($1, $2, $3)
       ON CONFLICT (scope, scope_key) DO UPDATE SET limits = $3, updated_at = now()`,
      [change.scope, change.key, JSON.stringify(change.limits)],
    );
    await recordChange(
      client,
      { kind: 'limits', ...change, source: 'operator' },
      rows[0]?.limits ?? null,
      change.limits,
    );
  });
}

export interface KillSwitchEngagement {
  incident: string;
  actor: string;
  reason: string;
}

/** Claims to send take it shared, the kill switch exclusively (see db/order-ledger.ts claimSend). */
export const KILL_SWITCH_LOCK = 'keel-kill-switch';

/**
 * Engages the kill switch (idempotent per incident): the global HALTED that only a lift removes. Waits for
 * claims to send in progress, then stamps `engaged_at`: every order sent before it has an earlier `sent_at`.
 */
export async function engageKillSwitch(pool: Pool, engagement: KillSwitchEngagement): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${KILL_SWITCH_LOCK}'))`);
    const { rowCount } = await client.query(
      `INSERT INTO kill_switch_incidents (incident, engaged_by, reason, engaged_at) VALUES ($1, $2, $3, clock_timestamp())
       ON CONFLICT DO NOTHING`,
      [engagement.incident, engagement.actor, engagement.reason],
    );
    if (rowCount === 0) return;
    await client.query(
      `INSERT INTO trading_states (scope, scope_key, source, state, reason, actor)
       VALUES ('global', '', 'kill-switch', 'HALTED', $1, $2)
       ON CONFLICT (scope, scope_key, source) DO UPDATE SET reason = $1, actor = $2, updated_at = now()`,
      [`${engagement.incident}: ${engagement.reason}`, engagement.actor],
    );
    await recordChange(
      client,
      { kind: 'kill-switch', scope: 'global', key: '', source: 'kill-switch', ...engagement },
      null,
      { incident: engagement.incident, state: 'HALTED' },
    );
  });
}

export async function liftKillSwitch(
  pool: Pool,
  lift: KillSwitchEngagement & { report: unknown },
): Promise<void> {
  await withTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `UPDATE kill_switch_incidents SET lifted_at = now(), lifted_by = $2, report = COALESCE(report, $3)
       WHERE incident = $1 AND lifted_at IS NULL`,
      [lift.incident, lift.actor, JSON.stringify(lift.report)],
    );
    if (rowCount === 0) return;
    await client.query(`DELETE FROM trading_states WHERE scope = 'global' AND source = 'kill-switch'`);
    await recordChange(
      client,
      { kind: 'kill-switch', scope: 'global', key: '', source: 'kill-switch', ...lift },
      { incident: lift.incident, state: 'HALTED' },
      { incident: lift.incident, state: 'ACTIVE' },
    );
  });
}

export async function recordKillSwitchReport(pool: Pool, incident: string, report: unknown): Promise<void> {
  await pool.query('UPDATE kill_switch_incidents SET report = $2 WHERE incident = $1', [
    incident,
    JSON.stringify(report),
  ]);
}

// ── Reads for operators ─────────────────────────────────────────────────────────────────────────────

export async function riskOverview(pool: Pool) {
  const [states, limits, incidents] = await Promise.all([
    pool.query('SELECT * FROM trading_states ORDER BY scope, scope_key, source'),
    pool.query('SELECT scope, scope_key, limits, updated_at FROM risk_limits ORDER BY scope, scope_key'),
    pool.query('SELECT * FROM kill_switch_incidents ORDER BY engaged_at DESC LIMIT 10'),
  ]);
  return {
    states: states.rows.map((row) => StateRowSchema.parse(row)),
    limits: limits.rows as Array<{ scope: string; scope_key: string; limits: RiskLimits; updated_at: Date }>,
    killSwitch: incidents.rows as Array<{
      incident: string;
      engaged_at: Date;
      engaged_by: string;
      reason: string;
      lifted_at: Date | null;
      lifted_by: string | null;
      report: unknown;
    }>,
  };
}

export async function riskChanges(pool: Pool, limit: number) {
  const { rows } = await pool.query(
    'SELECT id::text, at, kind, scope, scope_key, source, actor, reason, before, after FROM risk_changes ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows as Array<Record<string, unknown>>;
}
