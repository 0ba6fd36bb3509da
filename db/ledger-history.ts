import type { Pool } from 'pg';
import { LedgerOrderSchema, type LedgerOrder } from './order-ledger';

export interface RecentFill {
  clientOrderId: string;
  symbol: string;
  strategy: string;
  side: string;
  quantity: string;
  price: string;
  recordedAt: Date;
}

/** The latest orders and fills of `symbols` (every symbol when undefined), newest first. */
export async function recentLedger(
  pool: Pool,
  symbols: readonly string[] | undefined,
  limits: { orders: number; fills: number },
): Promise<{ orders: LedgerOrder[]; fills: RecentFill[] }> {
  const filter = symbols ? [...symbols] : null;
  const [orders, fills] = await Promise.all([
    pool.query(
      `SELECT *, NULL::float8 AS since_sent_ms FROM ledger_orders
       WHERE $1::text[] IS NULL OR symbol = ANY($1::text[]) ORDER BY created_at DESC, client_order_id LIMIT $2`,
      [filter, limits.orders],
    ),
    pool.query<{
      client_order_id: string;
      symbol: string;
      strategy: string;
      side: string;
      quantity: string;
      price: string;
      recorded_at: Date;
    }>(
      `SELECT client_order_id, symbol, strategy, side, quantity::text, price::text, recorded_at FROM ledger_fills
       WHERE $1::text[] IS NULL OR symbol = ANY($1::text[]) ORDER BY id DESC LIMIT $2`,
      [filter, limits.fills],
    ),
  ]);
  return {
    orders: orders.rows.map((row) => LedgerOrderSchema.parse(row)),
    fills: fills.rows.map((row) => ({
      clientOrderId: row.client_order_id,
      symbol: row.symbol,
      strategy: row.strategy,
      side: row.side,
      quantity: row.quantity,
      price: row.price,
      recordedAt: row.recorded_at,
    })),
  };
}

export interface BookPosition {
  venue: string;
  market: string;
  account: string;
  symbol: string;
  quantity: string;
  lastPrice: string | null;
}

/** The net position of one book (venue, market, account, symbol), or undefined when it never traded. */
export async function bookPosition(
  pool: Pool,
  book: Omit<BookPosition, 'quantity' | 'lastPrice'>,
): Promise<BookPosition | undefined> {
  const { rows } = await pool.query<BookPosition>(
    `SELECT venue, market, account, symbol, quantity::text AS quantity, last_price::text AS "lastPrice"
     FROM ledger_positions WHERE venue = $1 AND market = $2 AND account = $3 AND symbol = $4`,
    [book.venue, book.market, book.account, book.symbol],
  );
  return rows[0];
}
