import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { orchestratorControl } from '../../../api/orchestrator';
import { createSimWorld, testOrchestratorRef, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { addThroughApi, gridConfig, gridParams, restingAre as restingOn, startGridHarness } from './grid-kit';

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

  const restingAre = (expected: string[]) => restingOn(market, SYMBOL, expected);
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
  /** The ledger's statuses of `ids`, sorted. */
  const statusesOf = async (ids: string[]) =>
    (await ledger())
      .filter((row) => ids.includes(row.client_order_id))
      .map((row) => row.status)
      .sort();

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'mm', 'OOR', '100');
    sim.exchange.venue('binance').deposit('spot', 'mm', 'USDT', '100000');
    const started = await startGridHarness('grid_out_of_range', sim.connectors, ref);
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('every order is cancelled while price is outside, and a new generation is laid out when it returns', async () => {
    // Levels 90, 95, 100, 105, 110 around the book's mid 101 (quotes at 100.5 / 101.5): a long grid buys
    // at 95 and 90 and leaves 100, the level nearest the price, empty.
    quoteAround('100.5', '101.5');
    await addThroughApi(app, SYMBOL, gridConfig('spot', gridParams({ outOfRange: 'cancel' })));
    await waitFor('the first generation', restingAre(['buy 90', 'buy 95']));
    const first = keelIds();

    quoteAround('120', '121'); // mid 120.5: above the band
    await waitFor('every grid order cancelled', restingAre([]));
    // The venue cancels first and the ledger records its answer right after: wait for that write.
    await waitFor(
      'the ledger to record the cancels',
      async () => JSON.stringify(await statusesOf(first)) === '["canceled","canceled"]',
    );
    assert.equal((await ledger()).length, first.length, 'nothing was placed while price was outside');
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
    assert.deepEqual(await statusesOf(second), ['open', 'open', 'open']);
    const rows = await ledger();
    const venueIds = market.accountOrders('keel', SYMBOL).map((order) => order.clientOrderId);
    assert.deepEqual([...venueIds].sort(), rows.map((row) => row.client_order_id).sort(), 'ledger = venue');
  });
});
