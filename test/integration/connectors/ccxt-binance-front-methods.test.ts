import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import type { Exchange, OHLCV } from 'ccxt';
import { SimExchange } from '../../../sim/exchange';
import { binanceFrontApiUrls, createBinanceFront } from '../../../sim/fronts/binance';
import type { BinanceFront } from '../../../sim/fronts/binance';

/**
 * The ccxt unified methods a trader uses beyond order entry, through the unmodified ccxt `binance` class
 * against the Binance front: tickers, public trades, candles, the account's fills and order history, and a
 * spot market buy for a quote amount. The tape is written by the test itself, so every expected value
 * below follows from the trades it made.
 */

const API_KEY = `key${randomBytes(12).toString('hex')}`;
const SECRET = `sec${randomBytes(24).toString('hex')}`;
const SPOT = 'BTC/USDT';
const SWAP = 'BTC/USDT:USDT';
const S = 1_000;
const MIN = 60 * S;
const HOUR = 60 * MIN;

const T0 = Date.UTC(2024, 0, 1);
/** 25 h after the first trade: that trade falls out of the 24 h ticker window. */
const T1 = T0 + 25 * HOUR;

let exchange: SimExchange;
let front: BinanceFront;
let ex: Exchange;
/** Result of the cost buy placed through ccxt. */
let costBuy: Awaited<ReturnType<Exchange['createOrder']>>;

function advanceTo(t: number): void {
  exchange.clock.advance(t - exchange.clock.now());
}

function limit(
  kind: 'spot' | 'perp',
  account: string,
  side: 'buy' | 'sell',
  quantity: string,
  price: string,
) {
  return exchange.market('binance', kind).placeOrder({
    account,
    symbol: 'BTC-USDT',
    side,
    type: 'limit',
    quantity,
    price,
  });
}

function market(kind: 'spot' | 'perp', account: string, side: 'buy' | 'sell', quantity: string) {
  return exchange.market('binance', kind).placeOrder({
    account,
    symbol: 'BTC-USDT',
    side,
    type: 'market',
    quantity,
  });
}

/** Ids of alice's orders, as ccxt shows them (Binance order ids are the simulator's sequence numbers). */
const ids = {
  spotBuy: '',
  spotSell: '',
  spotOpen: '',
  spotCancelled: '',
  perpBuy: '',
  perpSell: '',
  perpOpen: '',
};
const idOf = (o: { orderId: string }): string => o.orderId.slice(o.orderId.lastIndexOf('-') + 1);

/**
 * The tape, oldest first (alice is the front's account); spot trade ids 1..7, perp 1..2:
 *   spot  T0        40000   x 0.1      maker sells, taker buys            (outside the 24 h window)
 *   spot  T1+10s    42000   x 0.05     maker sells, alice buys (taker)
 *   perp  T1+20s    42000.5 x 0.004    maker sells, alice buys (taker)
 *   spot  T1+70s    43000   x 0.03     alice sells (maker), taker buys
 *   perp  T1+80s    42100   x 0.002    alice sells (maker), taker buys
 *   spot  T1+190s   41000   x 0.004 + 0.006: one taker sell against two maker bids (one aggregate trade)
 *   spot  T1+250s   41500   x 0.001 and 42000 x 0.00139: alice's market buy for 100 USDT (through ccxt)
 */
async function writeTape(): Promise<void> {
  limit('spot', 'maker', 'sell', '0.1', '40000');
  market('spot', 'taker', 'buy', '0.1');

  advanceTo(T1 + 10 * S);
  limit('spot', 'maker', 'sell', '0.05', '42000');
  ids.spotBuy = idOf(limit('spot', 'alice', 'buy', '0.05', '42000'));

  advanceTo(T1 + 20 * S);
  limit('perp', 'maker', 'sell', '0.004', '42000.5');
  ids.perpBuy = idOf(limit('perp', 'alice', 'buy', '0.004', '42000.5'));

  advanceTo(T1 + 70 * S);
  ids.spotSell = idOf(limit('spot', 'alice', 'sell', '0.03', '43000'));
  market('spot', 'taker', 'buy', '0.03');

  advanceTo(T1 + 80 * S);
  ids.perpSell = idOf(limit('perp', 'alice', 'sell', '0.002', '42100'));
  market('perp', 'taker', 'buy', '0.002');

  advanceTo(T1 + 190 * S);
  limit('spot', 'maker', 'buy', '0.004', '41000');
  limit('spot', 'maker', 'buy', '0.006', '41000');
  market('spot', 'taker', 'sell', '0.01');
  // Alice's order history also holds an open and a cancelled order.
  ids.spotOpen = idOf(limit('spot', 'alice', 'buy', '0.01', '30000'));
  const cancelled = limit('spot', 'alice', 'buy', '0.01', '30500');
  exchange.market('binance', 'spot').cancelOrder('alice', { orderId: cancelled.orderId });
  ids.spotCancelled = idOf(cancelled);
  ids.perpOpen = idOf(limit('perp', 'alice', 'buy', '0.001', '30000'));

  advanceTo(T1 + 250 * S);
  limit('spot', 'maker', 'sell', '0.001', '41500');
  limit('spot', 'maker', 'sell', '0.2', '42000');
  // 41500 x 0.001 = 41.5, then 58.5 USDT buys 139 lots of 0.00001 at 42000 (58.38): 0.00239 BTC for 99.88.
  costBuy = await ex.createMarketBuyOrderWithCost(SPOT, 100);
}

function fundedExchange(): SimExchange {
  const sim = new SimExchange({ seed: 11, startTime: T0 });
  const v = sim.venue('binance');
  for (const account of ['maker', 'taker', 'alice']) {
    v.deposit('spot', account, 'USDT', '1000000');
    v.deposit('spot', account, 'BTC', '10');
    v.deposit('perp', account, 'USDT', '1000000');
  }
  return sim;
}

/** The front over `sim` for account alice, and an unmodified ccxt `binance` pointed at it. */
async function openFront(sim: SimExchange): Promise<{ front: BinanceFront; ex: Exchange }> {
  const f = createBinanceFront({
    exchange: sim,
    credentials: [{ apiKey: API_KEY, secret: SECRET, account: 'alice' }],
  });
  const urls = binanceFrontApiUrls(await f.listen());
  const client = new ccxt.binance({
    apiKey: API_KEY,
    secret: SECRET,
    options: {
      fetchMarkets: { types: ['spot', 'linear'] },
      fetchCurrencies: false,
      fetchMargins: false,
    },
  });
  // Loopback only: every endpoint family the front does not serve goes to a dead port.
  const api = client.urls['api'] as Record<string, string>;
  const dead = Object.keys(api).map((k): [string, string] => [k, 'http://127.0.0.1:9/x']);
  client.urls['api'] = { ...Object.fromEntries(dead), ...urls };
  await client.loadMarkets();
  return { front: f, ex: client };
}

before(async () => {
  exchange = fundedExchange();
  ({ front, ex } = await openFront(exchange));
  await writeTape();
});
after(() => front.close());

const ohlcv = (rows: OHLCV[]) => rows.map((r) => r.slice(0, 6));

/** One of ccxt's implicit (raw endpoint) methods, e.g. `publicGetKlines`. */
function implicit(client: Exchange, name: string): (params: Record<string, unknown>) => Promise<unknown> {
  const fn = (client as unknown as Record<string, (params: Record<string, unknown>) => Promise<unknown>>)[
    name
  ];
  if (!fn) throw new Error(`ccxt has no ${name}`);
  return fn.bind(client);
}

void describe('ccxt binance through the front: market buy for a quote amount', () => {
  void test('createMarketBuyOrderWithCost walks the book for the cost, in whole lots', () => {
    assert.equal(costBuy.symbol, SPOT);
    assert.equal(costBuy.type, 'market');
    assert.equal(costBuy.side, 'buy');
    assert.equal(costBuy.status, 'closed');
    assert.equal(costBuy.amount, 0.00239);
    assert.equal(costBuy.filled, 0.00239);
    assert.equal(costBuy.cost, 99.88);
    assert.equal((costBuy.info as Record<string, unknown>)['origQuoteOrderQty'], '100');
    assert.deepEqual(
      costBuy.trades.map((t) => [t.price, t.amount, t.fee?.cost, t.fee?.currency]),
      [
        [41500, 0.001, 0.000001, 'BTC'],
        [42000, 0.00139, 0.00000139, 'BTC'],
      ],
    );
    // The walk took the 41500 level and part of the 42000 one: 0.2 - 0.00139 rests.
    assert.deepEqual(exchange.market('binance', 'spot').depth('BTC-USDT', 5).asks, [['42000', '0.19861']]);
  });

  void test('quoteOrderQty too small for one lot -> -1013 LOT_SIZE; on an empty book -> -2010', async () => {
    await assert.rejects(
      ex.createMarketBuyOrderWithCost(SPOT, 0.3),
      (e: unknown) =>
        e instanceof ccxt.ExchangeError && /-1013/.test(e.message) && /LOT_SIZE/.test(e.message),
    );
    await assert.rejects(
      ex.createMarketBuyOrderWithCost('ETH/USDT', 100),
      (e: unknown) => e instanceof ccxt.ExchangeError && /-2010/.test(e.message),
    );
    assert.equal(exchange.market('binance', 'spot').accountOrders('alice', 'ETH-USDT').length, 0);
  });
});

void describe('ccxt binance through the front: spot market sell for a quote amount', () => {
  void test('sells the most whole lots whose proceeds stay within quoteOrderQty', async () => {
    const sim = fundedExchange();
    const { front: f, ex: client } = await openFront(sim);
    try {
      const m = sim.market('binance', 'spot');
      m.placeOrder({
        account: 'maker',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.001',
        price: '50000',
      });
      m.placeOrder({
        account: 'maker',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '1',
        price: '49000',
      });
      // 50000 x 0.001 = 50, then 30 USDT of the 80 at 49000 = 61 lots of 0.00001 (29.89): 0.00161 BTC.
      const o = await client.createOrder(SPOT, 'market', 'sell', 0, undefined, { quoteOrderQty: 80 });
      assert.equal(o.status, 'closed');
      assert.equal(o.filled, 0.00161);
      assert.equal(o.cost, 79.89);
      assert.deepEqual(m.depth('BTC-USDT', 5).bids, [['49000', '0.99939']]);
      // ccxt drops quoteOrderQty from limit orders; sent anyway (implicit API), the front refuses it.
      await assert.rejects(
        implicit(
          client,
          'privatePostOrder',
        )({
          symbol: 'BTCUSDT',
          side: 'BUY',
          type: 'LIMIT',
          timeInForce: 'GTC',
          quantity: '0.001',
          price: '40000',
          quoteOrderQty: '40',
        }),
        (e: unknown) => e instanceof ccxt.ExchangeError && /-1106/.test(e.message),
      );
    } finally {
      await f.close();
    }
  });
});

void describe('ccxt binance through the front: tickers', () => {
  void test("fetchTicker (spot): 24 h statistics of the tape, the book's touch", async () => {
    const t = await ex.fetchTicker(SPOT);
    const now = T1 + 250 * S;
    assert.equal(t.symbol, SPOT);
    assert.equal(t.timestamp, now);
    // The T0 trade at 40000 is more than 24 h old: it is the previous close, not the open.
    assert.deepEqual(
      [t.open, t.high, t.low, t.last, t.close, t.previousClose, t.change, t.percentage],
      [42000, 43000, 41000, 42000, 42000, 40000, 0, 0],
    );
    // 0.05 + 0.03 + 0.01 + 0.001 + 0.00139 BTC for 2100 + 1290 + 410 + 41.5 + 58.38 USDT.
    assert.equal(t.baseVolume, 0.09239);
    assert.equal(t.quoteVolume, 3899.88);
    assert.equal(t.vwap, 42211.06180323);
    assert.deepEqual([t.bid, t.bidVolume, t.ask, t.askVolume], [30000, 0.01, 42000, 0.19861]);
    const info = t.info as Record<string, unknown>;
    assert.deepEqual([info['firstId'], info['lastId'], info['count']], [2, 7, 6]);
    assert.deepEqual(
      [info['openTime'], info['closeTime'], info['lastQty']],
      [now - 24 * HOUR, now, '0.00139'],
    );
  });

  void test('fetchTicker (USD-M swap): the perp tape', async () => {
    const t = await ex.fetchTicker(SWAP);
    assert.equal(t.symbol, SWAP);
    assert.equal(t.timestamp, T1 + 250 * S);
    assert.deepEqual(
      [t.open, t.high, t.low, t.last, t.change, t.percentage],
      [42000.5, 42100, 42000.5, 42100, 99.5, 0.237],
    );
    assert.equal(t.baseVolume, 0.006);
    assert.equal(t.quoteVolume, 252.202);
    assert.equal((t.info as Record<string, unknown>)['count'], 2);
    // USD-M 24 h tickers carry no book touch, as on Binance.
    assert.equal(t.bid, undefined);
  });

  void test('fetchTickers: every symbol, or the ones asked, keyed by the right market type', async () => {
    const all = await ex.fetchTickers();
    assert.deepEqual(Object.keys(all).sort(), ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT']);
    assert.equal(all[SPOT]?.last, 42000);
    // Never traded: Binance's "0" prices, which ccxt reads as no price.
    const eth = all['ETH/USDT'];
    assert.deepEqual(
      [eth?.last, eth?.baseVolume, (eth?.info as Record<string, unknown>)['count']],
      [undefined, 0, 0],
    );
    const two = await ex.fetchTickers([SPOT, 'ETH/USDT']);
    assert.deepEqual(Object.keys(two).sort(), [SPOT, 'ETH/USDT']);
    assert.equal(two[SPOT]?.high, 43000);
    const swaps = await ex.fetchTickers([SWAP, 'ETH/USDT:USDT']);
    assert.deepEqual(Object.keys(swaps).sort(), ['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    assert.equal(swaps[SWAP]?.last, 42100);
    assert.equal(swaps[SWAP]?.baseVolume, 0.006);
  });
});

const SPOT_TRADES: Array<[number, number, number, string]> = [
  [T0, 40000, 0.1, 'buy'],
  [T1 + 10 * S, 42000, 0.05, 'buy'],
  [T1 + 70 * S, 43000, 0.03, 'buy'],
  [T1 + 190 * S, 41000, 0.004, 'sell'],
  [T1 + 190 * S, 41000, 0.006, 'sell'],
  [T1 + 250 * S, 41500, 0.001, 'buy'],
  [T1 + 250 * S, 42000, 0.00139, 'buy'],
];

void describe('ccxt binance through the front: public trades', () => {
  void test('fetchTrades (spot, aggregate trades by default): one taker order at one price is one trade', async () => {
    const trades = await ex.fetchTrades(SPOT);
    assert.deepEqual(
      trades.map((t) => [t.id, t.timestamp, t.price, t.amount, t.side]),
      [
        ['1', T0, 40000, 0.1, 'buy'],
        ['2', T1 + 10 * S, 42000, 0.05, 'buy'],
        ['3', T1 + 70 * S, 43000, 0.03, 'buy'],
        ['4', T1 + 190 * S, 41000, 0.01, 'sell'],
        ['6', T1 + 250 * S, 41500, 0.001, 'buy'],
        ['7', T1 + 250 * S, 42000, 0.00139, 'buy'],
      ],
    );
    assert.deepEqual(
      (await ex.fetchTrades(SPOT, T1 + 60 * S)).map((t) => t.id),
      ['3', '4', '6', '7'],
    );
    assert.deepEqual(
      (await ex.fetchTrades(SPOT, undefined, 2)).map((t) => t.id),
      ['6', '7'],
    );
  });

  void test('fetchTrades through /api/v3/trades: every trade of the tape, with its cost', async () => {
    const trades = await ex.fetchTrades(SPOT, undefined, undefined, { fetchTradesMethod: 'publicGetTrades' });
    assert.deepEqual(
      trades.map((t) => [t.timestamp, t.price, t.amount, t.side]),
      SPOT_TRADES,
    );
    assert.deepEqual(
      trades.map((t) => t.id),
      ['1', '2', '3', '4', '5', '6', '7'],
    );
    assert.deepEqual(
      trades.map((t) => t.cost),
      [4000, 2100, 1290, 164, 246, 41.5, 58.38],
    );
  });

  void test('fetchTrades (USD-M swap): aggregate and recent trades', async () => {
    const expected = [
      ['1', T1 + 20 * S, 42000.5, 0.004, 'buy'],
      ['2', T1 + 80 * S, 42100, 0.002, 'buy'],
    ];
    const agg = await ex.fetchTrades(SWAP);
    assert.deepEqual(
      agg.map((t) => [t.id, t.timestamp, t.price, t.amount, t.side]),
      expected,
    );
    assert.equal(agg[0]?.symbol, SWAP);
    const recent = await ex.fetchTrades(SWAP, undefined, undefined, {
      fetchTradesMethod: 'fapiPublicGetTrades',
    });
    assert.deepEqual(
      recent.map((t) => [t.id, t.timestamp, t.price, t.amount, t.side]),
      expected,
    );
  });
});

void describe('ccxt binance through the front: candles', () => {
  const m1 = [
    [T1, 42000, 42000, 42000, 42000, 0.05],
    [T1 + MIN, 43000, 43000, 43000, 43000, 0.03],
    // No trade in this minute: flat at the previous close.
    [T1 + 2 * MIN, 43000, 43000, 43000, 43000, 0],
    [T1 + 3 * MIN, 41000, 41000, 41000, 41000, 0.01],
    [T1 + 4 * MIN, 41500, 42000, 41500, 42000, 0.00239],
  ];

  void test('fetchOHLCV (spot, 1m): since, limit and until select the candles', async () => {
    assert.deepEqual(ohlcv(await ex.fetchOHLCV(SPOT, '1m', T1)), m1);
    assert.deepEqual(ohlcv(await ex.fetchOHLCV(SPOT, '1m', T1, 2)), m1.slice(0, 2));
    assert.deepEqual(ohlcv(await ex.fetchOHLCV(SPOT, '1m', undefined, 3)), m1.slice(2));
    assert.deepEqual(
      ohlcv(await ex.fetchOHLCV(SPOT, '1m', T1, undefined, { until: T1 + MIN })),
      m1.slice(0, 2),
    );
    // A since inside a minute starts at the next one.
    assert.deepEqual(ohlcv(await ex.fetchOHLCV(SPOT, '1m', T1 + 30 * S)), m1.slice(1));
  });

  void test('fetchOHLCV (spot, 1h): from the first trade to the current hour, gaps flat', async () => {
    const rows = ohlcv(await ex.fetchOHLCV(SPOT, '1h'));
    assert.equal(rows.length, 26);
    assert.deepEqual(rows[0], [T0, 40000, 40000, 40000, 40000, 0.1]);
    for (let h = 1; h < 25; h++) assert.deepEqual(rows[h], [T0 + h * HOUR, 40000, 40000, 40000, 40000, 0]);
    assert.deepEqual(rows[25], [T1, 42000, 43000, 41000, 42000, 0.09239]);
    // The raw Binance row: close time, quote volume, trade count, taker-buy volumes.
    const [raw] = (await implicit(
      ex,
      'publicGetKlines',
    )({ symbol: 'BTCUSDT', interval: '1h', limit: 1 })) as unknown[][];
    assert.deepEqual(raw, [
      T1,
      '42000',
      '43000',
      '41000',
      '42000',
      '0.09239',
      T1 + HOUR - 1,
      '3899.88',
      6,
      '0.08239',
      '3489.88',
      '0',
    ]);
  });

  void test('fetchOHLCV (USD-M swap, 1m)', async () => {
    assert.deepEqual(ohlcv(await ex.fetchOHLCV(SWAP, '1m', T1)), [
      [T1, 42000.5, 42000.5, 42000.5, 42000.5, 0.004],
      [T1 + MIN, 42100, 42100, 42100, 42100, 0.002],
      [T1 + 2 * MIN, 42100, 42100, 42100, 42100, 0],
      [T1 + 3 * MIN, 42100, 42100, 42100, 42100, 0],
      [T1 + 4 * MIN, 42100, 42100, 42100, 42100, 0],
    ]);
  });

  void test('an unknown interval is refused with -1120', async () => {
    await assert.rejects(
      implicit(ex, 'publicGetKlines')({ symbol: 'BTCUSDT', interval: '7m' }),
      (e: unknown) => e instanceof ccxt.ExchangeError && /-1120/.test(e.message),
    );
  });
});

void describe("ccxt binance through the front: the account's fills and orders", () => {
  void test("fetchMyTrades (spot): exactly alice's fills, with side, liquidity and fee", async () => {
    const mine = await ex.fetchMyTrades(SPOT);
    assert.deepEqual(
      mine.map((t) => [t.id, t.order, t.timestamp, t.side, t.takerOrMaker, t.price, t.amount, t.cost]),
      [
        ['2', ids.spotBuy, T1 + 10 * S, 'buy', 'taker', 42000, 0.05, 2100],
        ['3', ids.spotSell, T1 + 70 * S, 'sell', 'maker', 43000, 0.03, 1290],
        ['6', costBuy.id, T1 + 250 * S, 'buy', 'taker', 41500, 0.001, 41.5],
        ['7', costBuy.id, T1 + 250 * S, 'buy', 'taker', 42000, 0.00139, 58.38],
      ],
    );
    // Spot fees (0.1 %) come out of what was received: BTC on buys, USDT on sells.
    assert.deepEqual(
      mine.map((t) => [t.fee?.cost, t.fee?.currency]),
      [
        [0.00005, 'BTC'],
        [1.29, 'USDT'],
        [0.000001, 'BTC'],
        [0.00000139, 'BTC'],
      ],
    );
    assert.ok(mine.every((t) => t.symbol === SPOT));
    assert.deepEqual(
      (await ex.fetchMyTrades(SPOT, undefined, 2)).map((t) => t.id),
      ['6', '7'],
    );
    assert.deepEqual(
      (await ex.fetchMyTrades(SPOT, T1 + MIN)).map((t) => t.id),
      ['3', '6', '7'],
    );
    assert.deepEqual(
      (await ex.fetchMyTrades(SPOT, undefined, undefined, { orderId: costBuy.id })).map((t) => t.id),
      ['6', '7'],
    );
  });

  void test('fetchMyTrades (USD-M swap): fees in USDT, maker 0.02 % and taker 0.05 %', async () => {
    const mine = await ex.fetchMyTrades(SWAP);
    assert.deepEqual(
      mine.map((t) => [
        t.id,
        t.order,
        t.symbol,
        t.timestamp,
        t.side,
        t.takerOrMaker,
        t.price,
        t.amount,
        t.cost,
        t.fee?.cost,
        t.fee?.currency,
      ]),
      [
        ['1', ids.perpBuy, SWAP, T1 + 20 * S, 'buy', 'taker', 42000.5, 0.004, 168.002, 0.084001, 'USDT'],
        ['2', ids.perpSell, SWAP, T1 + 80 * S, 'sell', 'maker', 42100, 0.002, 84.2, 0.01684, 'USDT'],
      ],
    );
  });

  void test('fetchOrders / fetchClosedOrders (spot): every order of the account, oldest first', async () => {
    const orders = await ex.fetchOrders(SPOT);
    assert.deepEqual(
      orders.map((o) => [o.id, o.type, o.side, o.status, o.amount, o.filled, o.cost]),
      [
        [ids.spotBuy, 'limit', 'buy', 'closed', 0.05, 0.05, 2100],
        [ids.spotSell, 'limit', 'sell', 'closed', 0.03, 0.03, 1290],
        [ids.spotOpen, 'limit', 'buy', 'open', 0.01, 0, 0],
        [ids.spotCancelled, 'limit', 'buy', 'canceled', 0.01, 0, 0],
        [costBuy.id, 'market', 'buy', 'closed', 0.00239, 0.00239, 99.88],
      ],
    );
    assert.deepEqual(
      orders.slice(0, 4).map((o) => o.price),
      [42000, 43000, 30000, 30500],
    );
    const closed = await ex.fetchClosedOrders(SPOT);
    assert.deepEqual(
      closed.map((o) => o.id),
      [ids.spotBuy, ids.spotSell, costBuy.id],
    );
    assert.deepEqual(
      (await ex.fetchOrders(SPOT, undefined, 2)).map((o) => o.id),
      [ids.spotCancelled, costBuy.id],
    );
    assert.deepEqual(
      (await ex.fetchOrders(SPOT, T1 + MIN)).map((o) => o.id),
      [ids.spotSell, ids.spotOpen, ids.spotCancelled, costBuy.id],
    );
  });

  void test('fetchOrders / fetchClosedOrders (USD-M swap)', async () => {
    const orders = await ex.fetchOrders(SWAP);
    assert.deepEqual(
      orders.map((o) => [o.id, o.symbol, o.side, o.status, o.amount, o.filled, o.average]),
      [
        [ids.perpBuy, SWAP, 'buy', 'closed', 0.004, 0.004, 42000.5],
        [ids.perpSell, SWAP, 'sell', 'closed', 0.002, 0.002, 42100],
        [ids.perpOpen, SWAP, 'buy', 'open', 0.001, 0, undefined],
      ],
    );
    assert.deepEqual(
      (await ex.fetchClosedOrders(SWAP)).map((o) => o.id),
      [ids.perpBuy, ids.perpSell],
    );
  });

  void test('history endpoints are SIGNED: a wrong secret is refused with -1022', async () => {
    const other = new ccxt.binance({ apiKey: API_KEY, secret: 'wrong', options: ex.options });
    other.urls['api'] = ex.urls['api'];
    await other.loadMarkets();
    await assert.rejects(other.fetchMyTrades(SPOT), (e: unknown) => e instanceof ccxt.AuthenticationError);
    await assert.rejects(other.fetchOrders(SWAP), (e: unknown) => e instanceof ccxt.AuthenticationError);
  });
});
