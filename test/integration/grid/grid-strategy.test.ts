import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { findOrder, recordIntent } from '../../../db/order-ledger';
import { takerOrder } from '../../../workers/sim-world';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { gridConfig as exampleGridConfig, gridParams } from './grid-kit';

const SYMBOL = 'GRD-USDT';

// Levels 90, 95, 100, 105, 110. No book yet, so the grid lays out around referencePrice 101: the level
// nearest it (100) stays empty, a long grid buys at 95 and 90 and sells nothing.
const gridConfig = exampleGridConfig('spot', gridParams({ referencePrice: '101' }));

describe('grid strategy end to end: orchestrator → symbol workflow → exactly-once orders → ledger', () => {
  const sim = createSimWorld([SYMBOL]);
  const venue = sim.exchange.venue('binance');
  const market = sim.exchange.market('binance', 'spot');
  const keel = sim.connectors('binance', 'spot', 'keel');
  const ref = testOrchestratorRef('grid', { shardCount: 2 });
  const taskQueue = uniqueName('grid');
  let database: TestDatabase;
  let app: FastifyInstance;
  let stack: Harness | undefined;

  const resting = async () =>
    (await keel.openOrders(SYMBOL)).map((order) => `${order.side} ${order.price}`).sort();
  const take = (side: 'buy' | 'sell', price: string) => takerOrder(market, { symbol: SYMBOL, side, price });

  before(async () => {
    venue.deposit('spot', 'taker', 'GRD', '100');
    venue.deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'grid',
      taskQueue,
      // In-process simulator: a call is over when it returns, so absence is proven at once.
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
    });
    stack = started;
    ({ database, app } = started);
  });
  after(() => stack?.stop());

  test('lays out, replaces each filled level one step over, and keeps ledger and venue identical', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol: SYMBOL, config: gridConfig },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      'the initial buys',
      async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'buy 95']),
    );

    take('sell', '95'); // fills the grid's 95 buy → it sells that unit one level up, at 100
    await waitFor(
      'the sell one level up',
      async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'sell 100']),
    );

    take('buy', '100'); // fills that sell → the 95 level is bought again, under a new client order id
    await waitFor(
      'the level bought back',
      async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'buy 95']),
    );

    const venueOrders = market.accountOrders('keel', SYMBOL);
    const ids = venueOrders.map((order) => order.clientOrderId);
    assert.equal(new Set(ids).size, ids.length, 'no client order id placed twice');
    assert.equal(ids.length, 4); // buy 95, buy 90, sell 100, buy 95 again

    const { rows } = await database.pool.query<{
      client_order_id: string;
      status: string;
      side: string;
      price: string;
    }>(
      `SELECT client_order_id, status, side, price::text FROM ledger_orders WHERE symbol = $1 ORDER BY created_at`,
      [SYMBOL],
    );
    assert.deepEqual(rows.map((row) => row.client_order_id).sort(), [...ids].sort(), 'ledger = venue');
    assert.deepEqual(
      rows.map((row) => `${row.side} ${Number(row.price)} ${row.status}`),
      ['buy 95 filled', 'buy 90 open', 'sell 100 filled', 'buy 95 open'],
    );
    const fills = await database.pool.query<{ side: string; quantity: string; price: string }>(
      `SELECT side, quantity::text, price::text FROM ledger_fills WHERE symbol = $1 ORDER BY id`,
      [SYMBOL],
    );
    assert.deepEqual(
      fills.rows.map((fill) => `${fill.side} ${Number(fill.quantity)}@${Number(fill.price)}`),
      ['buy 1@95', 'sell 1@100'],
    );
  });

  test('the API shows the ledger: orders, fills, and the position with its realized PnL', async () => {
    const orders = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/orders`,
      headers: readAuthHeader,
    });
    assert.equal(orders.statusCode, 200, orders.body);
    assert.equal(orders.json<{ orders: unknown[] }>().orders.length, 4);
    const open = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/orders?status=open`,
      headers: readAuthHeader,
    });
    assert.deepEqual(
      open
        .json<{ orders: Array<{ side: string; price: string }> }>()
        .orders.map((o) => `${o.side} ${Number(o.price)}`)
        .sort(),
      ['buy 90', 'buy 95'],
    );
    const fills = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/fills`,
      headers: readAuthHeader,
    });
    assert.equal(fills.json<{ fills: unknown[] }>().fills.length, 2);
    // Bought 1 @ 95, sold 1 @ 100: flat, realized 5.
    const positions = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/positions`,
      headers: readAuthHeader,
    });
    assert.deepEqual(positions.json(), {
      positions: [{ strategy: 'grid', quantity: '0', averagePrice: '0', realizedPnl: '5', fills: 2 }],
    });
    for (const url of [
      `/symbols/${SYMBOL}/orders?status=bogus`,
      `/symbols/${SYMBOL}/fills?limit=abc`,
      '/symbols/not-a-symbol!/orders',
    ]) {
      const bad = await app.inject({ method: 'GET', url, headers: readAuthHeader });
      assert.equal(bad.statusCode, 400, `${url}: ${bad.body}`);
      assert.ok(bad.json<{ message: string }>().message.length > 0);
    }
  });

  test('new params cancel the old generation and lay out the new one, nothing left behind', async () => {
    const config = structuredClone(gridConfig);
    // Levels 80, 85, 90, 95, 100 around 101: the gap is at 100, buys at 95, 90, 85 and 80.
    Object.assign(config.strategies[0]!.params, { lowerPrice: '80', upperPrice: '100' });
    const updated = await app.inject({
      method: 'PUT',
      url: `/symbols/${SYMBOL}`,
      headers: authHeader,
      payload: { config },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    await waitFor(
      'the new generation, and only it, resting',
      async () =>
        JSON.stringify(await resting()) === JSON.stringify(['buy 80', 'buy 85', 'buy 90', 'buy 95']),
    );
    const { rows } = await database.pool.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM ledger_orders WHERE symbol = $1 GROUP BY status ORDER BY status`,
      [SYMBOL],
    );
    // The first generation's two resting buys were cancelled; four new ones rest.
    assert.deepEqual(
      rows.map((row) => `${row.status} ${row.n}`),
      ['canceled 2', 'filled 2', 'open 4'],
    );
  });

  test('pause and resume reconcile with the venue: a stray of ours is cancelled and recorded, a stale intent abandoned', async () => {
    const { rows } = await database.pool.query<{ client_order_id: string }>(
      'SELECT client_order_id FROM ledger_orders WHERE symbol = $1 LIMIT 1',
      [SYMBOL],
    );
    const prefix = rows[0]!.client_order_id.slice(0, 15); // the symbol chain's 14 characters + the slot
    const strayId = `${prefix}zzzzzz001`;
    const staleId = `${prefix}zzzzzz002`;
    // On the venue under the grid's prefix, unknown to plan and ledger (as after restoring an old backup).
    market.placeOrder({
      account: 'keel',
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      price: '70',
      quantity: '1',
      clientOrderId: strayId,
    });
    // Recorded by some earlier run, never sent, tracked by nobody.
    await recordIntent(database.pool, {
      clientOrderId: staleId,
      venue: 'binance',
      market: 'spot',
      account: 'keel',
      symbol: SYMBOL,
      strategy: 'grid',
      workflowId: 'an-earlier-run',
      side: 'buy',
      type: 'limit',
      price: '75',
      quantity: '1',
    });

    const paused = await app.inject({ method: 'POST', url: `/symbols/${SYMBOL}/pause`, headers: authHeader });
    assert.equal(paused.statusCode, 200, paused.body);
    await waitFor('nothing resting while paused', async () => (await resting()).length === 0);
    await waitFor(
      'the stray recorded as cancelled and the stale intent abandoned',
      async () =>
        (await findOrder(database.pool, strayId))?.status === 'canceled' &&
        (await findOrder(database.pool, staleId))?.status === 'abandoned',
    );

    const resumed = await app.inject({
      method: 'POST',
      url: `/symbols/${SYMBOL}/resume`,
      headers: authHeader,
    });
    assert.equal(resumed.statusCode, 200, resumed.body);
    await waitFor(
      'the plan laid out again, and nothing else',
      async () =>
        JSON.stringify(await resting()) === JSON.stringify(['buy 80', 'buy 85', 'buy 90', 'buy 95']),
    );
  });

  test('removing the symbol cancels every grid order before its workflow completes', async () => {
    const shown = await app.inject({ method: 'GET', url: `/symbols/${SYMBOL}`, headers: authHeader });
    const { workflowId } = shown.json<{ workflowId: string }>();
    const removed = await app.inject({ method: 'DELETE', url: `/symbols/${SYMBOL}`, headers: authHeader });
    assert.ok(removed.statusCode < 300, removed.body);
    // Once the workflow has completed, its cancels are on the venue and in the ledger.
    await stack!.client.workflow.getHandle(workflowId).result();
    assert.deepEqual(await resting(), [], 'no resting grid orders');
    const { rows } = await database.pool.query<{ status: string }>(
      `SELECT status FROM ledger_orders WHERE symbol = $1 AND status IN ('open', 'partially-filled', 'intent', 'sending', 'unknown')`,
      [SYMBOL],
    );
    assert.deepEqual(rows, [], 'nothing left open or unknown in the ledger');
  });
});

describe('grid strategy across continue-as-new: no order lost or placed twice', () => {
  const symbol = 'CAN-USDT';
  const sim = createSimWorld([symbol]);
  const market = sim.exchange.market('binance', 'spot');
  const keel = sim.connectors('binance', 'spot', 'keel');
  // Shards and symbol workflows continue-as-new every 50 history events: several times in this test.
  const ref = testOrchestratorRef('gridcan', { shardCount: 1, shardMaxHistoryEvents: 50 });
  const taskQueue = uniqueName('gridcan');
  let database: TestDatabase;
  let client: Client;
  let app: FastifyInstance;
  let stack: Harness | undefined;

  const resting = async () =>
    (await keel.openOrders(symbol)).map((order) => `${order.side} ${order.price}`).sort();
  const runsOfSymbolWorkflow = async () => {
    let runs = 0;
    for await (const _ of client.workflow.list({
      query: `WorkflowId = "${ref.input?.idPrefix ?? ''}symbol:${symbol}"`,
    }))
      runs += 1;
    return runs;
  };

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'taker', 'CAN', '100');
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'gridcan',
      taskQueue,
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
    });
    stack = started;
    ({ database, client, app } = started);
  });
  after(() => stack?.stop());

  test('four fill rounds spread over several runs keep one order per level and ledger = venue', async () => {
    const config = structuredClone(gridConfig);
    const grid = config.strategies[0]!.params;
    grid.watchMs = 1000;
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol, config },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      'the initial buys',
      async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'buy 95']),
    );

    for (let round = 1; round <= 4; round += 1) {
      // Let the symbol workflow continue-as-new at least once between rounds.
      const runsBefore = await runsOfSymbolWorkflow();
      await waitFor(
        `a new run before round ${round}`,
        async () => (await runsOfSymbolWorkflow()) > runsBefore,
        60_000,
      );
      takerOrder(market, { symbol, side: 'sell', price: '95' });
      await waitFor(
        `round ${round}: sell one level up`,
        async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'sell 100']),
      );
      takerOrder(market, { symbol, side: 'buy', price: '100' });
      await waitFor(
        `round ${round}: level bought back`,
        async () => JSON.stringify(await resting()) === JSON.stringify(['buy 90', 'buy 95']),
      );
    }

    assert.ok(
      (await runsOfSymbolWorkflow()) >= 5,
      'the symbol workflow continued-as-new between every round',
    );
    const ids = market.accountOrders('keel', symbol).map((order) => order.clientOrderId);
    // buy 90 once; buy 95 five times (first + after each round); sell 100 four times.
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, ids.length, 'no client order id placed twice');
    const { rows } = await database.pool.query<{ client_order_id: string }>(
      'SELECT client_order_id FROM ledger_orders WHERE symbol = $1',
      [symbol],
    );
    assert.deepEqual(rows.map((row) => row.client_order_id).sort(), [...ids].sort(), 'ledger = venue');
  });
});
