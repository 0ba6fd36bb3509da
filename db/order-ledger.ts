import type pg from 'pg';
import type { Pool } from 'pg';
import { z } from 'zod';
import { type Order } from '../connectors/exchange-connector';
import { compare } from '../domain/decimal';
import { preTradeDenial, tightestLimits, type Denial, type RiskLimits } from '../domain/risk';
import { OrderSideSchema, OrderStatusSchema, OrderTypeSchema } from '../domain/trading';
import type { OrderType, Side } from '../domain/trading';
import { MarketKindSchema } from '../domain/venues';
import type { MarketKind } from '../domain/venues';
import { ledgerEvents } from './ledger-events';
import { withTransaction } from './pool';
import { KILL_SWITCH_LOCK, lockForRisk, readRiskPicture, STATES_OVER_ORDER } from './risk';

const numeric = z.union([z.string(), z.number()]).transform((value) => String(value));

/**
 * Keel's own states before the venue has answered (and `abandoned`: proven never to have reached the
 * venue, and never to be sent), then the venue's order statuses.
 */
export const LedgerStatusSchema = z.enum([
  'intent',
  'sending',
  'unknown',
  'abandoned',
  'denied',
  ...OrderStatusSchema.options,
]);
export type LedgerStatus = z.infer<typeof LedgerStatusSchema>;

export const LedgerOrderSchema = z.object({
  client_order_id: z.string(),
  venue: z.string(),
  market: MarketKindSchema,
  account: z.string(),
  symbol: z.string(),
  strategy: z.string(),
  workflow_id: z.string(),
  side: OrderSideSchema,
  order_type: OrderTypeSchema,
  price: numeric.nullable(),
  quantity: numeric,
  status: LedgerStatusSchema,
  venue_order_id: z.string().nullable(),
  filled_quantity: numeric,
  average_price: numeric.nullable(),
  /** What the venue charged for the fills so far, in `fee_asset` (a spot buy pays in base). */
  fee: numeric,
  fee_asset: z.string().nullable(),
  rejection: z.string().nullable(),
  /** Which of Keel's limits refused it (status `denied`), with the numbers. */
  denial: z.string().nullable(),
  denial_rule: z.string().nullable(),
  /** When the venue first acknowledged it. */
  landed_at: z.date().nullable(),
  /** The kill switch that handled it, and what became of it. */
  kill_switch: z.string().nullable(),
  kill_outcome: z.string().nullable(),
  send_attempts: z.number(),
  sent_at: z.date().nullable(),
  /** Milliseconds since the last request for it was sent, on PostgreSQL's clock (null: never sent). */
  since_sent_ms: z.number().nullable(),
});
export type LedgerOrder = z.infer<typeof LedgerOrderSchema>;

/** What Keel means to place; recorded before anything is sent. */
export interface OrderIntent {
  clientOrderId: string;
  venue: string;
  market: MarketKind;
  account: string;
  symbol: string;
  strategy: string;
  workflowId: string;
  side: Side;
  type: OrderType;
  price?: string | undefined;
  quantity: string;
}

/** Statuses after which the venue (or Keel's own limits) has said the last word on whether the order exists. */
export const settledStatuses: ReadonlySet<LedgerStatus> = new Set([
  ...OrderStatusSchema.options,
  'abandoned',
  'denied',
]);

/** What the risk check needs besides the ledger: the symbol's own limits and, for the price band, a mid. */
export interface PreTrade {
  limits: RiskLimits;
  referencePrice?: string | undefined;
}

/**
 * Every row with its age on PostgreSQL's clock: the settle window is measured on the clock that wrote
 * `sent_at`, never compared with a worker's.
 */
const ROW = `*, (extract(epoch FROM now() - sent_at) * 1000)::float8 AS since_sent_ms`;

export class ClientOrderIdConflict extends Error {
  override readonly name = 'ClientOrderIdConflict';
}

const parseRow = (row: unknown) => LedgerOrderSchema.parse(row);

// Stamped with clock_timestamp(), not the transaction's start: the orders-per-second limit counts rows by
// it, and a transaction that waited for the account's lock must not look older than it is.
const INSERT_INTENT = `INSERT INTO ledger_orders (client_order_id, venue, market, account, symbol, strategy, workflow_id,
                                                  side, order_type, price, quantity, status, denial, denial_rule, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, clock_timestamp())`;
const intentValues = (intent: OrderIntent) => [
  intent.clientOrderId,
  intent.venue,
  intent.market,
  intent.account,
  intent.symbol,
  intent.strategy,
  intent.workflowId,
  intent.side,
  intent.type,
  intent.price ?? null,
  intent.quantity,
];

/**
 * Records the intent, or returns the row already recorded under this client order id. A recorded row
 * that describes a different order means two intents derived the same id: refused, never overwritten.
 * With `preTrade`, a new intent is judged by the risk check (domain/risk.ts) first: one that breaks a rule
 * is recorded as `denied`, with the rule and the numbers, and is never sent. Serialised per symbol and
 * per account (db/risk.ts lockForRisk), so two placements cannot both take the last slot of a limit.
 */
export async function recordIntent(
  pool: Pool,
  intent: OrderIntent,
  preTrade?: PreTrade,
): Promise<LedgerOrder> {
  const { order, inserted } = await withTransaction(pool, async (client) => {
    const storedLimits = await lockForRisk(client, intent, preTrade?.limits);
    const { rows } = await client.query(`SELECT ${ROW} FROM ledger_orders WHERE client_order_id = $1`, [
      intent.clientOrderId,
    ]);
    if (rows[0]) return { order: sameOrderOrRefuse(parseRow(rows[0]), intent), inserted: false };
    return { order: await insertIntent(client, intent, preTrade, storedLimits), inserted: true };
  });
  if (inserted) ledgerEvents.tell({ kind: 'recorded', order });
  return order;
}

/** Inserts the intent, or its denial when the risk check refuses it (`storedLimits`: from lockForRisk). */
async function insertIntent(
  client: pg.ClientBase,
  intent: OrderIntent,
  preTrade: PreTrade | undefined,
  storedLimits: RiskLimits[],
): Promise<LedgerOrder> {
  const denial = preTrade ? await riskDenial(client, intent, preTrade, storedLimits) : undefined;
  const inserted = await client.query(`${INSERT_INTENT} RETURNING ${ROW}`, [
    ...intentValues(intent),
    denial === undefined ? 'intent' : 'denied',
    denial ? `${denial.rule}: ${denial.detail}` : null,
    denial?.rule ?? null,
  ]);
  return parseRow(inserted.rows[0]);
}

async function riskDenial(
  client: pg.ClientBase,
  intent: OrderIntent,
  preTrade: PreTrade,
  storedLimits: RiskLimits[],
): Promise<Denial | undefined> {
  const limits = tightestLimits(preTrade.limits, ...storedLimits);
  const picture = await readRiskPicture(client, intent, limits);
  return preTradeDenial(intent, { ...picture, referencePrice: preTrade.referencePrice }, limits);
}

/** The recorded row, when it is the very order the intent describes; a conflict otherwise. */
function sameOrderOrRefuse(existing: LedgerOrder, intent: OrderIntent): LedgerOrder {
  const samePrice =
    existing.price === null
      ? intent.price === undefined
      : intent.price !== undefined && compare(existing.price, intent.price) === 0;
  const same =
    existing.venue === intent.venue &&
    existing.market === intent.market &&
    existing.account === intent.account &&
    existing.symbol === intent.symbol &&
    existing.strategy === intent.strategy &&
    existing.side === intent.side &&
    existing.order_type === intent.type &&
    compare(existing.quantity, intent.quantity) === 0 &&
    samePrice;
  if (!same)
    throw new ClientOrderIdConflict(
      `client order id ${intent.clientOrderId} already names a different order (${existing.strategy}: ${existing.side} ${existing.quantity} ${existing.symbol} ${existing.market} @ ${existing.price ?? 'market'})`,
    );
  return existing;
}

/**
 * At most one of `alternatives` may ever be placed (contingent orders reserved for one watch, of which only
 * the first to trigger fires). Records the intent of `chosen`, unless one of them is already recorded:
 * then that one is returned and nothing is written. Serialised by an advisory lock on the first id, so
 * even a zombie attempt racing a retry cannot record a second.
 */
export async function recordOneIntentOf(
  pool: Pool,
  alternatives: OrderIntent[],
  chosen: OrderIntent | undefined,
  preTrade?: PreTrade,
): Promise<LedgerOrder | undefined> {
  const ids = alternatives.map((intent) => intent.clientOrderId);
  if (ids.length === 0) return undefined;
  const recorded = await withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keel-contingency:${ids[0]}`]);
    const { rows } = await client.query(
      `SELECT ${ROW} FROM ledger_orders WHERE client_order_id = ANY($1::text[])`,
      [ids],
    );
    const row = rows[0] ? parseRow(rows[0]) : undefined;
    if (row || !chosen) return { order: row, inserted: false };
    const storedLimits = await lockForRisk(client, chosen, preTrade?.limits);
    return { order: await insertIntent(client, chosen, preTrade, storedLimits), inserted: true };
  });
  if (recorded.inserted && recorded.order) ledgerEvents.tell({ kind: 'recorded', order: recorded.order });
  return recorded.order;
}

export async function findOrder(pool: Pool, clientOrderId: string): Promise<LedgerOrder | undefined> {
  const { rows } = await pool.query(`SELECT ${ROW} FROM ledger_orders WHERE client_order_id = $1`, [
    clientOrderId,
  ]);
  return rows[0] ? parseRow(rows[0]) : undefined;
}

/**
 * Claims the right to send: moves the row to `sending` only if it is still as `seen` (same status, same
 * number of sends). Of two attempts that read the same row (a retry and a zombie), one wins; the loser
 * gets 'lost' and must not send. From here on only a venue lookup can say whether the request arrived.
 *
 * A HALTED state over the order (the kill switch, a breaker, an operator) set since its intent was
 * recorded stops it here: the row becomes `denied` and is never sent ('halted'). Claims hold the kill
 * switch's lock shared, and engaging it takes the lock exclusively (db/risk.ts engageKillSwitch), so every
 * claim either committed before the kill switch's `engaged_at` (its `sent_at` is earlier: sent before it)
 * or reads it and is denied. The ledger can tell the two apart exactly.
 */
export async function claimSend(
  pool: Pool,
  seen: Pick<LedgerOrder, 'client_order_id' | 'status' | 'send_attempts' | 'venue' | 'account' | 'symbol'>,
): Promise<'claimed' | 'lost' | 'halted'> {
  const rows = await withTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock_shared(hashtext('${KILL_SWITCH_LOCK}'))`);
    return (
      await client.query<Record<string, unknown>>(
        `WITH halt AS (SELECT source, source || ': ' || reason AS why FROM trading_states
                   WHERE state = 'HALTED' AND ${STATES_OVER_ORDER} ORDER BY source = 'kill-switch' DESC LIMIT 1),
          kill AS (SELECT incident FROM kill_switch_incidents WHERE lifted_at IS NULL ORDER BY engaged_at DESC LIMIT 1)
     UPDATE ledger_orders SET
       kill_switch = CASE WHEN (SELECT source FROM halt) = 'kill-switch' THEN (SELECT incident FROM kill) ELSE kill_switch END,
       kill_outcome = CASE WHEN (SELECT source FROM halt) = 'kill-switch' THEN 'denied-before-send' ELSE kill_outcome END,
       status = CASE WHEN EXISTS (SELECT 1 FROM halt) THEN 'denied' ELSE 'sending' END,
       denial = CASE WHEN EXISTS (SELECT 1 FROM halt) THEN 'halted: trading is HALTED (' || (SELECT why FROM halt) || ')' END,
       denial_rule = CASE WHEN EXISTS (SELECT 1 FROM halt) THEN 'halted' END,
       sent_at = CASE WHEN EXISTS (SELECT 1 FROM halt) THEN sent_at ELSE clock_timestamp() END,
       send_attempts = send_attempts + CASE WHEN EXISTS (SELECT 1 FROM halt) THEN 0 ELSE 1 END,
       updated_at = now()
     WHERE client_order_id = $4 AND status = $5 AND send_attempts = $6 AND status IN ('intent', 'sending', 'unknown')
     RETURNING ${ROW}`,
        [seen.venue, seen.account, seen.symbol, seen.client_order_id, seen.status, seen.send_attempts],
      )
    ).rows;
  });
  if (!rows[0]) return 'lost';
  const order = parseRow(rows[0]);
  const claimed = order.status === 'sending';
  ledgerEvents.tell({ kind: claimed ? 'sending' : 'halted', order });
  return claimed ? 'claimed' : 'halted';
}

/** The order was proven absent from the venue and will never be sent. */
export async function markAbandoned(pool: Pool, clientOrderId: string): Promise<LedgerOrder | undefined> {
  const { rows } = await pool.query(
    `UPDATE ledger_orders SET status = 'abandoned', updated_at = now()
     WHERE client_order_id = $1 AND status IN ('intent', 'sending', 'unknown') RETURNING ${ROW}`,
    [clientOrderId],
  );
  return rows[0] ? parseRow(rows[0]) : undefined;
}

/** The request went out and no answer came back: the order may or may not exist. */
export async function markUnknown(pool: Pool, clientOrderId: string): Promise<void> {
  await pool.query(
    `UPDATE ledger_orders SET status = 'unknown', updated_at = now()
     WHERE client_order_id = $1 AND status IN ('intent', 'sending', 'unknown')`,
    [clientOrderId],
  );
}

export async function recordRejection(pool: Pool, clientOrderId: string, reason: string): Promise<void> {
  const { rows } = await pool.query(
    `UPDATE ledger_orders SET status = 'rejected', rejection = $2, updated_at = now()
     WHERE client_order_id = $1 AND status <> 'rejected' RETURNING ${ROW}`,
    [clientOrderId, reason],
  );
  if (rows[0]) ledgerEvents.tell({ kind: 'rejected', order: parseRow(rows[0]) });
}

/**
 * Records what the venue reports for the order, and the fill it implies: the increase of the cumulative
 * filled quantity, priced so that the fills' total matches the venue's average price. In one transaction,
 * and idempotent: a report that adds no quantity adds no fill.
 */
export async function recordVenueOrder(pool: Pool, order: Order): Promise<LedgerOrder> {
  const report = await withTransaction(pool, async (client) => {
    const { rows } = await client.query(
      `SELECT ${ROW} FROM ledger_orders WHERE client_order_id = $1 FOR UPDATE`,
      [order.clientOrderId],
    );
    if (!rows[0]) throw new Error(`no ledger row for ${order.clientOrderId}`);
    const before = parseRow(rows[0]);
    const fill = await client.query<{ quantity: string; price: string }>(
      `INSERT INTO ledger_fills (client_order_id, symbol, strategy, side, quantity, price, cumulative_quantity)
       SELECT $1, $2, $3, $4, $5::numeric - $6::numeric,
              ($5::numeric * $7::numeric - $6::numeric * COALESCE($8::numeric, $7::numeric)) / NULLIF($5::numeric - $6::numeric, 0), $5
       WHERE $5::numeric > $6::numeric AND $7::numeric IS NOT NULL
       ON CONFLICT (client_order_id, cumulative_quantity) DO NOTHING
       RETURNING quantity::text, price::text`,
      [
        order.clientOrderId,
        before.symbol,
        before.strategy,
        before.side,
        order.filledQuantity,
        before.filled_quantity,
        // Without the venue's average price a limit order's fill is priced at its limit (it filled there or
        // better); a market order's fill waits for a report that has a price, rather than count at 0.
        order.averagePrice ?? before.price,
        before.average_price,
      ],
    );
    if (fill.rows[0]) await movePosition(client, before, fill.rows[0]);
    const priced = (order.averagePrice ?? before.price) !== null;
    const updated = await client.query(
      `UPDATE ledger_orders
       -- A stale report (an older lookup) never reopens an order the venue has already closed.
       SET status = CASE WHEN status IN ('filled', 'canceled', 'expired') THEN status ELSE $2 END,
           venue_order_id = $3, filled_quantity = CASE WHEN $8::boolean THEN GREATEST(filled_quantity, $4::numeric) ELSE filled_quantity END,
           average_price = COALESCE($5::numeric, average_price), fee = $6, fee_asset = $7, updated_at = now(),
           landed_at = COALESCE(landed_at, clock_timestamp())
       WHERE client_order_id = $1
       RETURNING ${ROW}, (extract(epoch FROM landed_at - created_at) * 1000)::float8 AS acknowledged_after_ms`,
      [
        order.clientOrderId,
        order.status,
        order.venueOrderId,
        order.filledQuantity,
        order.averagePrice,
        order.fee,
        order.feeAsset,
        priced,
      ],
    );
    const raw = updated.rows[0] as { acknowledged_after_ms: number | null };
    return {
      before,
      after: parseRow(raw),
      acknowledgedAfterMs: before.landed_at === null ? (raw.acknowledged_after_ms ?? undefined) : undefined,
      fill: fill.rows[0],
    };
  });
  const { before, after, acknowledgedAfterMs, fill } = report;
  if (fill || acknowledgedAfterMs !== undefined || before.status !== after.status)
    ledgerEvents.tell({
      kind: 'reported',
      before,
      order: after,
      ...(acknowledgedAfterMs !== undefined && { acknowledgedAfterMs }),
      ...(fill && { fill }),
    });
  return after;
}

/** Orders under a client order id prefix that the ledger does not yet know to be closed. */
export async function activeOrdersByPrefix(pool: Pool, clientOrderIdPrefix: string): Promise<LedgerOrder[]> {
  const { rows } = await pool.query(
    `SELECT ${ROW} FROM ledger_orders
     WHERE starts_with(client_order_id, $1) AND status IN ('intent', 'sending', 'unknown', 'open', 'partially-filled')
     ORDER BY created_at`,
    [clientOrderIdPrefix],
  );
  return rows.map(parseRow);
}

/**
 * Records an order found on the venue under one of Keel's prefixes with no ledger row (a ledger restored
 * from an older backup, say), so that the ledger again holds every order the venue holds.
 */
export async function adoptVenueOrder(
  pool: Pool,
  order: Order,
  owner: { venue: string; market: MarketKind; account: string; strategy: string; workflowId: string },
): Promise<LedgerOrder> {
  await pool.query(
    `INSERT INTO ledger_orders (client_order_id, venue, market, account, symbol, strategy, workflow_id, side,
                                order_type, price, quantity, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (client_order_id) DO NOTHING`,
    [
      order.clientOrderId,
      owner.venue,
      owner.market,
      owner.account,
      order.symbol,
      owner.strategy,
      owner.workflowId,
      order.side,
      order.type,
      order.price,
      order.quantity,
      order.status,
    ],
  );
  return recordVenueOrder(pool, order);
}

/** Orders whose fate is not known yet (for operators and for the reconciler). */
export async function unsettledOrders(pool: Pool, symbol?: string): Promise<LedgerOrder[]> {
  const { rows } = await pool.query(
    `SELECT ${ROW} FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown') AND ($1::text IS NULL OR symbol = $1)
     ORDER BY created_at`,
    [symbol ?? null],
  );
  return rows.map(parseRow);
}

/** Which symbols a read covers: one, several, or every symbol (undefined). */
export type SymbolSelection = string | readonly string[] | undefined;
const symbolList = (symbols: SymbolSelection) =>
  symbols === undefined ? null : typeof symbols === 'string' ? [symbols] : [...symbols];

/** The symbols' orders, newest first, optionally of one status. */
export async function ordersBySymbol(
  pool: Pool,
  symbols: SymbolSelection,
  options: { status?: LedgerStatus | undefined; limit: number },
): Promise<LedgerOrder[]> {
  const { rows } = await pool.query(
    `SELECT ${ROW} FROM ledger_orders WHERE ($1::text[] IS NULL OR symbol = ANY($1::text[]))
       AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, client_order_id LIMIT $3`,
    [symbolList(symbols), options.status ?? null, options.limit],
  );
  return rows.map(parseRow);
}

export const LedgerFillSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  client_order_id: z.string(),
  symbol: z.string(),
  strategy: z.string(),
  side: OrderSideSchema,
  quantity: numeric,
  price: numeric,
  recorded_at: z.date(),
});
export type LedgerFill = z.infer<typeof LedgerFillSchema>;

/** The symbols' fills, newest first. */
export async function fillsBySymbol(
  pool: Pool,
  symbols: SymbolSelection,
  limit: number,
): Promise<LedgerFill[]> {
  const { rows } = await pool.query(
    `SELECT id, client_order_id, symbol, strategy, side, quantity::text, price::text, recorded_at
     FROM ledger_fills WHERE $1::text[] IS NULL OR symbol = ANY($1::text[]) ORDER BY id DESC LIMIT $2`,
    [symbolList(symbols), limit],
  );
  return rows.map((row) => LedgerFillSchema.parse(row));
}

/** Keeps the account's net position in the symbol (db/risk.ts reads it) in step with a recorded fill. */
async function movePosition(
  client: pg.ClientBase,
  order: LedgerOrder,
  fill: { quantity: string; price: string },
) {
  await client.query(
    `INSERT INTO ledger_positions (venue, market, account, symbol, quantity, last_price)
     VALUES ($1, $2, $3, $4, CASE WHEN $5 = 'buy' THEN $6::numeric ELSE -$6::numeric END, $7)
     ON CONFLICT (venue, market, account, symbol) DO UPDATE
       SET quantity = ledger_positions.quantity + EXCLUDED.quantity, last_price = EXCLUDED.last_price`,
    [order.venue, order.market, order.account, order.symbol, order.side, fill.quantity, fill.price],
  );
}
