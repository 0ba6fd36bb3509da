import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { takerOrder } from '../../../workers/sim-world';
import { createSimWorld, readAuthHeader, testOrchestratorRef, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { addThroughApi, gridConfig, gridParams, restingAre as restingOn, startGridHarness } from './grid-kit';

/**
 * A grid on a perpetual (market 'perp'): orders on the simulator's perp book, fills, and the position the
 * venue holds equal to the one the ledger's fills add up to. A neutral grid sells above the price without
 * holding anything: on a perp that opens a short.
 */
const SYMBOL = 'PRP-USDT';

describe('grid on a perpetual: orders, fills, and the venue position equal to the ledger', () => {
  const sim = createSimWorld([SYMBOL]);
  const perp = sim.exchange.market('binance', 'perp');
  const spot = sim.exchange.market('binance', 'spot');
  const keel = sim.connectors('binance', 'perp', 'keel');
  const ref = testOrchestratorRef('gridperp', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  const restingAre = (expected: string[]) => restingOn(perp, SYMBOL, expected);
  const take = (side: 'buy' | 'sell', price: string) => takerOrder(perp, { symbol: SYMBOL, side, price });
  /** The venue's position of Keel's account (0 when it has none). */
  const venuePosition = async () =>
    Number((await keel.positions()).find((position) => position.symbol === SYMBOL)?.quantity ?? '0');
  /** The ledger's position, from its fills, as the API shows it. */
  const ledgerPosition = async () => {
    const response = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/positions`,
      headers: readAuthHeader,
    });
    assert.equal(response.statusCode, 200, response.body);
    const [position] = response.json<{ positions: Array<{ quantity: string; fills: number }> }>().positions;
    return { quantity: Number(position?.quantity ?? '0'), fills: position?.fills ?? 0 };
  };
  const positionsAgree = async (expected: number) =>
    (await venuePosition()) === expected && (await ledgerPosition()).quantity === expected;

  before(async () => {
    sim.exchange.venue('binance').deposit('perp', 'taker', 'USDT', '1000000');
    const started = await startGridHarness('grid_perp', sim.connectors, ref);
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('a neutral perp grid lays out both sides, goes short and long through fills, and the venue agrees with the ledger', async () => {
    // Levels 90, 95, 100, 105, 110 around referencePrice 101 (empty book): the 100 level stays empty,
    // buys at 90 and 95, sells at 105 and 110 (a short on a perp).
    await addThroughApi(
      app,
      SYMBOL,
      gridConfig('perp', gridParams({ mode: 'neutral', maxInventory: '5', referencePrice: '101' })),
    );
    await waitFor('both sides laid out', restingAre(['buy 90', 'buy 95', 'sell 105', 'sell 110']));
    assert.deepEqual(spot.openOrders('keel', SYMBOL), [], 'nothing on the spot market');

    take('buy', '105'); // lifts the 105 sell: Keel is short 1, and buys it back one level down, at 100
    await waitFor('the buy-back one level down', restingAre(['buy 90', 'buy 95', 'buy 100', 'sell 110']));
    await waitFor('venue and ledger both short 1', () => positionsAgree(-1));

    take('sell', '100'); // hits that buy: flat again, and the 105 sell is back
    await waitFor('the level sold again', restingAre(['buy 90', 'buy 95', 'sell 105', 'sell 110']));
    await waitFor('venue and ledger both flat', () => positionsAgree(0));

    take('sell', '95'); // hits the 95 buy: long 1, sold one level up at 100
    await waitFor('the sell one level up', restingAre(['buy 90', 'sell 100', 'sell 105', 'sell 110']));
    await waitFor('venue and ledger both long 1', () => positionsAgree(1));
    assert.equal((await ledgerPosition()).fills, 3);

    // Every order Keel placed on the perp book is in the ledger, once, and the fills match the venue's.
    const venueOrders = perp.accountOrders('keel', SYMBOL);
    const ids = venueOrders.map((order) => order.clientOrderId);
    assert.equal(new Set(ids).size, ids.length, 'no client order id placed twice');
    const { rows } = await database.pool.query<{ client_order_id: string; market: string }>(
      'SELECT client_order_id, market FROM ledger_orders WHERE symbol = $1',
      [SYMBOL],
    );
    assert.deepEqual(rows.map((row) => row.client_order_id).sort(), [...ids].sort(), 'ledger = venue');
    assert.deepEqual([...new Set(rows.map((row) => row.market))], ['perp']);
    const fills = await database.pool.query<{ side: string; quantity: string; price: string }>(
      'SELECT side, quantity::text, price::text FROM ledger_fills WHERE symbol = $1 ORDER BY id',
      [SYMBOL],
    );
    assert.deepEqual(
      fills.rows.map((fill) => `${fill.side} ${Number(fill.quantity)}@${Number(fill.price)}`),
      perp
        .accountFills('keel', SYMBOL)
        .map((fill) => `${fill.side} ${Number(fill.quantity)}@${Number(fill.price)}`),
    );
  });
});
