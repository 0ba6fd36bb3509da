import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimExchange } from '../../../sim/exchange';
import { createBinanceFront, sign } from '../../../sim/fronts/binance';
import type { BinanceFront } from '../../../sim/fronts/binance';
import { heldLatency } from '../../unit/sim/helpers';

const KEY = 'frontkey';
const SECRET = 'frontsecret';
const NOW = 1_800_000_000_000;

let front: BinanceFront;
let base: string;
let exchange: SimExchange;

before(async () => {
  exchange = new SimExchange({ seed: 9 });
  exchange.venue('binance').deposit('spot', 'alice', 'USDT', '1000');
  exchange.venue('binance').deposit('perp', 'alice', 'USDT', '1000');
  // A fixed server clock makes the timestamp checks exact.
  front = createBinanceFront({
    exchange,
    credentials: [{ apiKey: KEY, secret: SECRET, account: 'alice' }],
    now: () => NOW,
  });
  base = await front.listen();
});
after(() => front.close());

async function signed(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  params: Record<string, string>,
  opts: { timestamp?: number; secret?: string; key?: string; recvWindow?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const q = new URLSearchParams({ ...params, timestamp: String(opts.timestamp ?? NOW) });
  if (opts.recvWindow) q.set('recvWindow', opts.recvWindow);
  const payload = q.toString();
  const full = `${payload}&signature=${sign(opts.secret ?? SECRET, payload)}`;
  const init: RequestInit = { method, headers: { 'X-MBX-APIKEY': opts.key ?? KEY } };
  let url = `${base}${path}`;
  if (method === 'POST') {
    init.body = full;
    init.headers = { ...init.headers, 'content-type': 'application/x-www-form-urlencoded' };
  } else url += `?${full}`;
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const order = (extra: Record<string, string> = {}) => ({
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity: '0.01',
  price: '40000',
  ...extra,
});

void describe('Binance front: authentication', () => {
  void test('a valid signature within recvWindow is accepted', async () => {
    const r = await signed('GET', '/api/v3/account', {});
    assert.equal(r.status, 200);
    assert.deepEqual(r.body['balances'], [{ asset: 'USDT', free: '1000', locked: '0' }]);
  });

  void test('wrong secret -> -1022; unknown key -> -2015', async () => {
    assert.deepEqual((await signed('GET', '/api/v3/account', {}, { secret: 'nope' })).body.code, -1022);
    const r = await signed('GET', '/api/v3/account', {}, { key: 'other' });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, -2015);
  });

  void test('a tampered parameter breaks the signature', async () => {
    const q = new URLSearchParams({ symbol: 'BTCUSDT', timestamp: String(NOW) });
    const sig = sign(SECRET, q.toString());
    const res = await fetch(`${base}/api/v3/openOrders?symbol=ETHUSDT&timestamp=${NOW}&signature=${sig}`, {
      headers: { 'X-MBX-APIKEY': KEY },
    });
    assert.equal(((await res.json()) as { code: number }).code, -1022);
  });

  void test('timestamp: 5000 ms old passes, 5001 ms old fails (default recvWindow), 1001 ms ahead fails', async () => {
    assert.equal((await signed('GET', '/api/v3/account', {}, { timestamp: NOW - 5000 })).status, 200);
    assert.equal((await signed('GET', '/api/v3/account', {}, { timestamp: NOW - 5001 })).body.code, -1021);
    assert.equal((await signed('GET', '/api/v3/account', {}, { timestamp: NOW + 1001 })).body.code, -1021);
    assert.equal(
      (await signed('GET', '/api/v3/account', {}, { timestamp: NOW - 9000, recvWindow: '10000' })).status,
      200,
    );
  });

  void test('public endpoints need no key', async () => {
    const res = await fetch(`${base}/fapi/v1/time`);
    assert.deepEqual(await res.json(), { serverTime: NOW });
  });
});

void describe('Binance front: error codes', () => {
  void test('spot: duplicate id -2010, off tick -1013 PRICE_FILTER, unknown symbol -1121', async () => {
    assert.equal((await signed('POST', '/api/v3/order', order({ newClientOrderId: 'd1' }))).status, 200);
    const dup = await signed('POST', '/api/v3/order', order({ newClientOrderId: 'd1' }));
    assert.deepEqual(dup.body, { code: -2010, msg: 'Duplicate order sent.' });
    const tick = await signed('POST', '/api/v3/order', order({ price: '40000.001' }));
    assert.deepEqual(tick.body, { code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    const sym = await signed('POST', '/api/v3/order', order({ symbol: 'DOGEUSDT' }));
    assert.equal(sym.body.code, -1121);
    const funds = await signed('POST', '/api/v3/order', order({ quantity: '1' }));
    assert.deepEqual(funds.body, {
      code: -2010,
      msg: 'Account has insufficient balance for requested action.',
    });
  });

  void test('futures: duplicate id -4116, off tick -4014, insufficient margin -2019', async () => {
    assert.equal((await signed('POST', '/fapi/v1/order', order({ newClientOrderId: 'f1' }))).status, 200);
    assert.equal(
      (await signed('POST', '/fapi/v1/order', order({ newClientOrderId: 'f1' }))).body.code,
      -4116,
    );
    assert.equal((await signed('POST', '/fapi/v1/order', order({ price: '40000.05' }))).body.code, -4014);
    assert.equal((await signed('POST', '/fapi/v1/order', order({ quantity: '5' }))).body.code, -2019);
  });

  void test('query unknown -> -2013; cancel unknown or already cancelled -> -2011', async () => {
    assert.equal(
      (await signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'zz' })).body.code,
      -2013,
    );
    assert.equal(
      (await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'zz' })).body.code,
      -2011,
    );
    const placed = await signed('POST', '/api/v3/order', order({ newClientOrderId: 'c1' }));
    const byId = await signed('GET', '/api/v3/order', {
      symbol: 'BTCUSDT',
      orderId: String(placed.body.orderId),
    });
    assert.equal(byId.body.clientOrderId, 'c1');
    const cancelled = await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'c1' });
    assert.equal(cancelled.body.status, 'CANCELED');
    assert.equal(
      (await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'c1' })).body.code,
      -2011,
    );
    // The id exists, but not on this symbol.
    assert.equal(
      (await signed('GET', '/api/v3/order', { symbol: 'ETHUSDT', origClientOrderId: 'c1' })).body.code,
      -2013,
    );
  });

  void test('rate-limit fault -> HTTP 429 / -1003; lose-response -> socket dropped but order placed', async () => {
    exchange.faults.add({ venue: 'binance', market: 'spot', op: 'createOrder', fault: 'rate-limit', nth: 1 });
    const r = await signed('POST', '/api/v3/order', order({ newClientOrderId: 'r1' }));
    assert.equal(r.status, 429);
    assert.equal(r.body.code, -1003);
    exchange.faults.add({
      venue: 'binance',
      market: 'spot',
      op: 'createOrder',
      fault: 'lose-response',
      nth: 1,
    });
    await assert.rejects(signed('POST', '/api/v3/order', order({ newClientOrderId: 'l1' })));
    assert.equal(
      (await signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'l1' })).body.status,
      'NEW',
    );
  });
});

void describe('Binance front: market data', () => {
  void test('exchangeInfo filters, bookTicker and depth from the book', async () => {
    exchange.venue('binance').deposit('spot', 'mm', 'BTC', '1');
    exchange.market('binance', 'spot').placeOrder({
      account: 'mm',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.5',
      price: '41000',
    });
    const info = (await (await fetch(`${base}/api/v3/exchangeInfo`)).json()) as {
      symbols: Array<Record<string, unknown>>;
    };
    const btc = info.symbols.find((s) => s.symbol === 'BTCUSDT');
    assert.deepEqual((btc?.filters as Array<Record<string, unknown>>)[0], {
      filterType: 'PRICE_FILTER',
      minPrice: '0.01',
      maxPrice: '10000000',
      tickSize: '0.01',
    });
    const bt = await (await fetch(`${base}/api/v3/ticker/bookTicker?symbol=BTCUSDT`)).json();
    // alice's open spot bids at 40000 from the tests above: d1 and l1 (c1 was cancelled, r1 never placed).
    assert.deepEqual(bt, {
      symbol: 'BTCUSDT',
      bidPrice: '40000',
      bidQty: '0.02',
      askPrice: '41000',
      askQty: '0.5',
    });
    const depth = (await (await fetch(`${base}/api/v3/depth?symbol=BTCUSDT&limit=5`)).json()) as {
      asks: unknown;
    };
    assert.deepEqual(depth.asks, [['41000', '0.5']]);
  });

  void test('premiumIndex carries the funding rate and next funding time', async () => {
    const p = (await (await fetch(`${base}/fapi/v1/premiumIndex?symbol=BTCUSDT`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(p.lastFundingRate, '0.0001');
    assert.equal(p.nextFundingTime, Date.UTC(2024, 0, 1, 8));
  });
});

void describe('Binance front: recvWindow at execution, after the front latency', () => {
  const wall = heldLatency(NOW);
  const ex = new SimExchange({ seed: 10 });
  ex.venue('binance').deposit('spot', 'bob', 'USDT', '1000');
  let slow: BinanceFront;
  let slowBase: string;

  before(async () => {
    slow = createBinanceFront({
      exchange: ex,
      credentials: [{ apiKey: KEY, secret: SECRET, account: 'bob' }],
      now: wall.now,
      sleep: wall.sleep,
    });
    slowBase = await slow.listen();
  });
  after(() => slow.close());

  async function slowSigned(method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) {
    const q = new URLSearchParams({ ...params, timestamp: String(wall.now()) });
    const full = `${q.toString()}&signature=${sign(SECRET, q.toString())}`;
    const res = await fetch(method === 'POST' ? `${slowBase}${path}` : `${slowBase}${path}?${full}`, {
      method,
      headers: { 'X-MBX-APIKEY': KEY, 'content-type': 'application/x-www-form-urlencoded' },
      ...(method === 'POST' ? { body: full } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  void test('an order that passed the timestamp check at receipt but would execute after recvWindow: -1021, never placed', async () => {
    ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'latency', latencyMs: 5001, times: 1 });
    const late = slowSigned('POST', '/api/v3/order', order({ newClientOrderId: 'late' }));
    await wall.untilPending();
    const during = await slowSigned('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'late' });
    assert.equal(during.body.code, -2013);
    wall.elapse();
    const r = await late;
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: -1021,
      msg: 'Timestamp for this request is outside of the recvWindow.',
    });
    const after = await slowSigned('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'late' });
    assert.equal(after.body.code, -2013);

    ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'latency', latencyMs: 5000, times: 1 });
    const onTime = slowSigned('POST', '/api/v3/order', order({ newClientOrderId: 'on-time' }));
    await wall.untilPending();
    wall.elapse();
    assert.equal((await onTime).body.status, 'NEW');
  });

  void test('a cancel that would execute after recvWindow: -1021, the order stays open', async () => {
    ex.faults.add({ venue: 'binance', op: 'cancelOrder', fault: 'latency', latencyMs: 7000, times: 1 });
    const cancelling = slowSigned('DELETE', '/api/v3/order', {
      symbol: 'BTCUSDT',
      origClientOrderId: 'on-time',
    });
    await wall.untilPending();
    wall.elapse();
    assert.equal((await cancelling).body.code, -1021);
    const still = await slowSigned('GET', '/api/v3/order', {
      symbol: 'BTCUSDT',
      origClientOrderId: 'on-time',
    });
    assert.equal(still.body.status, 'NEW');
  });
});
