import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { PoolClient } from 'pg';
import { takePerformanceSnapshot } from '../../../db/performance';
import { performanceHistory } from '../../../db/performance-history';
import { withClient } from '../../../db/pool';
import { exportTrades } from '../../../db/trade-export';
import { ensurePerformanceSchedule } from '../../../workers/performance-schedule';
import {
  readAuthHeader,
  startHarness,
  TEST_API_READ_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

/**
 * Performance history: snapshots of each symbol and strategy folded from the ledger's fills (exactly once
 * each, none skipped by a fill whose transaction commits late), the schedule that takes them, and their
 * CSV and JSON views with the figures computed by hand here.
 */
const SYMBOL = 'PRF-USDT';
const OTHER = 'PRO-USDT';

let sequence = 0;
/** A filled order and its one fill, written as the ledger writes them (order first, same transaction). */
async function fill(
  client: Pick<PoolClient, 'query'>,
  order: {
    symbol?: string;
    side: 'buy' | 'sell';
    quantity: string;
    price: string;
    fee: string;
    feeAsset: string;
  },
) {
  const id = `perf-${++sequence}`;
  await client.query(
    `INSERT INTO ledger_orders (client_order_id, venue, market, account, symbol, strategy, workflow_id, side,
       order_type, price, quantity, status, filled_quantity, average_price, fee, fee_asset)
     VALUES ($1, 'binance', 'spot', 'keel', $2, 'grid', 'wf', $3, 'limit', $4, $5, 'filled', $5, $4, $6, $7)`,
    [id, order.symbol ?? SYMBOL, order.side, order.price, order.quantity, order.fee, order.feeAsset],
  );
  await client.query(
    `INSERT INTO ledger_fills (client_order_id, symbol, strategy, side, quantity, price, cumulative_quantity)
     VALUES ($1, $2, 'grid', $3, $4, $5, $4)`,
    [id, order.symbol ?? SYMBOL, order.side, order.quantity, order.price],
  );
}

describe('performance snapshots from the ledger', () => {
  let harness: Harness;
  let database: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  const t1 = new Date('2026-12-01T10:00:00Z');
  const t2 = new Date('2026-12-01T10:01:00Z');
  const range = 'from=2026-12-01T09:00:00Z&to=2026-12-01T11:00:00Z';

  const snapshotRows = async (symbol = SYMBOL) =>
    (
      await database.pool.query<Record<string, unknown>>(
        `SELECT taken_at, position::text, average_price::text, mark_price::text, realized_pnl::text,
                unrealized_pnl::text, fees::text, volume::text, fills
         FROM performance_snapshots WHERE symbol = $1 ORDER BY taken_at`,
        [symbol],
      )
    ).rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          v instanceof Date ? v.toISOString() : typeof v === 'string' ? String(Number(v)) : v,
        ]),
      ),
    );

  before(async () => {
    const started = await startHarness({
      database: 'performance',
      orchestrator: testOrchestratorRef('performance', { shardCount: 1 }),
    });
    harness = started;
    ({ app, database } = started);
    base = new URL(await app.listen({ host: '127.0.0.1', port: 0 })).origin;
  });
  after(() => harness.stop());

  test('fills folded by average cost with fees in quote; a retried snapshot records nothing twice', async () => {
    // Buy 2 at 100 (fee 0.002 PRF = 0.2 USDT at 100), sell 1 at 110 (fee 0.11 USDT): realized +10.
    await fill(database.pool, { side: 'buy', quantity: '2', price: '100', fee: '0.002', feeAsset: 'PRF' });
    await fill(database.pool, { side: 'sell', quantity: '1', price: '110', fee: '0.11', feeAsset: 'USDT' });
    assert.deepEqual(await takePerformanceSnapshot(database.pool, t1), { books: 1, moved: 1 });
    // Buy 1 at 90 (fee 0.09 USDT): 2 held at an average of 95, marked at 90.
    await fill(database.pool, { side: 'buy', quantity: '1', price: '90', fee: '0.09', feeAsset: 'USDT' });
    await takePerformanceSnapshot(database.pool, t2);
    const expected = [
      {
        taken_at: t1.toISOString(),
        position: '1',
        average_price: '100',
        mark_price: '110',
        realized_pnl: '10',
        unrealized_pnl: '10', // 1 × (110 − 100)
        fees: '0.31',
        volume: '310',
        fills: 2,
      },
      {
        taken_at: t2.toISOString(),
        position: '2',
        average_price: '95',
        mark_price: '90',
        realized_pnl: '10',
        unrealized_pnl: '-10', // 2 × (90 − 95)
        fees: '0.4',
        volume: '400',
        fills: 3,
      },
    ];
    assert.deepEqual(await snapshotRows(), expected);

    // The activity retried (same time): nothing recorded again, no fill folded twice.
    assert.deepEqual(await takePerformanceSnapshot(database.pool, t2), { books: 0, moved: 0 });
    assert.deepEqual(await snapshotRows(), expected);
  });

  test('a fill whose transaction commits after a later one is folded, not skipped', async () => {
    const before = (await snapshotRows(OTHER)).length;
    await withClient(database.pool, async (slow) => {
      await slow.query('BEGIN');
      // Draws the smaller fill id, then stays open while a later fill commits.
      await fill(slow, {
        symbol: OTHER,
        side: 'buy',
        quantity: '1',
        price: '50',
        fee: '0',
        feeAsset: 'USDT',
      });
      await fill(database.pool, {
        symbol: OTHER,
        side: 'buy',
        quantity: '3',
        price: '60',
        fee: '0',
        feeAsset: 'USDT',
      });
      let done = false;
      const snapshot = takePerformanceSnapshot(database.pool, new Date('2026-12-01T10:02:00Z')).finally(
        () => (done = true),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(done, false, 'the snapshot waits for the open transaction');
      await slow.query('COMMIT');
      await snapshot;
    });
    const rows = await snapshotRows(OTHER);
    assert.equal(rows.length, before + 1);
    // Both fills: 4 held at (50 + 180) / 4 = 57.5.
    assert.equal(rows.at(-1)!.position, '4');
    assert.equal(rows.at(-1)!.average_price, '57.5');
    assert.equal(rows.at(-1)!.fills, 2);
  });

  test('CSV per strategy, per symbol and in total; JSON for the dashboard; the CLI prints the same', async () => {
    const csv = async (query: string) => {
      const response = await fetch(`${base}/exports/performance.csv?${query}`, { headers: readAuthHeader });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.text()).trimEnd().split('\r\n');
    };
    assert.deepEqual(await csv(`symbol=${SYMBOL}&${range}`), [
      'time,symbol,strategy,position,realized_pnl,unrealized_pnl,fees,net_pnl,volume,fills',
      `${t1.toISOString()},${SYMBOL},grid,1,10,10,0.31,19.69,310,2`,
      `${t2.toISOString()},${SYMBOL},grid,2,10,-10,0.4,-0.4,400,3`,
      // Recorded again with the other symbol's snapshot, unchanged.
      `2026-12-01T10:02:00.000Z,${SYMBOL},grid,2,10,-10,0.4,-0.4,400,3`,
    ]);
    // Totals at 10:02, when both books were recorded: PRF-USDT's row as at t2 plus PRO-USDT's
    // (4 × (60 − 57.5) = 10 unrealized, 230 volume).
    const total = await csv(`by=total&${range}`);
    assert.equal(total.at(-1), '2026-12-01T10:02:00.000Z,,,,10,0,0.4,9.6,630,5');
    const bySymbol = await csv(`by=symbol&${range}`);
    assert.ok(bySymbol.includes(`2026-12-01T10:02:00.000Z,${OTHER},,4,0,10,0,10,230,2`), bySymbol.join('\n'));

    const points = await app.inject({
      url: `/symbols/${SYMBOL}/performance?${range}`,
      headers: readAuthHeader,
    });
    assert.equal(points.statusCode, 200, points.body);
    const series = points.json<{ points: Array<{ time: number; netPnl: string }> }>().points;
    assert.deepEqual(
      series.map((point) => [new Date(point.time * 1000).toISOString(), point.netPnl]),
      [
        [t1.toISOString(), '19.69'],
        [t2.toISOString(), '-0.4'],
        ['2026-12-01T10:02:00.000Z', '-0.4'],
      ],
    );

    const cli = await new Promise<{ status: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/export.ts',
          'performance',
          '--by',
          'total',
          '--from',
          '2026-12-01T09:00:00Z',
          '--to',
          '2026-12-01T11:00:00Z',
        ],
        {
          cwd: join(import.meta.dirname, '../../..'),
          env: { ...process.env, KEEL_API_URL: base, KEEL_API_READ_TOKEN: TEST_API_READ_TOKEN },
        },
        (error, stdout) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout }),
      ),
    );
    assert.equal(cli.status, 0);
    assert.deepEqual(cli.stdout.trimEnd().split('\r\n'), total);
  });

  test('read page by page, every grouping gives what one page gives', async () => {
    const range = {
      symbol: undefined,
      from: new Date('2026-12-01T09:00:00Z'),
      to: new Date('2026-12-01T11:00:00Z'),
    };
    for (const by of ['strategy', 'symbol', 'total'] as const) {
      const all = [];
      for await (const row of performanceHistory(database.pool, { ...range, by })) all.push(row);
      const paged = [];
      for await (const row of performanceHistory(database.pool, { ...range, by }, 1)) paged.push(row);
      assert.ok(all.length >= 3, `${by}: ${all.length} rows`);
      assert.deepEqual(paged, all, by);
    }
    // The trades export pages the same way, on the fill id.
    const trades = { symbol: undefined, from: new Date(0), to: new Date(Date.now() + 60_000) };
    const allTrades = [];
    for await (const trade of exportTrades(database.pool, trades)) allTrades.push(trade);
    const pagedTrades = [];
    for await (const trade of exportTrades(database.pool, trades, 1)) pagedTrades.push(trade);
    assert.ok(allTrades.length >= 5);
    assert.deepEqual(pagedTrades, allTrades);
  });

  test('bad input is refused with a reason', async () => {
    const refused = async (url: string, headers: Record<string, string> = readAuthHeader) => {
      const response = await app.inject({ url, headers });
      return { status: response.statusCode, message: response.json<{ message: string }>().message };
    };
    const backwards = await refused(
      '/exports/performance.csv?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z',
    );
    assert.equal(backwards.status, 400);
    assert.match(backwards.message, /must be before to/);
    assert.equal((await refused('/exports/performance.csv?by=week')).status, 400);
    const unknown = await refused('/exports/performance.csv?symbol=NOPE-USDT');
    assert.equal(unknown.status, 404);
    assert.match(unknown.message, /nothing of NOPE-USDT/);
    assert.equal((await refused(`/symbols/${SYMBOL}/performance?from=yesterday`)).status, 400);
    assert.equal((await refused('/exports/performance.csv', {})).status, 401);
  });

  test('the schedule takes snapshots by itself', async () => {
    const { pool } = database;
    const latest = async () =>
      (await pool.query<{ at: Date | null }>('SELECT max(taken_at) AS at FROM performance_snapshots'))
        .rows[0]!.at;
    const since = new Date();
    const scheduleId = uniqueName('performance-schedule');
    await ensurePerformanceSchedule(harness.client, {
      taskQueue: harness.taskQueue,
      everyMs: 1000,
      scheduleId,
    });
    try {
      // Called again at the next start: one schedule, brought in line.
      await ensurePerformanceSchedule(harness.client, {
        taskQueue: harness.taskQueue,
        everyMs: 1000,
        scheduleId,
      });
      await waitFor('a scheduled snapshot', async () => ((await latest()) ?? new Date(0)) >= since, 30_000);
      await fill(pool, { side: 'sell', quantity: '2', price: '100', fee: '0', feeAsset: 'USDT' });
      const afterFill = new Date();
      await waitFor(
        'the sell in a scheduled snapshot',
        async () => {
          const { rows } = await pool.query(
            `SELECT 1 FROM performance_snapshots WHERE symbol = $1 AND taken_at > $2 AND position = 0
             AND realized_pnl = 20`,
            [SYMBOL, afterFill],
          );
          return rows.length > 0;
        },
        30_000,
      );
    } finally {
      await harness.client.schedule.getHandle(scheduleId).delete();
    }
  });
});
