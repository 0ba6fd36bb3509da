import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simConnectorFactory } from '../../../connectors/sim/connector-factory';
import { symbolWorkflowId } from '../../../domain/ids';
import { SimExchange, VENUE_NAMES, defaultVenueConfig } from '../../../sim';
import type { ArbitrageParamsInput } from '../../../workflows/strategies/arbitrage/arbitrage-params';
import {
  authHeader,
  listExecutions,
  readAuthHeader,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { waitFor } from '../../support/wait';
import { startGridHarness } from '../grid/grid-kit';
import { perpPerpParams, quoteBook } from './arbitrage-kit';

/**
 * Issue #15: an arbitrage on a market the venue does not list, or with a size below the venue's minimums,
 * is refused by the API with a 400 that says why, before anything is registered; the API asks the venues
 * (through a worker, by the market-rules workflow) for the rules of both legs' markets.
 */
const LISTED = 'AMK-USDT';
/** Listed on every simulated venue market but bybit's perp. */
const NOT_ON_BYBIT = 'AMN-USDT';
/** Listed everywhere, with empty books. */
const QUIET = 'AMQ-USDT';

/**
 * createSimWorld's exchange (workers/sim-world.ts: tick 0.01, lot 0.001, min quantity 0.001, min notional
 * 5 on every market, account `keel` funded), except that bybit's perp does not list NOT_ON_BYBIT.
 */
function simWorld() {
  const spec = { tickSize: '0.01', lotSize: '0.001', minQty: '0.001', maxQty: '1000000', minNotional: '5' };
  const all = [LISTED, NOT_ON_BYBIT, QUIET];
  const venues = VENUE_NAMES.map((name) => {
    const config = defaultVenueConfig(name);
    const perps = name === 'bybit' ? all.filter((symbol) => symbol !== NOT_ON_BYBIT) : all;
    return {
      ...config,
      spot: { ...config.spot, instruments: all.map((symbol) => ({ symbol, ...spec })) },
      perp: {
        ...config.perp,
        instruments: perps.map((symbol) => ({
          symbol,
          ...spec,
          maintenanceMarginPpm: 5000,
          maxLeverage: 50,
        })),
      },
    };
  });
  const exchange = new SimExchange({ venues });
  exchange.fundAccount('keel');
  exchange.fundAccount('mm');
  return { exchange, connectors: simConnectorFactory(exchange) };
}

describe('arbitrage markets: the venues’ listings and minimums are checked before a symbol is added or updated', () => {
  const sim = simWorld();
  const binance = sim.exchange.market('binance', 'perp');
  const bybit = sim.exchange.market('bybit', 'perp');
  const ref = testOrchestratorRef('arbitrage_markets', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;

  const config = (arbitrage: ArbitrageParamsInput) => ({
    venues: [{ venue: 'binance', market: 'perp', account: 'keel' }],
    strategies: [{ name: 'arbitrage', params: arbitrage }],
  });
  const post = (symbol: string, arbitrage: ArbitrageParamsInput) =>
    app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol, config: config(arbitrage) },
    });
  const put = (symbol: string, arbitrage: ArbitrageParamsInput) =>
    app.inject({
      method: 'PUT',
      url: `/symbols/${symbol}`,
      headers: authHeader,
      payload: { config: config(arbitrage) },
    });
  const refused = (response: Awaited<ReturnType<typeof post>>) => {
    assert.equal(response.statusCode, 400, response.body);
    const body = response.json<{ error: string; message: string }>();
    assert.equal(body.error, 'Bad Request');
    return body.message;
  };
  const lookup = (symbol: string) =>
    app.inject({ method: 'GET', url: `/symbols/${symbol}`, headers: readAuthHeader });
  /** Every run of `symbol`'s workflow under this test's root. */
  const symbolWorkflows = (symbol: string) =>
    listExecutions(harness.client, `WorkflowId = '${symbolWorkflowId(ref.input?.idPrefix ?? '', symbol)}'`);

  before(async () => {
    // Both books quoted alike (no spread): a valid arbitrage is accepted and waits, entering nothing.
    for (const market of [binance, bybit]) quoteBook(market, LISTED, '99.9', '100');
    quoteBook(binance, NOT_ON_BYBIT, '99.9', '100');
    const started = await startGridHarness('arbitrage_markets', sim.connectors, ref);
    harness = started;
    ({ app } = started);
  });
  after(() => harness.stop());

  test('a short leg on a symbol the bybit perp does not list: 400 naming the leg, venue, market and symbol; nothing registered', async () => {
    const message = refused(await post(NOT_ON_BYBIT, perpPerpParams()));
    assert.equal(message, `arbitrage short leg: ${NOT_ON_BYBIT} is not listed on bybit perp`);
    assert.equal((await lookup(NOT_ON_BYBIT)).statusCode, 404);
    assert.deepEqual(await symbolWorkflows(NOT_ON_BYBIT), []);
  });

  test('a size below the venues’ minimum quantity (0.001): 400 naming both legs; nothing registered', async () => {
    const message = refused(await post(LISTED, perpPerpParams({ size: '0.0005' })));
    assert.equal(
      message,
      `arbitrage long leg: order size 0.0005 is below the minimum quantity 0.001 of ${LISTED} on binance perp; ` +
        `arbitrage short leg: order size 0.0005 is below the minimum quantity 0.001 of ${LISTED} on bybit perp`,
    );
    assert.equal((await lookup(LISTED)).statusCode, 404);
  });

  test('a size whose notional at the best ask is below the minimum notional (5): 400 saying so', async () => {
    const message = refused(await post(LISTED, perpPerpParams({ size: '0.04' })));
    assert.match(
      message,
      new RegExp(
        `^arbitrage long leg: order size 0\\.04 at the best ask 100 is a notional of 4, below the minimum notional 5 of ${LISTED} on binance perp`,
      ),
    );
    assert.equal((await lookup(LISTED)).statusCode, 404);
    assert.deepEqual(await symbolWorkflows(LISTED), []);
  });

  test('with empty books only the minimum quantity is checked: the notional is not claimed either way', async () => {
    const response = await post(QUIET, perpPerpParams({ size: '0.001' }));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('a valid arbitrage is added (201); an update below the minimums is refused and leaves it unchanged', async () => {
    const added = await post(LISTED, perpPerpParams());
    assert.equal(added.statusCode, 201, added.body);
    const sizeNow = async () => {
      const response = await lookup(LISTED);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json<{ config: { strategies: Array<{ params: { size: string } }> } | null }>();
      return body.config?.strategies[0]?.params.size;
    };
    // The symbol's config shows once its workflow answers the query.
    assert.equal(await waitFor('the symbol running', sizeNow), '2');

    const message = refused(await put(LISTED, perpPerpParams({ size: '0.0001' })));
    assert.match(message, /arbitrage long leg: order size 0\.0001 is below the minimum quantity 0\.001/);
    assert.equal(await sizeNow(), '2');

    const updated = await put(LISTED, perpPerpParams({ size: '3' }));
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(await waitFor('the new size', async () => (await sizeNow()) === '3' && '3'), '3');
  });
});
