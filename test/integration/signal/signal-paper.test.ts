import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ReplayEvent } from '../../../sim/replay';
import type { PaperVenues } from '../../../workers/paper-venues';
import { authHeader, readAuthHeader, testOrchestratorRef } from '../../support/harness';
import { startPaperStack, type PaperStack } from '../../support/paper-stack';
import { independentFills } from '../../support/queue-model';
import { sharedDataSet } from '../../support/shared-data';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';

const CAPTURE = 'spot_btcusdt_20240808.gz';
const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [CAPTURE]);
const SYMBOL = 'BTC-USDT';
const ACCOUNT = 'paper1';
/** Maker entries with a fill the test waits for (and compares, with every unfilled one settled by then). */
const FILLED_ENTRIES = 2;

const toTicks = (price: string) => Math.round(Number(price) * 100);
const toLots = (qty: string) => (Number(qty) <= 0 ? 0 : Math.round(Number(qty) / 0.00001));

describe(
  'the signal strategy on a replayed Binance capture: maker entries fill as the recorded queue allows',
  CAPTURES.options,
  () => {
    let stack: PaperStack | undefined;
    let paper: PaperVenues | undefined;
    let database: TestDatabase;
    let app: FastifyInstance;
    let events: ReplayEvent[];

    before(async () => {
      stack = await startPaperStack({
        database: 'signal_paper',
        orchestrator: testOrchestratorRef('sigpaper', { shardCount: 1 }),
        capture: CAPTURES.path(CAPTURE),
        symbol: SYMBOL,
        account: ACCOUNT,
        speed: 2,
        balances: "{ USDT: '100000', BTC: '1' }",
      });
      ({ paper, database, app, events } = stack);
    });
    after(() => stack?.stop());

    test('each maker entry filled what the queue model computes from the recording and its own sells', async () => {
      const added = await app.inject({
        method: 'POST',
        url: '/symbols',
        headers: authHeader,
        payload: {
          symbol: SYMBOL,
          config: {
            venues: [{ venue: 'binance', market: 'spot', account: ACCOUNT }],
            strategies: [
              {
                name: 'signal',
                params: {
                  maxPosition: '0.002',
                  execution: 'maker',
                  makerWaitMs: 4_000,
                  cooldownMs: 200,
                  generator: { kind: 'imbalance', decayMs: 1_000 },
                },
              },
            ],
          },
        },
      });
      assert.equal(added.statusCode, 201, added.body);
      const market = paper!.exchange.market('binance', 'spot');
      const { driver } = paper!.replays[0]!;
      const isEntry = (order: { postOnly: boolean; side: string }) => order.postOnly && order.side === 'buy';
      const settled = await waitFor(
        `${FILLED_ENTRIES} maker entries with a fill settled`,
        () => {
          const closed = market
            .accountOrders(ACCOUNT, SYMBOL)
            .filter((order) => isEntry(order) && !['NEW', 'PARTIALLY_FILLED'].includes(order.status));
          return closed.filter((order) => Number(order.filledQuantity) > 0).length >= FILLED_ENTRIES
            ? closed
            : undefined;
        },
        150_000,
      );
      const orders = market.accountOrders(ACCOUNT, SYMBOL);
      // The strategy's own taking sells, as trades in the recording at the moment the engine matched them.
      const ownSells = orders
        .filter((order) => !order.postOnly && order.side === 'sell' && Number(order.filledQuantity) > 0)
        .map((order) => ({ at: order.createdAt, price: order.price!, qty: order.filledQuantity }));
      const timeline = (order: { createdAt: number; updatedAt: number }) => {
        // The engine's clock moves in steps: everything at or before a step's time has been played when an
        // order arrives at it, and nothing after.
        const merged: ReplayEvent[] = [];
        let own = 0;
        const sorted = [...ownSells].sort((a, b) => a.at - b.at);
        for (const event of events) {
          while (own < sorted.length && sorted[own]!.at < driver.simulatedTime(event.ts)) {
            const sell = sorted[own++]!;
            merged.push({
              kind: 'trade',
              ts: driver.recordingTime(sell.at),
              price: sell.price,
              qty: sell.qty,
              takerSide: 'sell',
            });
          }
          merged.push(event);
        }
        const from = merged.findIndex((event) => driver.simulatedTime(event.ts) > order.createdAt);
        const until = merged.findIndex((event) => driver.simulatedTime(event.ts) > order.updatedAt);
        return { merged, from, until };
      };
      let filledEntries = 0;
      for (const entry of settled) {
        const { merged, from, until } = timeline(entry);
        assert.ok(
          from >= 0 && until >= from,
          `${entry.clientOrderId}: placed at event ${from}, closed by ${until}`,
        );
        const model = independentFills(
          merged.slice(0, until),
          from,
          { price: toTicks(entry.price!), lots: toLots(entry.quantity) },
          toTicks,
          toLots,
        );
        const modelLots = model.at(-1) ?? 0;
        assert.equal(
          toLots(entry.filledQuantity),
          modelLots,
          `${entry.clientOrderId} (${entry.quantity} at ${entry.price}, ${entry.status}): engine and queue model`,
        );
        if (modelLots > 0) filledEntries++;
      }
      console.log(
        `[signal-paper] ${settled.length} maker entries settled, ${filledEntries} filled in part or whole`,
      );

      // Paused, the strategy places nothing more (and cancels a resting entry): then the ledger has every
      // order and fill as the venue does, and the strategy's position is their sum.
      const paused = await app.inject({
        method: 'POST',
        url: `/symbols/${SYMBOL}/pause`,
        headers: authHeader,
      });
      assert.equal(paused.statusCode, 200, paused.body);
      await waitFor(
        'the ledger and the position agree with the venue',
        async () => {
          const state = (
            await app.inject({ method: 'GET', url: `/symbols/${SYMBOL}`, headers: readAuthHeader })
          ).json<{ strategies: Array<{ state: { position: string; entry?: unknown } }> }>().strategies[0]
            ?.state;
          assert.ok(state && !state.entry, 'no entry resting');
          const venueOrders = market.accountOrders(ACCOUNT, SYMBOL);
          const { rows } = await database.pool.query<{ client_order_id: string; filled: string }>(
            `SELECT client_order_id, filled_quantity::text AS filled FROM ledger_orders
              WHERE symbol = $1 AND strategy = 'signal'`,
            [SYMBOL],
          );
          assert.ok(rows.length >= settled.length);
          for (const order of venueOrders) {
            const row = rows.find((ledger) => ledger.client_order_id === order.clientOrderId);
            assert.ok(row, `${order.clientOrderId} is in the ledger`);
            assert.equal(
              toLots(row.filled),
              toLots(order.filledQuantity),
              `${order.clientOrderId} in the ledger`,
            );
          }
          const net = venueOrders.reduce(
            (sum, order) => sum + (order.side === 'buy' ? 1 : -1) * toLots(order.filledQuantity),
            0,
          );
          assert.equal(
            toLots(state.position.replace('-', '')) * (state.position.startsWith('-') ? -1 : 1),
            net,
          );
          return true;
        },
        30_000,
        200,
      );
    });
  },
);
