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
});

// One round trip for everything every order needs. The rate counts on clock_timestamp(): intents are
// stamped with it too, so a transaction that waited for the account's lock still counts what went before.
// (Computed once, in a subquery, so that the account's time index serves the count.)
const PICTURE = `
SELECT
  (SELECT json_agg(json_build_object('state', state, 'source', source, 'reason', reason))
     FROM trading_states WHERE ${STATES_OVER_ORDER}) AS states,
  COALESCE((SELECT quantity FROM ledger_positions WHERE venue = $1 AND account = $2 AND symbol = $3 AND market = $4), 0) AS position,
  COALESCE(live.open_buy, 0) AS open_buy,
  COALESCE(live.open_sell, 0) AS open_sell,
  COALESCE((SELECT last_price FROM ledger_positions WHERE venue = $1 AND account = $2 AND symbol = $3 AND market = $4), live.top_price) AS mark_price,
  (SELECT count(*)::int FROM ledger_orders WHERE workflow_id = $5 AND status = ANY($6::text[])) AS open_orders,
  (SELECT count(*)::int FROM ledger_orders WHERE venue = $1 AND account = $2
     AND created_at > (SELECT clock_timestamp() - interval '1 second') AND status <> 'denied') AS orders_last_second
FROM (SELECT sum(quantity - filled_quantity) FILTER (WHERE side = 'buy') AS open_buy,
             sum(quantity - filled_quantity) FILTER (WHERE side = 'sell') AS open_sell,
             max(price) AS top_price
      FROM ledger_orders WHERE venue = $1 AND account = $2 AND symbol = $3 AND market = $4
        AND status = ANY($6::text[])) AS live`;

/** Worst-case exposure per account book, valued at its mark: the sum behind the exposure limits. */
const EXPOSURE = `
WITH live AS (
  SELECT venue, market, account, symbol,
         COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'buy'), 0) AS open_buy,
         COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'sell'), 0) AS open_sell,
         max(price) AS top_price
  FROM ledger_orders WHERE status = ANY($3::text[]) AND ($4 OR (venue = $1 AND account = $2))
  GROUP BY venue, market, account, symbol),
books AS (
  SELECT venue, account,
         greatest(abs(COALESCE(p.quantity, 0) + COALESCE(l.open_buy, 0)),
                  abs(COALESCE(p.quantity, 0) - COALESCE(l.open_sell, 0)))
         * COALESCE(p.last_price, l.top_price, 0) AS exposure
  FROM (SELECT * FROM ledger_positions WHERE $4 OR (venue = $1 AND account = $2)) p
  FULL JOIN live l USING (venue, market, account, symbol))
SELECT COALESCE(sum(exposure) FILTER (WHERE venue = $1 AND account = $2), 0)::text AS account,
       COALESCE(sum(exposure), 0)::text AS total
FROM books`;

/** The global and the account's limits stored in the database (the symbol's travel with its orders). */
export async function readStoredLimits(client: pg.ClientBase, order: OrderScope): Promise<RiskLimits[]> {
  const { rows } = await client.query<{ limits: unknown }>(
    `SELECT limits FROM risk_limits WHERE scope = 'global' OR (scope = 'account' AND scope_key = $1)`,
    [accountKey(order.venue, order.account)],
  );
  return rows.map((row) => RiskLimitsSchema.parse(row.limits));
}

/**
 * Everything the pre-trade check reads, under the locks the caller holds. Exposure sums are read only when
 * an exposure limit applies (`limits`: the tightest that hold), since they add up every live order of the
 * account (or of every account).
 */
export async function readRiskPicture(
  client: pg.ClientBase,
  order: OrderScope,
  limits: RiskLimits,
): Promise<RiskPicture> {
  const { rows } = await client.query(PICTURE, [
    order.venue,
    order.account,
    order.symbol,
    order.market,
    order.workflowId,
    LIVE_STATUSES,
  ]);
  const row = PictureRowSchema.parse(rows[0]);
  const states = row.states ?? [];
  const state = strictestState(states.map((entry) => entry.state));
  const setter = states.find((entry) => entry.state === state);
  const picture: RiskPicture = {
    state,
    ...(setter ? { stateReason: `${setter.source}: ${setter.reason}` } : {}),
    book: { position: row.position, openBuy: row.open_buy, openSell: row.open_sell },
    markPrice: row.mark_price ?? undefined,
    openOrders: row.open_orders,
    ordersLastSecond: row.orders_last_second,
  };
  const wantsAccount = limits.maxAccountExposure !== undefined;
  const wantsTotal = limits.maxTotalExposure !== undefined;
  if (wantsAccount || wantsTotal) {
    const exposure = await client.query<{ account: string; total: string }>(EXPOSURE, [
      order.venue,
      order.account,
      LIVE_STATUSES,
      wantsTotal,
    ]);
    picture.accountExposure = exposure.rows[0]?.account ?? '0';
    if (wantsTotal) picture.totalExposure = exposure.rows[0]?.total ?? '0';
  }
  return picture;
}

/**
 * Serialises placements where a limit counts across them: per symbol workflow (open orders), per account
 * (rate, position, account exposure) and, when a total exposure limit exists, globally. Always taken in
 * that order, so two placements never wait on each other crosswise.
 */
export async function lockForRisk(client: pg.ClientBase, order: OrderScope): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1)), pg_advisory_xact_lock(hashtext($2))', [
    `keel-limits:${order.workflowId}`,
    `keel-account:${accountKey(order.venue, order.account)}`,
  ]);
}

export async function lockAllAccounts(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('keel-total-exposure'))`);
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
