import type { Pool } from 'pg';
import type { TradedBook } from './risk-observations';

/** The net position of one book (venue, market, account, symbol), or undefined when it never traded. */
export async function bookPosition(
  pool: Pool,
  book: Omit<TradedBook, 'quantity' | 'lastPrice'>,
): Promise<TradedBook | undefined> {
  const { rows } = await pool.query<TradedBook>(
    `SELECT venue, market, account, symbol, quantity::text AS quantity, last_price::text AS "lastPrice"
     FROM ledger_positions WHERE venue = $1 AND market = $2 AND account = $3 AND symbol = $4`,
    [book.venue, book.market, book.account, book.symbol],
  );
  return rows[0];
}
