import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createCcxtConnector, resetSharedExchanges, sharedExchange } from '../../../connectors/ccxt';
import type { CcxtVenue } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import { sharedDataSet } from '../../support/shared-data';

/**
 * The ccxt adapter on ccxt's own static market snapshots, with no server at all: every endpoint points
 * at a dead loopback port, so anything here that tried the network would fail.
 */
const DUMPS = sharedDataSet('ccxt-markets', 'KEEL_CCXT_MARKETS_DIR', ['okx.json', 'bybit.json', 'mexc.json']);

const DEAD = { public: 'http://127.0.0.1:9/offline' };

function offline(venue: CcxtVenue, market: 'spot' | 'perp') {
  const shared = sharedExchange(venue, { apiUrls: DEAD, env: {} });
  if (!shared.exchange.markets) {
    // ccxt's setMarkets takes the loadMarkets() output these files hold.
    shared.exchange.setMarkets(DUMPS.readJson(`${venue}.json`));
  }
  return createCcxtConnector({ venue, market, apiUrls: DEAD, env: {} });
}

after(() => resetSharedExchanges());

void describe('ccxt adapter on static markets', DUMPS.options, () => {
  void test('okx perp: amounts are contracts of 0.01 BTC, reported in base units', async () => {
    const btc = (await offline('okx', 'perp').instruments()).find((i) => i.symbol === 'BTC-USDT');
    assert.deepEqual(btc, {
      symbol: 'BTC-USDT',
      venueSymbol: 'BTC-USDT-SWAP',
      base: 'BTC',
      quote: 'USDT',
      market: 'perp',
      tickSize: '0.1',
      lotSize: '0.0001', // 0.01 contracts x 0.01 BTC
      minQuantity: '0.0001',
      maxQuantity: undefined,
      minNotional: '0',
      trading: true,
    });
  });

  void test('okx spot and bybit perp filters', async () => {
    const okx = (await offline('okx', 'spot').instruments()).find((i) => i.symbol === 'BTC-USDT');
    assert.equal(okx?.lotSize, '0.00000001');
    assert.equal(okx?.minQuantity, '0.00001');
    assert.equal(okx?.venueSymbol, 'BTC-USDT');
    const bybit = (await offline('bybit', 'perp').instruments()).find((i) => i.symbol === 'BTC-USDT');
    assert.equal(bybit?.lotSize, '0.001');
    assert.equal(bybit?.maxQuantity, '1190');
  });

  void test('mexc: spot status comes from the venue; futures contract size 0.0001', async () => {
    const spot = await offline('mexc', 'spot').instruments();
    assert.deepEqual(
      spot.filter((i) => i.trading).map((i) => i.symbol),
      ['ADA-USDT', 'ATLAS-USDT', 'PYTH-USDT'],
    );
    const perp = (await offline('mexc', 'perp').instruments()).find((i) => i.symbol === 'BTC-USDT');
    assert.equal(perp?.venueSymbol, 'BTC_USDT');
    assert.equal(perp?.lotSize, '0.0001');
    assert.equal(perp?.maxQuantity, '53');
  });

  void test('order checks happen before the network', async () => {
    const okx = offline('okx', 'perp');
    const order = {
      symbol: 'BTC-USDT',
      clientOrderId: 'o1',
      side: 'buy',
      type: 'limit',
      price: '60000',
    } as const;
    const kind = (e: unknown) => (e instanceof ConnectorError ? e.kind : String(e));
    // 0.00005 BTC = 0.005 contracts: not a whole number of 0.01-contract steps.
    await assert.rejects(
      okx.createOrder({ ...order, quantity: '0.00005' }),
      (e) => kind(e) === 'invalid-order',
    );
    await assert.rejects(
      okx.createOrder({ ...order, quantity: '0.01', price: '60000.05' }),
      (e) => kind(e) === 'invalid-order',
    );
    await assert.rejects(
      okx.createOrder({ ...order, symbol: 'ZZZ-USDT', quantity: '1' }),
      (e) => kind(e) === 'unknown-symbol',
    );
    await assert.rejects(
      okx.createOrder({ ...order, quantity: '0.01', clientOrderId: 'x'.repeat(28).replace(/^x/, 'A') }),
      // A valid order (28-char id fits OKX's 32) reaches ccxt, which refuses: no KEEL_OKX_* in this env.
      (e) => kind(e) === 'auth',
    );
    const mexcPerp = offline('mexc', 'perp');
    assert.equal(mexcPerp.capabilities.canTrade, false);
    await assert.rejects(
      mexcPerp.createOrder({ ...order, quantity: '0.0001' }),
      (e) => kind(e) === 'invalid-order',
    );
  });
});
