import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ReplayEvent } from '../../../sim/replay';
import type { PaperVenues } from '../../../workers/paper-venues';
import { authHeader, testOrchestratorRef } from '../../support/harness';
import { startPaperStack, type PaperStack } from '../../support/paper-stack';
import { independentFills } from '../../support/queue-model';
import { sharedDataSet } from '../../support/shared-data';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { gridParams } from '../grid/grid-kit';

const CAPTURE = 'spot_btcusdt_20240808.gz';
const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [CAPTURE]);
const SYMBOL = 'BTC-USDT';
const ACCOUNT = 'paper1';

// The recording opens near 61,837 and falls to about 61,590 within six minutes: a long grid below the price
// buys on the way down. At 5 times the recorded speed the six minutes take about 70 s: the replay starts
// with the paper venue, before the worker and the grid, and must still be running when the grid has laid out
// (on a loaded machine that takes many seconds).
const grid = {
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: ACCOUNT }],
  strategies: [
    {
      name: 'grid',
      params: gridParams({
        lowerPrice: '61600',
        upperPrice: '61850',
        levels: 6,
        orderSize: { unit: 'base', amount: '0.01' },
        maxInventory: '1',
      }),
    },
  ],
};

describe(
  'paper venue: the grid on a replayed Binance capture, fills as the recording allows',
  CAPTURES.options,
  () => {
    let stack: PaperStack | undefined;
    let paper: PaperVenues | undefined;
    let database: TestDatabase;
    let app: FastifyInstance;
    let events: ReplayEvent[];

    before(async () => {
      stack = await startPaperStack({
        database: 'paper',
        orchestrator: testOrchestratorRef('paper', { shardCount: 1 }),
        capture: CAPTURES.path(CAPTURE),
        symbol: SYMBOL,
        account: ACCOUNT,
        speed: 5,
        balances: "{ USDT: '100000', BTC: '1' }",
      });
      ({ paper, database, app, events } = stack);
    });
    after(() => stack?.stop());

    test('the first fill is the one the queue model computes from the recording alone', async () => {
      const added = await app.inject({
        method: 'POST',
        url: '/symbols',
        headers: authHeader,
        payload: { symbol: SYMBOL, config: grid },
      });
      assert.equal(added.statusCode, 201, added.body);
      const market = paper!.exchange.market('binance', 'spot');
      const inst = market.instrument(SYMBOL);
      const { driver } = paper!.replays[0]!;

      // The layout: every buy the grid placed before anything filled, highest first.
      const laidOut = await waitFor('the grid laid out', () => {
        const open = market.openOrders(ACCOUNT, SYMBOL);
        return open.length >= 4 ? open : undefined;
      });
      const firstFill = await waitFor(
        'a fill from the recording',
        () => market.accountFills(ACCOUNT, SYMBOL)[0],
        60_000,
      );
      const highest = [...laidOut].sort((a, b) => Number(b.price) - Number(a.price))[0]!;
      assert.equal(firstFill.clientOrderId, highest.clientOrderId, 'the highest buy fills first');

      // The same order in the model: placed after every event the engine had played when it landed, and
      // followed event by event to the last one the engine had played when the fill happened.
      const from = events.findIndex((event) => driver.simulatedTime(event.ts) > highest.createdAt);
      const until = events.findIndex((event) => driver.simulatedTime(event.ts) > firstFill.ts);
      const model = independentFills(
        events.slice(0, until),
        from,
        { price: Number(inst.parsePrice(highest.price!)), lots: Number(inst.parseQty(highest.quantity)) },
        (price) => Number(inst.parsePrice(Number(price).toFixed(2))),
        (qty) => (Number(qty) <= 0 ? 0 : Math.round(Number(qty) / 0.00001)),
      );
      const filledThen = market
        .accountFills(ACCOUNT, SYMBOL)
        .filter((fill) => fill.clientOrderId === highest.clientOrderId && fill.ts <= firstFill.ts)
        .reduce((lots, fill) => lots + Number(inst.parseQty(fill.quantity)), 0);
      assert.ok(from > 0 && until > from, `placed at event ${from}, filled by event ${until}`);
      assert.equal(model.at(-1), filledThen, 'filled lots at the fill: model and engine');
      // The engine plays the events of each clock step at once (every 100 ms, later on a loaded machine): the
      // model's fill falls in the step that filled the order.
      const modelFilledAt = events[model.findIndex((lots) => lots > 0) + from]!;
      const lagMs = firstFill.ts - driver.simulatedTime(modelFilledAt.ts);
      assert.ok(
        lagMs >= 0 && lagMs < 3_000,
        `the engine filled ${lagMs} ms of simulated time after the model`,
      );
    });

    test('every fill is recorded in the ledger, at the order price or better', async () => {
      const market = paper!.exchange.market('binance', 'spot');
      const fills = market.accountFills(ACCOUNT, SYMBOL);
      await waitFor('the ledger has every fill', async () => {
        const { rows } = await database.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM ledger_fills WHERE symbol = $1',
          [SYMBOL],
        );
        return (rows[0]?.n ?? 0) >= fills.length;
      });
      for (const fill of fills) {
        const order = market
          .accountOrders(ACCOUNT, SYMBOL)
          .find((o) => o.clientOrderId === fill.clientOrderId);
        assert.ok(order?.price, `the order of ${fill.clientOrderId}`);
        if (fill.side === 'buy')
          assert.ok(Number(fill.price) <= Number(order.price), `${fill.price} ≤ ${order.price}`);
        else assert.ok(Number(fill.price) >= Number(order.price), `${fill.price} ≥ ${order.price}`);
      }
    });
  },
);
