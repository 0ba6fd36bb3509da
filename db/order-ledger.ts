import type pg from 'pg';
import type { Pool } from 'pg';
import { z } from 'zod';
import { type Order } from '../connectors/exchange-connector';
import { compare, multiply } from '../domain/decimal';
import { OrderSideSchema, OrderStatusSchema, OrderTypeSchema } from '../domain/trading';
import type { OrderType, Side } from '../domain/trading';
import { MarketKindSchema } from '../domain/venues';
import type { MarketKind } from '../domain/venues';
import { withTransaction } from './pool';

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
  rejection: z.string().nullable(),
  /** Which of Keel's limits refused it (status `denied`), with the numbers. */
  denial: z.string().nullable(),
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

/** Live orders: what the limits count. */
const LIVE_STATUSES = ['intent', 'sending', 'unknown', 'open', 'partially-filled'];

/** The limits that hold for every order of a symbol, whatever strategy places it. */
export interface OrderLimits {
  /** Live orders one symbol may hold across all its strategies. */
  maxOpenOrders: number;
  /** Price × quantity of any one order, in quote currency. */
  maxOrderNotional: string;
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

const INSERT_INTENT = `INSERT INTO ledger_orders (client_order_id, venue, market, account, symbol, strategy, workflow_id,
                                                  side, order_type, price, quantity, status, denial)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;
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
 * With `limits`, a new intent that breaks one is recorded as `denied`, with the rule and the numbers, and
 * is never sent. Serialised per symbol, so two placements cannot both take the last open-order slot.
 */
export async function recordIntent(
  pool: Pool,
  intent: OrderIntent,
  limits?: OrderLimits,
): Promise<LedgerOrder> {
  return withTransaction(pool, async (client) => {
    await lockSymbol(client, intent.workflowId);
    const { rows } = await client.query(`SELECT ${ROW} FROM ledger_orders WHERE client_order_id = $1`, [
      intent.clientOrderId,
    ]);
    if (rows[0]) return sameOrderOrRefuse(parseRow(rows[0]), intent);
    return insertIntent(client, intent, limits);
  });
}

const lockSymbol = (client: pg.ClientBase, workflowId: string) =>
  client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keel-limits:${workflowId}`]);

/** Inserts the intent, or its denial when it breaks one of the limits. */
async function insertIntent(
  client: pg.ClientBase,
  intent: OrderIntent,
  limits?: OrderLimits,
): Promise<LedgerOrder> {
  const denial = limits ? await limitBroken(client, intent, limits) : undefined;
  const inserted = await client.query(`${INSERT_INTENT} RETURNING ${ROW}`, [
    ...intentValues(intent),
    denial === undefined ? 'intent' : 'denied',
    denial ?? null,
  ]);
  return parseRow(inserted.rows[0]);
}

/** Which limit the intent breaks, with the numbers; undefined when it keeps them all. */
async function limitBroken(
  client: pg.ClientBase,
  intent: OrderIntent,
  limits: OrderLimits,
): Promise<string | undefined> {
  if (intent.price !== undefined) {
    const notional = multiply(intent.price, intent.quantity);
    if (compare(notional, limits.maxOrderNotional) > 0)
      return `maxOrderNotional: ${intent.price} × ${intent.quantity} = ${notional} is above ${limits.maxOrderNotional}`;
  }
  const { rows } = await client.query<{ live: number }>(
    `SELECT count(*)::int AS live FROM ledger_orders WHERE workflow_id = $1 AND status = ANY($2::text[])`,
    [intent.workflowId, LIVE_STATUSES],
  );
  const live = rows[0]?.live ?? 0;
  if (live >= limits.maxOpenOrders)
    return `maxOpenOrders: ${intent.symbol} already holds ${live} live orders, the limit is ${limits.maxOpenOrders}`;
  return undefined;
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
  limits?: OrderLimits,
): Promise<LedgerOrder | undefined> {
  const ids = alternatives.map((intent) => intent.clientOrderId);
  if (ids.length === 0) return undefined;
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keel-contingency:${ids[0]}`]);
    const { rows } = await client.query(
      `SELECT ${ROW} FROM ledger_orders WHERE client_order_id = ANY($1::text[])`,
      [ids],
    );
    const row = rows[0] ? parseRow(rows[0]) : undefined;
    if (row || !chosen) return row;
    await lockSymbol(client, chosen.workflowId);
    return insertIntent(client, chosen, limits);
  });
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
 * gets false and must not send. From here on only a venue lookup can say whether the request arrived.
 */
export async function markSending(
  pool: Pool,
  seen: Pick<LedgerOrder, 'client_order_id' | 'status' | 'send_attempts'>,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE ledger_orders SET status = 'sending', sent_at = now(), send_attempts = send_attempts + 1, updated_at = now()
     WHERE client_order_id = $1 AND status = $2 AND send_attempts = $3 AND status IN ('intent', 'sending', 'unknown')`,
    [seen.client_order_id, seen.status, seen.send_attempts],
  );
  return rowCount === 1;
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
  await pool.query(
    `UPDATE ledger_orders SET status = 'rejected', rejection = $2, updated_at = now() WHERE client_order_id = $1`,
    [clientOrderId, reason],
  );
}

/**
 * Records what the venue reports for the order, and the fill it implies: the increase of the cumulative
 * filled quantity, priced so that the fills' total matches the venue's average price. In one transaction,
 * and idempotent: a report that adds no quantity adds no fill.
 */
export async function recordVenueOrder(pool: Pool, order: Order): Promise<LedgerOrder> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query(
      `SELECT ${ROW} FROM ledger_orders WHERE client_order_id = $1 FOR UPDATE`,
      [order.clientOrderId],
    );
    if (!rows[0]) throw new Error(`no ledger row for ${order.clientOrderId}`);
    const before = parseRow(rows[0]);
    await client.query(
      `INSERT INTO ledger_fills (client_order_id, symbol, strategy, side, quantity, price, cumulative_quantity)
       SELECT $1, $2, $3, $4, $5::numeric - $6::numeric,
              ($5::numeric * $7::numeric - $6::numeric * COALESCE($8::numeric, $7::numeric)) / NULLIF($5::numeric - $6::numeric, 0), $5
       WHERE $5::numeric > $6::numeric AND $7::numeric IS NOT NULL
       ON CONFLICT (client_order_id, cumulative_quantity) DO NOTHING`,
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
    const priced = (order.averagePrice ?? before.price) !== null;
    const updated = await client.query(
      `UPDATE ledger_orders
       -- A stale report (an older lookup) never reopens an order the venue has already closed.
       SET status = CASE WHEN status IN ('filled', 'canceled', 'expired') THEN status ELSE $2 END,
           venue_order_id = $3, filled_quantity = CASE WHEN $8::boolean THEN GREATEST(filled_quantity, $4::numeric) ELSE filled_quantity END,
           average_price = COALESCE($5::numeric, average_price), fee = $6, fee_asset = $7, updated_at = now()
       WHERE client_order_id = $1
       RETURNING ${ROW}`,
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
    return parseRow(updated.rows[0]);
  });
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

/** The symbol's orders, newest first, optionally of one status. */
export async function ordersBySymbol(
  pool: Pool,
  symbol: string,
  options: { status?: LedgerStatus | undefined; limit: number },
): Promise<LedgerOrder[]> {
  const { rows } = await pool.query(
    `SELECT ${ROW} FROM ledger_orders WHERE symbol = $1 AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, client_order_id LIMIT $3`,
    [symbol, options.status ?? null, options.limit],
  );
  return rows.map(parseRow);
}

export const LedgerFillSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  client_order_id: z.string(),
  strategy: z.string(),
  side: OrderSideSchema,
  quantity: numeric,
  price: numeric,
  recorded_at: z.date(),
});
export type LedgerFill = z.infer<typeof LedgerFillSchema>;

/** The symbol's fills, newest first. */
export async function fillsBySymbol(pool: Pool, symbol: string, limit: number): Promise<LedgerFill[]> {
  const { rows } = await pool.query(
    `SELECT id, client_order_id, strategy, side, quantity::text, price::text, recorded_at
     FROM ledger_fills WHERE symbol = $1 ORDER BY id DESC LIMIT $2`,
    [symbol, limit],
  );
  return rows.map((row) => LedgerFillSchema.parse(row));
}
