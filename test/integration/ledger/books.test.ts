import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Order } from '../../../connectors/exchange-connector';
import { denyUnsent } from '../../../db/kill-switch';
import {
  adoptVenueOrder,
  claimSend,
  findOrder,
  markAbandoned,
  markUnknown,
  recordIntent,
  recordRejection,
  recordVenueOrder,
  type LedgerOrder,
  type OrderIntent,
} from '../../../db/order-ledger';
import { LIVE_STATUSES, readRiskPicture } from '../../../db/risk';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

/**
 * The books kept by migrations/0007_ledger_books.sql, against their definition computed from scratch:
 * every live order of the book, its net position, and the worst case of both, valued at the last fill
 * (else the top live limit price).
 */
const FROM_SCRATCH = `
WITH live AS (
  SELECT venue, market, account, symbol,
         COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'buy'), 0) AS open_buy,
         COALESCE(sum(quantity - filled_quantity) FILTER (WHERE side = 'sell'), 0) AS open_sell,
         max(price) AS top_price
  FROM ledger_orders WHERE status = ANY($1::text[]) GROUP BY venue, market, account, symbol),
fills AS (
  SELECT o.venue, o.market, o.account, o.symbol,
         sum(CASE WHEN f.side = 'buy' THEN f.quantity ELSE -f.quantity END) AS quantity,
         (array_agg(f.price ORDER BY f.id DESC))[1] AS last_price
  FROM ledger_fills f JOIN ledger_orders o USING (client_order_id) GROUP BY 1, 2, 3, 4)
SELECT venue, market, account, symbol,
       COALESCE(l.open_buy, 0)::text AS open_buy, COALESCE(l.open_sell, 0)::text AS open_sell,
       (greatest(abs(COALESCE(f.quantity, 0) + COALESCE(l.open_buy, 0)), abs(COALESCE(f.quantity, 0) - COALESCE(l.open_sell, 0)))
         * COALESCE(f.last_price, l.top_price, 0))::text AS exposure
FROM live l FULL JOIN fills f USING (venue, market, account, symbol)
WHERE $2 = '' OR symbol LIKE $2 || '%'`;

const KEPT = `
SELECT venue, market, account, symbol, open_buy::text, open_sell::text, exposure::text
FROM ledger_positions WHERE ($1 = '' OR symbol LIKE $1 || '%')
  AND (open_buy <> 0 OR open_sell <> 0 OR quantity <> 0 OR last_price IS NOT NULL)`;

interface BookRow {
  venue: string;
  market: string;
  account: string;
  symbol: string;
  open_buy: string;
  open_sell: string;
  exposure: string;
}

/** Compared as numbers' exact text after normalising trailing zeros (NUMERIC keeps the scale it was given). */
const normal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);
const byBook = (rows: BookRow[]) =>
  rows
    .map((row) => ({
      ...row,
      open_buy: normal(row.open_buy),
      open_sell: normal(row.open_sell),
      exposure: normal(row.exposure),
    }))
    .sort((a, b) => `${a.account}/${a.symbol}`.localeCompare(`${b.account}/${b.symbol}`));

const BOOKS = [
  { account: 'a', symbol: 'X' },
  { account: 'a', symbol: 'Y' },
  { account: 'b', symbol: 'X' },
] as const;

/** One write of the order path, to one of the run's orders. */
type Step =
  | { kind: 'intent'; book: number; side: 'buy' | 'sell'; price: number; quantity: number; market: boolean }
  | { kind: 'claim' | 'unknown' | 'abandon' | 'reject' | 'deny' | 'cancel'; order: number }
  | { kind: 'fill'; order: number; fraction: number; close: boolean }
  | { kind: 'adopt'; book: number; price: number; quantity: number }
  | { kind: 'delete'; order: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('intent' as const),
      book: fc.nat({ max: BOOKS.length - 1 }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      price: fc.integer({ min: 90, max: 110 }),
      quantity: fc.integer({ min: 1, max: 5 }),
      market: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'claim' as const,
        'unknown' as const,
        'abandon' as const,
        'reject' as const,
        'deny' as const,
        'cancel' as const,
      ),
      order: fc.nat(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      order: fc.nat(),
      fraction: fc.constantFrom(0.25, 0.5, 1),
      close: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('adopt' as const),
      book: fc.nat({ max: BOOKS.length - 1 }),
      price: fc.integer({ min: 90, max: 110 }),
      quantity: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), order: fc.nat() }) },
);

const venueOrder = (row: LedgerOrder, patch: Partial<Order>): Order => ({
  venueOrderId: `v-${row.client_order_id}`,
  clientOrderId: row.client_order_id,
  symbol: row.symbol,
  side: row.side,
  type: row.order_type,
  price: row.price,
  quantity: row.quantity,
  filledQuantity: row.filled_quantity,
  averagePrice: row.average_price,
  fee: '0',
  feeAsset: 'USDT',
  status: 'open',
  createdAt: 0,
  updatedAt: 0,
  ...patch,
});

describe('ledger books: position, live orders and exposure kept with every write', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('books');
  });
  after(() => database?.drop());

  const readBooks = async (prefix: string) => {
    const [kept, scratch] = await Promise.all([
      database.pool.query<BookRow>(KEPT, [prefix]),
      database.pool.query<BookRow>(FROM_SCRATCH, [LIVE_STATUSES, prefix]),
    ]);
    return { kept: byBook(kept.rows), scratch: byBook(scratch.rows) };
  };

  test('any sequence of order-path writes leaves every book equal to its definition', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }), async (steps) => {
        run += 1;
        const prefix = `R${run}`;
        const ids: string[] = [];
        const pick = (index: number) => ids[index % Math.max(1, ids.length)];
        const current = async (index: number) => {
          const id = pick(index);
          return id === undefined ? undefined : findOrder(database.pool, id);
        };
        for (const step of steps) {
          if (step.kind === 'intent' || step.kind === 'adopt') {
            const book = BOOKS[step.book] ?? BOOKS[0];
            const id = `${prefix}-${ids.length}`;
            ids.push(id);
            const intent: OrderIntent = {
              clientOrderId: id,
              venue: 'sim',
              market: 'spot',
              account: book.account,
              symbol: `${prefix}${book.symbol}-USDT`,
              strategy: 'grid',
              workflowId: `${prefix}-w`,
              side: step.kind === 'intent' ? step.side : 'buy',
              type: step.kind === 'intent' && step.market ? 'market' : 'limit',
              price: step.kind === 'intent' && step.market ? undefined : String(step.price),
              quantity: String(step.quantity),
            };
            if (step.kind === 'intent') await recordIntent(database.pool, intent);
            else
              await adoptVenueOrder(
                database.pool,
                {
                  venueOrderId: `v-${id}`,
                  clientOrderId: id,
                  symbol: intent.symbol,
                  side: 'buy',
                  type: 'limit',
                  price: intent.price ?? null,
                  quantity: intent.quantity,
                  filledQuantity: '0',
                  averagePrice: null,
                  fee: '0',
                  feeAsset: 'USDT',
                  status: 'open',
                  createdAt: 0,
                  updatedAt: 0,
                },
                { ...intent, strategy: 'grid' },
              );
            continue;
          }
          const row = await current(step.order);
          if (!row) continue;
          const id = row.client_order_id;
          switch (step.kind) {
            case 'claim':
              await claimSend(database.pool, row);
              break;
            case 'unknown':
              await markUnknown(database.pool, id);
              break;
            case 'abandon':
              await markAbandoned(database.pool, id);
              break;
            case 'reject':
              await recordRejection(database.pool, id, 'test');
              break;
            case 'deny':
              await denyUnsent(database.pool, id, 'test-incident');
              break;
            case 'cancel':
              await recordVenueOrder(database.pool, venueOrder(row, { status: 'canceled' }));
              break;
            case 'fill': {
              const total = Number(row.quantity);
              const filled = Math.min(total, Number(row.filled_quantity) + total * step.fraction);
              const done = filled >= total;
              await recordVenueOrder(
                database.pool,
                venueOrder(row, {
                  filledQuantity: String(filled),
                  averagePrice: row.price ?? '100',
                  status: done ? 'filled' : step.close ? 'canceled' : 'partially-filled',
                }),
              );
              break;
            }
            case 'delete':
              // Only an order with no fills can go (its fills hold it), as when a test or an operator
              // clears a stray intent.
              await database.pool.query(
                `DELETE FROM ledger_orders o WHERE client_order_id = $1
                 AND NOT EXISTS (SELECT 1 FROM ledger_fills f WHERE f.client_order_id = o.client_order_id)`,
                [id],
              );
              break;
          }
        }
        const { kept, scratch } = await readBooks(prefix);
        assert.deepEqual(kept, scratch);
      }),
      { numRuns: 40 },
    );
  });

  test('the risk picture reads the kept book: its position, live orders, mark and exposure sums', async () => {
    const order = {
      venue: 'sim',
      market: 'spot' as const,
      account: 'p',
      symbol: 'PIC-USDT',
      workflowId: 'pic-w',
    };
    const place = (id: string, side: 'buy' | 'sell', price: string, quantity: string) =>
      recordIntent(database.pool, {
        ...order,
        clientOrderId: id,
        strategy: 'grid',
        side,
        type: 'limit',
        price,
        quantity,
      });
    await place('P1', 'buy', '100', '2');
    await place('P2', 'sell', '110', '1');
    const bought = await place('P3', 'buy', '99', '3');
    await recordVenueOrder(
      database.pool,
      venueOrder(bought, { filledQuantity: '3', averagePrice: '99', status: 'filled' }),
    );
    const client = await database.pool.connect();
    try {
      const picture = await readRiskPicture(client, order, {
        maxAccountExposure: '1000000',
        maxTotalExposure: '1000000',
      });
      assert.deepEqual(
        {
          position: normal(picture.book.position),
          openBuy: normal(picture.book.openBuy),
          openSell: normal(picture.book.openSell),
          mark: normal(picture.markPrice ?? ''),
          openOrders: picture.openOrders,
        },
        { position: '3', openBuy: '2', openSell: '1', mark: '99', openOrders: 2 },
      );
      // Worst case: 3 held + 2 bought = 5, valued at the last fill, 99.
      assert.equal(normal(picture.accountExposure ?? ''), '495');
      const { rows } = await database.pool.query<{ total: string }>(
        'SELECT sum(exposure)::text AS total FROM ledger_positions',
      );
      assert.equal(picture.totalExposure, rows[0]?.total);
    } finally {
      client.release();
    }
  });
});
