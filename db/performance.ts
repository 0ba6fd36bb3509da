import type { Pool, PoolClient } from 'pg';
import { add, multiply } from '../domain/decimal';
import type { Side } from '../domain/trading';
import { withTransaction } from './pool';
import { applyFill, type Position } from './positions';

/** A (symbol, strategy)'s running totals: its position by average cost, fees, volume and last fill price. */
interface Book extends Position {
  symbol: string;
  strategy: string;
  fees: string;
  volume: string;
  lastPrice: string;
}

const key = (symbol: string, strategy: string) => `${symbol}\u0000${strategy}`;
const PAGE = 5_000;

/**
 * The id below which every fill is settled: once SHARE is granted on ledger_fills, every transaction that
 * drew a fill id (an INSERT holds ROW EXCLUSIVE from before it draws one) has committed or rolled back, so
 * no fill with a smaller id can appear later. Writers wait for this instant only, not for the snapshot.
 */
async function settledFillId(pool: Pool): Promise<string> {
  return withTransaction(pool, async (client) => {
    await client.query('LOCK TABLE ledger_fills IN SHARE MODE');
    const { rows } = await client.query<{ upto: string }>(
      'SELECT coalesce(max(id), 0)::text AS upto FROM ledger_fills',
    );
    return rows[0]!.upto;
  });
}

async function loadBooks(client: PoolClient, keys: Array<[string, string]>): Promise<Map<string, Book>> {
  const { rows } = await client.query<Book>(
    `SELECT symbol, strategy, position::text AS quantity, average_price::text AS "averagePrice",
            realized_pnl::text AS "realizedPnl", fills, fees::text, volume::text, last_price::text AS "lastPrice"
     FROM performance_books WHERE (symbol, strategy) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [keys.map(([symbol]) => symbol), keys.map(([, strategy]) => strategy)],
  );
  return new Map(rows.map((book) => [key(book.symbol, book.strategy), book]));
}

/**
 * An order's fee in quote currency (SQL over ledger_orders): a base-asset fee valued at the order's average
 * price; a fee in a third asset (a venue's own token) is left out.
 */
export const FEE_IN_QUOTE = `CASE fee_asset WHEN split_part(symbol, '-', 2) THEN fee
  WHEN split_part(symbol, '-', 1) THEN fee * coalesce(average_price, 0) ELSE 0 END`;

/** Fees in quote currency of the books' orders: base-asset fees valued at their order's average price. */
async function feesOf(client: PoolClient, keys: Array<[string, string]>): Promise<Map<string, string>> {
  const { rows } = await client.query<{ symbol: string; strategy: string; fees: string }>(
    `SELECT symbol, strategy,
            sum(${FEE_IN_QUOTE})::text AS fees
     FROM ledger_orders WHERE (symbol, strategy) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND fee > 0
     GROUP BY symbol, strategy`,
    [keys.map(([symbol]) => symbol), keys.map(([, strategy]) => strategy)],
  );
  return new Map(rows.map((row) => [key(row.symbol, row.strategy), row.fees]));
}

/** Folds the settled fills after the cursor into the books; the keys of the books that moved. */
async function foldFills(client: PoolClient, upto: string): Promise<Map<string, Book>> {
  const { rows: cursorRows } = await client.query<{ last: string }>(
    'SELECT last_fill_id::text AS last FROM performance_cursor FOR UPDATE',
  );
  let after = cursorRows[0]!.last;
  const moved = new Map<string, Book>();
  for (;;) {
    const { rows: fills } = await client.query<{
      id: string;
      symbol: string;
      strategy: string;
      side: Side;
      quantity: string;
      price: string;
    }>(
      `SELECT id::text, symbol, strategy, side, quantity::text, price::text FROM ledger_fills
       WHERE id > $1::bigint AND id <= $2::bigint ORDER BY id LIMIT $3`,
      [after, upto, PAGE],
    );
    const unseen = [
      ...new Map(
        fills
          .filter((fill) => !moved.has(key(fill.symbol, fill.strategy)))
          .map((fill) => [key(fill.symbol, fill.strategy), [fill.symbol, fill.strategy] as [string, string]]),
      ).values(),
    ];
    for (const [k, book] of await loadBooks(client, unseen)) moved.set(k, book);
    for (const fill of fills) {
      const k = key(fill.symbol, fill.strategy);
      const book: Book = moved.get(k) ?? {
        symbol: fill.symbol,
        strategy: fill.strategy,
        quantity: '0',
        averagePrice: '0',
        realizedPnl: '0',
        fills: 0,
        fees: '0',
        volume: '0',
        lastPrice: fill.price,
      };
      moved.set(k, {
        ...book,
        ...applyFill(book, fill),
        volume: add(book.volume, multiply(fill.quantity, fill.price)),
        lastPrice: fill.price,
      });
    }
    if (fills.length < PAGE) break;
    after = fills.at(-1)!.id;
  }
  await client.query('UPDATE performance_cursor SET last_fill_id = $1::bigint', [upto]);
  return moved;
}

async function saveBooks(client: PoolClient, books: Book[]): Promise<void> {
  if (books.length === 0) return;
  const column = <K extends keyof Book>(name: K) => books.map((book) => book[name]);
  await client.query(
    `INSERT INTO performance_books
       (symbol, strategy, position, average_price, realized_pnl, fills, fees, volume, last_price)
     SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::int[],
                          $7::numeric[], $8::numeric[], $9::numeric[])
     ON CONFLICT (symbol, strategy) DO UPDATE SET position = excluded.position,
       average_price = excluded.average_price, realized_pnl = excluded.realized_pnl, fills = excluded.fills,
       fees = excluded.fees, volume = excluded.volume, last_price = excluded.last_price`,
    [
      column('symbol'),
      column('strategy'),
      column('quantity'),
      column('averagePrice'),
      column('realizedPnl'),
      column('fills'),
      column('fees'),
      column('volume'),
      column('lastPrice'),
    ],
  );
}

/**
 * Takes the performance snapshot at `takenAt`: folds the fills settled since the last snapshot into the
 * books (exactly once each: the cursor moves in the same transaction), then records every book. Taking
 * the same `takenAt` again (a retried activity) records nothing more.
 */
export async function takePerformanceSnapshot(
  pool: Pool,
  takenAt: Date,
): Promise<{ books: number; moved: number }> {
  const upto = await settledFillId(pool);
  return withTransaction(pool, async (client) => {
    const moved = await foldFills(client, upto);
    const keys = [...moved.values()].map((book): [string, string] => [book.symbol, book.strategy]);
    const fees = await feesOf(client, keys);
    await saveBooks(
      client,
      [...moved].map(([k, book]) => ({ ...book, fees: fees.get(k) ?? book.fees })),
    );
    const { rowCount } = await client.query(
      `INSERT INTO performance_snapshots (taken_at, symbol, strategy, position, average_price, mark_price,
         realized_pnl, unrealized_pnl, fees, volume, fills)
       SELECT $1, symbol, strategy, position, average_price, last_price, realized_pnl,
              position * (last_price - average_price), fees, volume, fills
       FROM performance_books
       ON CONFLICT DO NOTHING`,
      [takenAt],
    );
    return { books: rowCount ?? 0, moved: moved.size };
  });
}
