import type { Pool } from 'pg';

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
