import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import { SimExchange } from '../../../sim/exchange';
import { binanceFrontApiUrls, createBinanceFront } from '../../../sim/fronts/binance';
import { connectorContract } from '../../support/connector-contract';

const API_KEY = `key${randomBytes(12).toString('hex')}`;
const SECRET = `sec${randomBytes(24).toString('hex')}`;
const env = { KEEL_BINANCE_API_KEY: API_KEY, KEEL_BINANCE_SECRET: SECRET };

after(() => resetSharedExchanges());

connectorContract('ccxt binance via Binance front', async ({ exchange, market, account }) => {
  const front = createBinanceFront({ exchange, credentials: [{ apiKey: API_KEY, secret: SECRET, account }] });
  const base = await front.listen();
  const connector = createCcxtConnector({
    venue: 'binance',
    market,
    env,
    apiUrls: binanceFrontApiUrls(base),
  });
  return { connector, close: () => front.close() };
});

async function frontWith(exchange: SimExchange, secret = SECRET) {
  const front = createBinanceFront({
    exchange,
    credentials: [{ apiKey: API_KEY, secret, account: 'alice' }],
  });
  const base = await front.listen();
  return { front, base, urls: binanceFrontApiUrls(base) };
}

function funded(): SimExchange {
  const exchange = new SimExchange({ seed: 5 });
  const v = exchange.venue('binance');
  v.deposit('spot', 'alice', 'USDT', '10000');
  v.deposit('perp', 'alice', 'USDT', '10000');
  v.deposit('perp', 'maker', 'USDT', '1000000');
  return exchange;
}

void describe('ccxt binance connector: perp account through the front', () => {
  void test('fill -> position, leverage, funding, margin balance', async () => {
    const exchange = funded();
    const { front, urls } = await frontWith(exchange);
    try {
      const c = createCcxtConnector({ venue: 'binance', market: 'perp', env, apiUrls: urls });
      exchange.market('binance', 'perp').placeOrder({
        account: 'maker',
        symbol: 'ETH-USDT',
        side: 'sell',
        type: 'limit',
        quantity: '2',
        price: '3000',
      });
      await c.setLeverage('ETH-USDT', 4);
      const o = await c.createOrder({
        symbol: 'ETH-USDT',
        clientOrderId: 'eth1',
        side: 'buy',
        type: 'limit',
        quantity: '1',
        price: '3000',
      });
      assert.equal(o.status, 'filled');
      assert.equal(o.averagePrice, '3000');
      const [p] = await c.positions();
      assert.equal(p?.symbol, 'ETH-USDT');
      assert.equal(p?.quantity, '1');
      assert.equal(p?.entryPrice, '3000');
      assert.equal(p?.leverage, 4);
      const f = await c.fundingRate('ETH-USDT');
      assert.deepEqual(f, { symbol: 'ETH-USDT', rate: '0.0001', nextFundingTime: Date.UTC(2024, 0, 1, 8) });
      // binance perp taker fee 0.05 %: 3000 x 0.0005 = 1.5 USDT paid from the 10000 wallet.
      const usdt = (await c.balances()).find((b) => b.asset === 'USDT');
      assert.ok(usdt);
      assert.equal(Number(usdt.free) + Number(usdt.locked) <= 10000 - 1.5, true);
    } finally {
      await front.close();
    }
  });
});

void describe('unmodified ccxt binanceusdm against the front', () => {
  void test('place, query by origClientOrderId, cancel, duplicate place', async () => {
    const exchange = funded();
    const { front, urls } = await frontWith(exchange);
    const ex = new ccxt.binanceusdm({
      apiKey: API_KEY,
      secret: SECRET,
      enableRateLimit: true,
      options: { fetchCurrencies: false },
    });
    // Loopback only: every endpoint family not served by the front goes to a dead port.
    const api = ex.urls['api'] as Record<string, string>;
    const dead = Object.keys(api).map((k): [string, string] => [k, 'http://127.0.0.1:9/x']);
    ex.urls['api'] = { ...Object.fromEntries(dead), ...urls };
    try {
      const o = await ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 49000, {
        newClientOrderId: 'usdm1',
      });
      assert.equal(o.clientOrderId, 'usdm1');
      assert.equal(o.status, 'open');
      const q = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT:USDT', {
        origClientOrderId: 'usdm1',
      });
      assert.equal(q.id, o.id);
      await assert.rejects(
        ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 48000, { newClientOrderId: 'usdm1' }),
        // ccxt picks its per-market error table by host name: on a loopback URL -4116 surfaces as a plain
        // ExchangeError (InvalidOrder against fapi.binance.com). The connector goes by the code either way.
        (e: unknown) => e instanceof ccxt.ExchangeError && /-4116/.test(e.message),
      );
      const c = await ex.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', {
        origClientOrderId: 'usdm1',
      });
      assert.equal(c.status, 'canceled');
      await assert.rejects(
        ex.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', { origClientOrderId: 'usdm1' }),
        (e: unknown) => e instanceof ccxt.OrderNotFound,
      );
    } finally {
      await front.close();
    }
  });
});

void describe('credentials stay secret', () => {
  void test('no key or secret in logs or thrown errors (bad signature, dead server, rejections)', async () => {
    const exchange = funded();
    // The front knows a different secret: every signed call fails with -1022.
    const { front, urls } = await frontWith(exchange, 'another-secret');
    const captured: string[] = [];
    const originals = {
      log: console.log,
      warn: console.warn,
      error: console.error,
      info: console.info,
      debug: console.debug,
    };
    const capture = (...args: unknown[]): void => {
      captured.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    console.log = console.warn = console.error = console.info = console.debug = capture;
    const errors: unknown[] = [];
    try {
      const c = createCcxtConnector({ venue: 'binance', market: 'spot', env, apiUrls: urls });
      const attempts = [
        () =>
          c.createOrder({
            symbol: 'BTC-USDT',
            clientOrderId: 'sec1',
            side: 'buy',
            type: 'limit',
            quantity: '0.01',
            price: '1000',
          }),
        () => c.balances(),
        () => c.fetchOrderByClientId('BTC-USDT', 'sec1'),
      ];
      for (const a of attempts) await a().catch((e: unknown) => errors.push(e));
      await front.close();
      for (const a of attempts) await a().catch((e: unknown) => errors.push(e));
    } finally {
      Object.assign(console, {
        log: originals.log,
        warn: originals.warn,
        error: originals.error,
        info: originals.info,
        debug: originals.debug,
      });
    }
    assert.equal(errors.length, 6);
    const kinds = errors.map((e) => (e instanceof ConnectorError ? e.kind : 'not-a-connector-error'));
    assert.deepEqual(kinds, ['auth', 'auth', 'auth', 'retryable', 'retryable', 'retryable']);
    const texts = [
      ...captured,
      ...errors.flatMap((e) => [
        String(e),
        (e as Error).stack ?? '',
        JSON.stringify(e),
        JSON.stringify((e as Error).cause ?? null),
      ]),
    ];
    for (const t of texts) {
      assert.equal(t.includes(SECRET), false, `secret leaked: ${t}`);
      assert.equal(t.includes(API_KEY), false, `api key leaked: ${t}`);
      assert.equal(/signature=[0-9a-f]{64}/.test(t), false, `signature leaked: ${t}`);
    }
  });
});
