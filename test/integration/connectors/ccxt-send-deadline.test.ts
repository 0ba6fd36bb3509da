import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import { SimExchange } from '../../../sim/exchange';
import { binanceFrontApiUrls, createBinanceFront } from '../../../sim/fronts/binance';

/**
 * #11.7: a request that would leave after the deadline its placer set is never sent, even when it waited
 * in ccxt's own rate-limit queue (the deadline is checked where ccxt finally sends).
 */
const API_KEY = `key${randomBytes(12).toString('hex')}`;
const SECRET = `sec${randomBytes(24).toString('hex')}`;

after(() => resetSharedExchanges());

describe('ccxt connector: the send deadline', () => {
  test('past its deadline the order is dropped unsent (retryable); before it, it is placed', async () => {
    const exchange = new SimExchange({ seed: 3 });
    exchange.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
    const front = createBinanceFront({
      exchange,
      credentials: [{ apiKey: API_KEY, secret: SECRET, account: 'alice' }],
    });
    const base = await front.listen();
    try {
      const connector = createCcxtConnector({
        venue: 'binance',
        market: 'spot',
        env: { KEEL_BINANCE_API_KEY: API_KEY, KEEL_BINANCE_SECRET: SECRET },
        apiUrls: binanceFrontApiUrls(base),
      });
      await connector.instruments();
      const order = {
        symbol: 'BTC-USDT',
        side: 'buy' as const,
        type: 'limit' as const,
        price: '1000',
        quantity: '0.01',
      };
      await assert.rejects(
        connector.createOrder({ ...order, clientOrderId: 'late1' }, { sendBy: Date.now() - 1 }),
        (error: unknown) =>
          error instanceof ConnectorError && error.retryable && /not sent/.test(error.message),
      );
      assert.equal(await connector.fetchOrderByClientId('BTC-USDT', 'late1'), undefined);
      const placed = await connector.createOrder(
        { ...order, clientOrderId: 'ontime1' },
        { sendBy: Date.now() + 10_000 },
      );
      assert.equal(placed.status, 'open');
      // Other calls of the same (shared) instance are never bound by an order's deadline.
      assert.equal((await connector.openOrders('BTC-USDT')).length, 1);
      assert.ok(connector.requestExpiryMs >= 10_000, 'binance through ccxt: recvWindow 10 s, plus skew');
    } finally {
      await front.close();
    }
  });
});
