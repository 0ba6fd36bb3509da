import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { BestBidAsk } from '../../../connectors/exchange-connector';
import type { MarketKind } from '../../../domain/venues';
import { SimExchange } from '../../../sim/exchange';
import {
  bybitFrontApiUrls,
  bybitFrontWsUrls,
  createBybitFront,
  sign,
  signaturePayload,
} from '../../../sim/fronts/bybit';
import { connectorContract } from '../../support/connector-contract';
import { waitFor } from '../../support/wait';

const API_KEY = `key${randomBytes(12).toString('hex')}`;
const SECRET = `sec${randomBytes(24).toString('hex')}`;
const env = { KEEL_BYBIT_API_KEY: API_KEY, KEEL_BYBIT_SECRET: SECRET };
const credentials = { apiKey: API_KEY, secret: SECRET, password: undefined };

const controllers: AbortController[] = [];
after(() => {
  for (const c of controllers) c.abort();
  resetSharedExchanges();
});

// The contract suite seeds and faults the simulator's `binance` venue: the front serves that venue here
// (the venue option), in Bybit's shapes. The tests below serve the simulator's own `bybit` venue.
connectorContract('ccxt bybit via Bybit front', async ({ exchange, market, account }) => {
  const front = createBybitFront({
    exchange,
    venue: 'binance',
    credentials: [{ apiKey: API_KEY, secret: SECRET, account }],
  });
  const base = await front.listen();
  const connector = createCcxtConnector({ venue: 'bybit', market, env, apiUrls: bybitFrontApiUrls(base) });
  return { connector, close: () => front.close() };
});

function funded(): SimExchange {
  const exchange = new SimExchange({ seed: 11 });
  const v = exchange.venue('bybit');
  v.deposit('spot', 'alice', 'USDT', '10000');
  v.deposit('perp', 'alice', 'USDT', '10000');
  v.deposit('spot', 'maker', 'USDT', '1000000');
  v.deposit('spot', 'maker', 'BTC', '10');
  v.deposit('perp', 'maker', 'USDT', '1000000');
  return exchange;
}

/** The maker's two-sided BTC-USDT book on a market of the bybit venue: 49900 x 50100, 1 each. */
function seedBook(exchange: SimExchange, kind: MarketKind): void {
  const m = exchange.market('bybit', kind);
  const rest = { account: 'maker', symbol: 'BTC-USDT', type: 'limit', quantity: '1' } as const;
  m.placeOrder({ ...rest, side: 'buy', price: '49900' });
  m.placeOrder({ ...rest, side: 'sell', price: '50100' });
}

async function frontWith(exchange: SimExchange, secret = SECRET) {
  const front = createBybitFront({ exchange, credentials: [{ apiKey: API_KEY, secret, account: 'alice' }] });
  const base = await front.listen();
  return { front, base, urls: bybitFrontApiUrls(base) };
}

/** An unmodified ccxt bybit instance whose every endpoint family not served goes to a dead port. */
function plainCcxt(urls: Record<string, string>, secret = SECRET): Exchange {
  const ex = new ccxt.bybit({
    apiKey: API_KEY,
    secret,
    enableRateLimit: false,
    options: { fetchMarkets: { types: ['spot', 'linear'] }, fetchCurrencies: false },
  });
  const api = ex.urls['api'] as Record<string, string>;
  const dead = Object.keys(api).map((k): [string, string] => [k, 'http://127.0.0.1:9/x']);
  ex.urls['api'] = { ...Object.fromEntries(dead), ...urls };
  return ex;
}

/** One of ccxt's implicit API methods (`publicGetV5MarketTickers`...), typed. */
function implicit(ex: Exchange, name: string, params: Record<string, unknown>): Promise<unknown> {
  const fn = (ex as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>)[name];
  assert.ok(fn, name);
  return fn.call(ex, params);
}

void describe('ccxt bybit connector: the bybit venue through the front', () => {
  void test('perp: leverage (twice), fill -> position, funding, unified balance', async () => {
    const exchange = funded();
    seedBook(exchange, 'perp');
    const { front, urls } = await frontWith(exchange);
    try {
      const c = createCcxtConnector({ venue: 'bybit', market: 'perp', credentials, apiUrls: urls });
      await c.setLeverage('BTC-USDT', 5);
      // Bybit answers 110043 "leverage not modified" to the same value again; the connector takes it as done.
      await c.setLeverage('BTC-USDT', 5);
      const o = await c.createOrder({
        symbol: 'BTC-USDT',
        clientOrderId: 'bbperp1',
        side: 'buy',
        type: 'limit',
        quantity: '0.1',
        price: '50100',
      });
      assert.equal(o.status, 'filled');
      assert.equal(o.averagePrice, '50100');
      assert.equal(o.filledQuantity, '0.1');
      const [p, ...others] = await c.positions();
      assert.equal(others.length, 0);
      assert.equal(p?.symbol, 'BTC-USDT');
      assert.equal(p?.quantity, '0.1');
      assert.equal(p?.entryPrice, '50100');
      assert.equal(p?.leverage, 5);
      const f = await c.fundingRate('BTC-USDT');
      const sim = exchange.venue('bybit').funding('BTC-USDT');
      assert.deepEqual(f, { symbol: 'BTC-USDT', rate: sim.rate, nextFundingTime: sim.nextFundingTime });
      // One unified wallet: 10000 spot + 10000 perp USDT, less the perp taker fee 0.055 % of 5010 = 2.7555.
      const usdt = (await c.balances()).find((b) => b.asset === 'USDT');
      assert.ok(usdt);
      assert.equal(Number(usdt.free) + Number(usdt.locked), 20000 - 2.7555);
      assert.ok(Number(usdt.locked) > 0, 'position margin is used');
    } finally {
      await front.close();
    }
  });

  void test('spot: market buy by base quantity fills against the ask, balances move', async () => {
    const exchange = funded();
    seedBook(exchange, 'spot');
    const { front, urls } = await frontWith(exchange);
    try {
      const c = createCcxtConnector({ venue: 'bybit', market: 'spot', credentials, apiUrls: urls });
      const o = await c.createOrder({
        symbol: 'BTC-USDT',
        clientOrderId: 'bbspot1',
        side: 'buy',
        type: 'market',
        quantity: '0.01',
      });
      assert.equal(o.status, 'filled');
      assert.equal(o.type, 'market');
      assert.equal(o.filledQuantity, '0.01');
      assert.equal(o.averagePrice, '50100');
      const bal = await c.balances();
      // 0.01 BTC less the 0.1 % fee in BTC (simulator spot fees are taken from what is received).
      const btc = bal.find((b) => b.asset === 'BTC');
      const usdt = bal.find((b) => b.asset === 'USDT');
      const simBtc = exchange
        .venue('bybit')
        .balances('alice')
        .find((b) => b.asset === 'BTC');
      assert.equal(btc?.free, simBtc?.available);
      assert.ok(Number(btc?.free) > 0.0099 && Number(btc?.free) <= 0.01);
      // Spot 10000 - 501 = 9499 plus the 10000 perp wallet.
      assert.equal(Number(usdt?.free), 19499);
    } finally {
      await front.close();
    }
  });
});

void describe('unmodified ccxt bybit against the front', () => {
  void test('linear: place, fetchOpenOrders, fetchOrder by orderLinkId, duplicate, cancel twice', async () => {
    const exchange = funded();
    const { front, urls } = await frontWith(exchange);
    const ex = plainCcxt(urls);
    try {
      const markets = await ex.loadMarkets();
      const btc = markets['BTC/USDT:USDT'];
      assert.equal(btc?.precision.price, 0.1);
      assert.equal(btc?.precision.amount, 0.001);
      assert.equal(
        btc?.limits.leverage?.max,
        exchange.market('bybit', 'perp').instrument('BTC-USDT').maxLeverage,
      );
      assert.equal(markets['BTC/USDT']?.precision.amount, 0.00001);
      assert.ok(Math.abs(((await ex.fetchTime()) ?? 0) - Date.now()) < 60_000);
      const o = await ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 49000, { orderLinkId: 'lin1' });
      assert.equal(o.clientOrderId, 'lin1');
      const open = await ex.fetchOpenOrders('BTC/USDT:USDT');
      assert.deepEqual(
        open.map((x) => [x.id, x.clientOrderId, x.status, x.price, x.amount]),
        [[o.id, 'lin1', 'open', 49000, 0.01]],
      );
      const q = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT:USDT', {
        orderLinkId: 'lin1',
        acknowledged: true,
      });
      assert.equal(q.id, o.id);
      assert.equal(q.side, 'buy');
      await assert.rejects(
        ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 48000, { orderLinkId: 'lin1' }),
        (e: unknown) => e instanceof ccxt.InvalidOrder && /110072/.test(e.message),
      );
      await ex.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'lin1' });
      const closed = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT:USDT', {
        orderLinkId: 'lin1',
        acknowledged: true,
      });
      assert.equal(closed.status, 'canceled');
      await assert.rejects(
        ex.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'lin1' }),
        (e: unknown) => e instanceof ccxt.OrderNotFound && /110001/.test(e.message),
      );
      // An unknown orderLinkId lists nothing (ccxt's fetchOrder would then throw a TypeError building
      // its OrderNotFound message from the undefined id, which is why Keel lists instead).
      assert.deepEqual(
        await ex.fetchOpenOrders('BTC/USDT:USDT', undefined, undefined, { orderLinkId: 'nope' }),
        [],
      );
      await assert.rejects(
        ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 100, 49000, { orderLinkId: 'lin2' }),
        (e: unknown) => e instanceof ccxt.InsufficientFunds && /110007/.test(e.message),
      );
      const history = await ex.fetchClosedOrders('BTC/USDT:USDT');
      assert.deepEqual(
        history.map((x) => [x.clientOrderId, x.status]),
        [['lin1', 'canceled']],
      );
    } finally {
      await front.close();
    }
  });

  void test('spot: errors map to InsufficientFunds, OrderNotFound, BadSymbol; market buy with cost', async () => {
    const exchange = funded();
    seedBook(exchange, 'spot');
    const { front, urls } = await frontWith(exchange);
    const ex = plainCcxt(urls);
    try {
      await assert.rejects(
        ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 49000, { orderLinkId: 'sp1' }),
        (e: unknown) => e instanceof ccxt.InsufficientFunds && /170131/.test(e.message),
      );
      await assert.rejects(
        ex.cancelOrder(undefined as unknown as string, 'BTC/USDT', { orderLinkId: 'sp-none' }),
        (e: unknown) => e instanceof ccxt.OrderNotFound && /170213/.test(e.message),
      );
      // A symbol the venue does not list, asked for by its raw id.
      await assert.rejects(
        implicit(ex, 'publicGetV5MarketTickers', { category: 'spot', symbol: 'DOGEUSDT' }),
        (e: unknown) => e instanceof ccxt.BadSymbol,
      );
      // 1002 USDT of quote buys 0.02 BTC at 50100 (1002 / 50100 = 0.02 exactly).
      const o = await ex.createMarketBuyOrderWithCost('BTC/USDT', 1002, { orderLinkId: 'sp2' });
      const q = await ex.fetchOrder(String(o.id), 'BTC/USDT', { acknowledged: true });
      assert.equal(q.status, 'closed');
      assert.equal(q.filled, 0.02);
      assert.equal(q.average, 50100);
      const t = await ex.fetchTicker('BTC/USDT');
      assert.equal(t.bid, 49900);
      assert.equal(t.ask, 50100);
      assert.equal(t.last, 50100);
      const ob = await ex.fetchOrderBook('BTC/USDT', 5);
      assert.deepEqual(ob.bids, [[49900, 1]]);
      assert.deepEqual(ob.asks, [[50100, 0.98]]);
    } finally {
      await front.close();
    }
  });
});

void describe('signing', () => {
  void test('a wrong secret is auth for the connector and AuthenticationError (10004) for ccxt', async () => {
    const exchange = funded();
    const { front, urls } = await frontWith(exchange, 'another-secret');
    try {
      const c = createCcxtConnector({ venue: 'bybit', market: 'spot', credentials, apiUrls: urls });
      const attempts = [
        () =>
          c.createOrder({
            symbol: 'BTC-USDT',
            clientOrderId: 'auth1',
            side: 'buy',
            type: 'limit',
            quantity: '0.01',
            price: '1000',
          }),
        () => c.balances(),
        () => c.fetchOrderByClientId('BTC-USDT', 'auth1'),
        () => c.openOrders('BTC-USDT'),
      ];
      for (const a of attempts)
        await assert.rejects(a(), (e: unknown) => {
          assert.ok(e instanceof ConnectorError, String(e));
          assert.equal(e.kind, 'auth', e.message);
          assert.equal(e.message.includes(SECRET), false);
          assert.equal(e.message.includes(API_KEY), false);
          return true;
        });
      // ccxt's bybit loads currencies with a signed call (/v5/asset/coin/query-info) whenever it holds
      // credentials, so even the instrument list fails as auth; the order endpoint itself answers 10004.
      await assert.rejects(c.instruments(), (e: unknown) => e instanceof ConnectorError && e.kind === 'auth');
      await assert.rejects(
        implicit(plainCcxt(urls), 'privatePostV5OrderCreate', {
          category: 'spot',
          symbol: 'BTCUSDT',
          side: 'Buy',
          orderType: 'Limit',
          qty: '0.01',
          price: '1000',
        }),
        (e: unknown) => e instanceof ccxt.AuthenticationError && /10004/.test(e.message),
      );
      assert.equal(exchange.market('bybit', 'spot').openOrders('alice').length, 0);
    } finally {
      await front.close();
    }
  });

  void test('unknown key 10003, stale timestamp 10002, a correct raw signature passes', async () => {
    const exchange = funded();
    const { front, base } = await frontWith(exchange);
    const call = async (apiKey: string, secret: string, timestamp: number) => {
      const query = 'accountType=UNIFIED';
      const head = {
        apiKey,
        timestamp: String(timestamp),
        recvWindow: '5000',
        signature: '',
        payload: query,
      };
      const signature = sign(secret, signaturePayload(head));
      const res = await fetch(`${base}/v5/account/wallet-balance?${query}`, {
        headers: {
          'X-BAPI-API-KEY': apiKey,
          'X-BAPI-TIMESTAMP': String(timestamp),
          'X-BAPI-RECV-WINDOW': '5000',
          'X-BAPI-SIGN': signature,
        },
      });
      return (await res.json()) as { retCode: number; retMsg: string; result: { list?: unknown[] } };
    };
    try {
      assert.equal((await call('nobody', SECRET, Date.now())).retCode, 10003);
      assert.equal((await call(API_KEY, 'wrong', Date.now())).retCode, 10004);
      assert.equal((await call(API_KEY, SECRET, Date.now() - 60_000)).retCode, 10002);
      assert.equal((await call(API_KEY, SECRET, Date.now() + 30_000)).retCode, 10002);
      const ok = await call(API_KEY, SECRET, Date.now());
      assert.equal(ok.retCode, 0);
      assert.equal(ok.retMsg, 'OK');
      assert.equal(ok.result.list?.length, 1);
    } finally {
      await front.close();
    }
  });
});

const touch = (q: BestBidAsk | undefined): string | undefined =>
  q && `${q.symbol} ${q.bid}x${q.bidSize} / ${q.ask}x${q.askSize}`;

for (const market of ['spot', 'perp'] as const) {
  void describe(`ccxt.pro bybit ${market} through the front's orderbook.1 stream`, () => {
    void test('seeded touch first, a better bid next, abort closes the socket', async () => {
      const exchange = funded();
      seedBook(exchange, market);
      const { front, base, urls } = await frontWith(exchange);
      try {
        const c = createCcxtConnector({
          venue: 'bybit',
          market,
          env: {},
          apiUrls: urls,
          wsUrls: bybitFrontWsUrls(base),
        });
        const quotes: BestBidAsk[] = [];
        const ac = new AbortController();
        controllers.push(ac);
        const done = c.watchBestBidAsk(['BTC-USDT'], (q) => quotes.push(q), ac.signal);
        await waitFor('subscribed', () => front.stream.subscriptions().flat().length === 1, 5000, 10);
        assert.deepEqual(front.stream.subscriptions(), [['orderbook.1.BTCUSDT']]);
        await waitFor('first quote', () => quotes.length > 0, 5000, 10);
        assert.equal(touch(quotes.at(-1)), 'BTC-USDT 49900x1 / 50100x1');
        exchange.market('bybit', market).placeOrder({
          account: 'maker',
          symbol: 'BTC-USDT',
          side: 'buy',
          type: 'limit',
          quantity: '0.5',
          price: '49950',
        });
        await waitFor('improved bid', () => quotes.at(-1)?.bid === '49950', 5000, 10);
        assert.equal(touch(quotes.at(-1)), 'BTC-USDT 49950x0.5 / 50100x1');
        ac.abort();
        await done;
        await waitFor('socket closed', () => front.stream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });
  });
}
