import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { orchestratorControl } from '../../../api/orchestrator';
import {
  authHeader,
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';

/**
 * docs/grid.md: `outOfRange: 'cancel'` cancels every resting order when price leaves [lower, upper] and
 * lays out a new generation when it returns. Price is moved by another participant's quotes on the venue.
 */
const SYMBOL = 'OOR-USDT';

describe("grid with outOfRange 'cancel': price leaves the band, price returns", () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  const ref = testOrchestratorRef('gridoor', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  const resting = () =>
    market
      .openOrders('keel', SYMBOL)
      .map((order) => `${order.side} ${Number(order.price)}`)
      .sort();
  const restingAre = (expected: string[]) => () =>
    JSON.stringify(resting()) === JSON.stringify([...expected].sort());
  const keelIds = (): string[] => market.openOrders('keel', SYMBOL).map((order) => order.clientOrderId);
  /** Another participant's two-sided quote: the venue's mid moves to between `bid` and `ask`. */
  const quoteAround = (bid: string, ask: string) => {
    for (const order of market.openOrders('mm', SYMBOL)) market.cancelOrder('mm', { orderId: order.orderId });
    for (const [side, price] of [
      ['buy', bid],
      ['sell', ask],
    ] as const)
      market.placeOrder({ account: 'mm', symbol: SYMBOL, side, type: 'limit', quantity: '1', price });
  };
  const ledger = async () =>
    (
      await database.pool.query<{ client_order_id: string; status: string }>(
        'SELECT client_order_id, status FROM ledger_orders WHERE symbol = $1',
        [SYMBOL],
      )
    ).rows;

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'mm', 'OOR', '100');
    sim.exchange.venue('binance').deposit('spot', 'mm', 'USDT', '100000');
    const started = await startHarness({
      database: 'grid_out_of_range',
      // In-process simulator: a call is over when it returns, so absence is proven at once.
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
    });
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('every order is cancelled while price is outside, and a new generation is laid out when it returns', async () => {
    // Levels 90, 95, 100, 105, 110 around the book's mid 101 (quotes at 100.5 / 101.5): a long grid buys
    // at 95 and 90 and leaves 100, the level nearest the price, empty.
    quoteAround('100.5', '101.5');
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: {
        symbol: SYMBOL,
        config: {
          venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
          strategies: [
            {
              name: 'grid',
              params: {
                mode: 'long',
                lowerPrice: '90',
                upperPrice: '110',
                levels: 5,
                orderSize: { unit: 'base', amount: '1' },
                maxInventory: '10',
                outOfRange: 'cancel',
                pollMs: 100,
                watchMs: 2000,
              },
            },
          ],
        },
      },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor('the first generation', restingAre(['buy 90', 'buy 95']));
    const first = keelIds();

    quoteAround('120', '121'); // mid 120.5: above the band
    await waitFor('every grid order cancelled', restingAre([]));
    const cancelled = await ledger();
    assert.deepEqual(
      cancelled
        .filter((row) => first.includes(row.client_order_id))
        .map((row) => row.status)
        .sort(),
      ['canceled', 'canceled'],
      'the ledger records the cancels',
    );
    assert.equal(cancelled.length, first.length, 'nothing was placed while price was outside');
    const entry = await orchestratorControl(harness.client, ref).registered(SYMBOL);
    const state = await orchestratorControl(harness.client, ref).symbolState(entry?.workflowId ?? '');
    assert.equal(state?.status, 'running', 'out of range is not a failure');
    assert.deepEqual(state?.strategies[0]?.openOrders, []);

    quoteAround('102.5', '103.5'); // mid 103: back inside
    await waitFor('a new generation laid out', restingAre(['buy 90', 'buy 95', 'buy 100']));
    const second = keelIds();
    assert.equal(
      second.filter((id) => first.includes(id)).length,
      0,
      'the new generation has new client order ids',
    );
    const rows = await ledger();
    assert.deepEqual(
      rows
        .filter((row) => second.includes(row.client_order_id))
        .map((row) => row.status)
        .sort(),
      ['open', 'open', 'open'],
    );
    const venueIds = market.accountOrders('keel', SYMBOL).map((order) => order.clientOrderId);
    assert.deepEqual([...venueIds].sort(), rows.map((row) => row.client_order_id).sort(), 'ledger = venue');
  });
});
