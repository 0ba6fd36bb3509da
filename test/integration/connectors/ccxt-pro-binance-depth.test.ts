import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { OrderBookUpdate, PublicTrade } from '../../../connectors/exchange-connector';
import { SimExchange } from '../../../sim/exchange';
import { binanceFrontApiUrls, binanceFrontWsUrls, createBinanceFront } from '../../../sim/fronts/binance';
import type { MarketKind } from '../../../sim/ids';
import { waitFor } from '../../support/wait';

/** Levels compared between the connector's books and the simulator's. */
const LEVELS = 10;

/** `p`, or a rejection after `ms`: a watch that neither fails nor ends must fail the test, not hang it. */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  const late = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms).unref(),
  );
  return Promise.race([p, late]);
}

/** Every watch is aborted at the end, even one a failed assertion left running. */
const controllers: AbortController[] = [];
function ctl(): AbortController {
  const c = new AbortController();
  controllers.push(c);
  return c;
}
after(() => {
  for (const c of controllers) c.abort();
  resetSharedExchanges();
});

/**
 * BTC-USDT on both markets, three levels a side (49000 x 1, 48900 x 2, 48800 x 3 / 51000 x 1, 51100 x 2,
 * 51200 x 3) resting for `maker`; `taker` holds enough to cross them.
 */
function seeded(): SimExchange {
  const exchange = new SimExchange({ seed: 11 });
  const v = exchange.venue('binance');
  for (const account of ['maker', 'taker']) {
    v.deposit('spot', account, 'USDT', '10000000');
    v.deposit('spot', account, 'BTC', '100');
    v.deposit('perp', account, 'USDT', '10000000');
  }
  for (const kind of ['spot', 'perp'] as const)
    for (const [side, price, quantity] of [
      ['buy', '49000', '1'],
      ['buy', '48900', '2'],
      ['buy', '48800', '3'],
      ['sell', '51000', '1'],
      ['sell', '51100', '2'],
      ['sell', '51200', '3'],
    ] as const)
      place(exchange, kind, 'maker', side, price, quantity);
  return exchange;
}

function place(
  exchange: SimExchange,
  kind: MarketKind,
  account: string,
  side: 'buy' | 'sell',
  price: string,
  quantity: string,
): string {
  const o = exchange.market('binance', kind).placeOrder({
    account,
    symbol: 'BTC-USDT',
    side,
    type: 'limit',
    quantity,
    price,
  });
  return o.orderId;
}

const cancel = (exchange: SimExchange, kind: MarketKind, orderId: string): void => {
  exchange.market('binance', kind).cancelOrder('maker', { orderId });
};

/** Book changes the depth tests go through: adds, a cancel, a partial fill, a level swept away. */
function changes(exchange: SimExchange, kind: MarketKind): Array<() => void> {
  let resting = '';
  return [
    () => void place(exchange, kind, 'maker', 'buy', '49500', '0.5'),
    () => {
      resting = place(exchange, kind, 'maker', 'sell', '50500', '0.25');
    },
    () => void place(exchange, kind, 'maker', 'buy', '48900', '0.75'),
    () => cancel(exchange, kind, resting),
    // Takes 0.5 at 49500 and 0.1 of the 1 at 49000.
    () => void place(exchange, kind, 'taker', 'sell', '49000', '0.6'),
    // Sweeps 51000 and part of 51100.
    () => void place(exchange, kind, 'taker', 'buy', '51100', '1.5'),
  ];
}

/** The simulator's top levels and update id, as the connector's snapshot should carry them. */
function simBook(exchange: SimExchange, kind: MarketKind) {
  const d = exchange.market('binance', kind).depth('BTC-USDT', LEVELS);
  return { lastUpdateId: d.lastUpdateId, bids: d.bids, asks: d.asks };
}

const topOf = (u: OrderBookUpdate | undefined) =>
  u && {
    lastUpdateId: u.kind === 'snapshot' ? u.lastUpdateId : -1,
    bids: u.bids.slice(0, LEVELS),
    asks: u.asks.slice(0, LEVELS),
  };

async function started(exchange = seeded()) {
  const front = createBinanceFront({ exchange, credentials: [] });
  const base = await front.listen();
  // A fresh port per test, so a fresh URL set: its own shared REST and ccxt.pro instances.
  const opts = {
    venue: 'binance' as const,
    env: {},
    apiUrls: binanceFrontApiUrls(base),
    wsUrls: binanceFrontWsUrls(base),
  };
  return { exchange, front, base, opts };
}

for (const market of ['spot', 'perp'] as const) {
  void describe(`ccxt.pro binance ${market}: books and trades through the front`, () => {
    void test('watchOrderBook follows the simulator book through every change, by its diffs', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        assert.ok('watchOrderBook' in c, 'the binance connector streams books');
        const events: string[] = [];
        const books: OrderBookUpdate[] = [];
        const ac = ctl();
        const done = c.watchOrderBook!(
          'BTC-USDT',
          (u) => {
            events.push('book');
            books.push(u);
          },
          ac.signal,
          () => events.push('live'),
        );
        await waitFor('first book', () => books.length > 0, 5000, 10);
        assert.equal(events[0], 'live');
        const first = books[0];
        assert.equal(first?.kind, 'snapshot');
        assert.equal(first.symbol, 'BTC-USDT');
        assert.deepEqual(topOf(first), simBook(exchange, market));
        // ccxt's stream name and socket path for a book.
        assert.deepEqual(front.stream.subscriptions(), [['btcusdt@depth@100ms']]);

        for (const [i, change] of changes(exchange, market).entries()) {
          change();
          const want = simBook(exchange, market);
          await waitFor(
            `book after change ${i}`,
            () => JSON.stringify(topOf(books.at(-1))) === JSON.stringify(want),
            5000,
            10,
          );
        }
        // The changes moved the touch: what the book shows came from the diffs.
        assert.deepEqual(books.at(-1)?.bids.slice(0, 2), [
          ['49000', '0.9'],
          ['48900', '2.75'],
        ]);
        assert.deepEqual(books.at(-1)?.asks.slice(0, 2), [
          ['51100', '1.5'],
          ['51200', '3'],
        ]);
        ac.abort();
        await within(done);
        await waitFor('socket closed', () => front.stream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });

    void test('a lost diff is a gap: the watch fails retryable, the next one syncs again', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        const books: OrderBookUpdate[] = [];
        const done = c.watchOrderBook!('BTC-USDT', (u) => books.push(u), ctl().signal);
        await waitFor('first book', () => books.length > 0, 5000, 10);
        exchange.faults.add({ venue: 'binance', market, op: 'marketData', fault: 'depth-gap', nth: 1 });
        exchange.step(1000);
        const [lost, next] = changes(exchange, market);
        lost!();
        next!();
        await assert.rejects(
          within(done),
          (e: unknown) => e instanceof ConnectorError && e.kind === 'retryable',
        );
        const again: OrderBookUpdate[] = [];
        const ac = ctl();
        const second = c.watchOrderBook!('BTC-USDT', (u) => again.push(u), ac.signal);
        const want = simBook(exchange, market);
        await waitFor(
          'resynced',
          () => JSON.stringify(topOf(again.at(-1))) === JSON.stringify(want),
          5000,
          10,
        );
        ac.abort();
        await within(second);
      } finally {
        await front.close();
      }
    });

    void test('orderBookSnapshot is the REST book at the sequence the stream numbers by', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        const snap = await c.orderBookSnapshot!('BTC-USDT', 2);
        const d = exchange.market('binance', market).depth('BTC-USDT', 2);
        assert.equal(snap.symbol, 'BTC-USDT');
        assert.equal(snap.lastUpdateId, d.lastUpdateId);
        assert.ok(d.lastUpdateId > 0);
        assert.deepEqual(snap.bids, d.bids);
        assert.deepEqual(snap.asks, d.asks);
      } finally {
        await front.close();
      }
    });

    void test('watchTrades delivers the prints a crossing order makes, with the taker side', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        assert.ok('watchTrades' in c, 'the binance connector streams trades');
        const trades: PublicTrade[] = [];
        const ac = ctl();
        const done = c.watchTrades!('BTC-USDT', (t) => trades.push(t), ac.signal);
        await waitFor(
          'subscribed',
          () => front.stream.subscriptions().flat().includes('btcusdt@trade'),
          5000,
          10,
        );
        place(exchange, market, 'taker', 'buy', '51000', '0.4');
        place(exchange, market, 'taker', 'sell', '48900', '1.5');
        await waitFor('three prints', () => trades.length >= 3, 5000, 10);
        const tape = exchange.market('binance', market).tape('BTC-USDT');
        assert.deepEqual(
          trades.map((t) => `${t.symbol} ${t.takerSide} ${t.quantity}@${t.price}`),
          ['BTC-USDT buy 0.4@51000', 'BTC-USDT sell 1@49000', 'BTC-USDT sell 0.5@48900'],
        );
        assert.deepEqual(
          trades.map((t) => t.timestamp),
          tape.slice(-3).map((t) => t.ts),
        );
        ac.abort();
        await within(done);
        await waitFor('socket closed', () => front.stream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });

    void test('two trade watchers each see every print; the first to leave leaves the stream to the other', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        const a: PublicTrade[] = [];
        const b: PublicTrade[] = [];
        const acA = ctl();
        const acB = ctl();
        const doneA = c.watchTrades!('BTC-USDT', (t) => a.push(t), acA.signal);
        const doneB = c.watchTrades!('BTC-USDT', (t) => b.push(t), acB.signal);
        await waitFor(
          'subscribed',
          () => front.stream.subscriptions().flat().includes('btcusdt@trade'),
          5000,
          10,
        );
        place(exchange, market, 'taker', 'sell', '48900', '1.5');
        await waitFor('both saw both prints', () => a.length === 2 && b.length === 2, 5000, 10);
        acA.abort();
        await within(doneA);
        place(exchange, market, 'taker', 'buy', '51000', '0.4');
        await waitFor('the other still streams', () => b.length === 3, 5000, 10);
        assert.deepEqual(
          b.map((t) => `${t.takerSide} ${t.quantity}@${t.price}`),
          ['sell 1@49000', 'sell 0.5@48900', 'buy 0.4@51000'],
        );
        assert.equal(a.length, 2);
        acB.abort();
        await within(doneB);
        await waitFor('socket closed', () => front.stream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });
  });
}

/** A raw socket whose frames are read in order. */
async function open(url: string): Promise<{ ws: WebSocket; next: () => Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(url);
  const queue: Array<Record<string, unknown>> = [];
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString('utf8')) as Record<string, unknown>;
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (): Promise<Record<string, unknown>> => {
    const m = queue.shift();
    return within(m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve)));
  };
  return { ws, next };
}

type Levels = Array<[string, string]>;

/** A side of a book kept from a snapshot and diffs, best first. */
function applyLevels(side: Map<string, string>, changes: Levels): void {
  for (const [price, size] of changes) {
    if (Number(size) === 0) side.delete(price);
    else side.set(price, size);
  }
}
const sorted = (side: Map<string, string>, bids: boolean): Levels =>
  [...side].sort((a, b) => (bids ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));

async function restDepth(base: string, kind: MarketKind) {
  const path = kind === 'spot' ? 'api/v3/depth' : 'fapi/v1/depth';
  const res = await fetch(`${base}/${path}?symbol=BTCUSDT&limit=100`);
  assert.equal(res.status, 200);
  return (await res.json()) as { lastUpdateId: number; bids: Levels; asks: Levels };
}

void describe("the front's depth stream (raw WebSocket)", () => {
  for (const market of ['spot', 'perp'] as const) {
    void test(`${market}: diffs continue each other from the REST snapshot's id and rebuild the book`, async () => {
      const { exchange, front, base } = await started();
      const futures = market === 'perp';
      const ws = base.replace('http', 'ws');
      try {
        const { ws: socket, next } = await open(futures ? `${ws}/fstream/public/ws/1` : `${ws}/stream/ws/0`);
        const stream = futures ? 'btcusdt@depth@100ms' : 'btcusdt@depth';
        socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: [stream], id: 1 }));
        assert.deepEqual(await next(), { result: null, id: 1 });
        const snap = await restDepth(base, market);
        const bids = new Map(snap.bids);
        const asks = new Map(snap.asks);
        const steps = changes(exchange, market);
        for (const change of steps) change();
        let previous = snap.lastUpdateId;
        const sim = exchange.market('binance', market).depth('BTC-USDT', 100);
        while (previous < sim.lastUpdateId) {
          const d = await next();
          assert.deepEqual(
            Object.keys(d),
            futures ? ['e', 'E', 'T', 's', 'U', 'u', 'pu', 'b', 'a'] : ['e', 'E', 's', 'U', 'u', 'b', 'a'],
          );
          assert.equal(d['e'], 'depthUpdate');
          assert.equal(d['s'], 'BTCUSDT');
          // Without holes: spot by U, futures by pu.
          if (futures) assert.equal(d['pu'], previous);
          assert.equal(d['U'], previous + 1);
          assert.ok(Number(d['u']) >= Number(d['U']));
          previous = Number(d['u']);
          applyLevels(bids, d['b'] as Levels);
          applyLevels(asks, d['a'] as Levels);
        }
        assert.equal(previous, sim.lastUpdateId);
        assert.deepEqual(sorted(bids, true), sim.bids);
        assert.deepEqual(sorted(asks, false), sim.asks);
        socket.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: [stream], id: 2 }));
        assert.deepEqual(await next(), { result: null, id: 2 });
        // Unsubscribed: a change sends nothing more (the next frame is the reply to a later request).
        void place(exchange, market, 'maker', 'buy', '48000', '1');
        socket.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
        assert.deepEqual(await next(), { result: [], id: 3 });
        socket.close();
      } finally {
        await front.close();
      }
    });
  }

  void test('trade and aggTrade: a sweep of two makers at one price is two trades, one aggregate', async () => {
    const { exchange, front, base } = await started();
    try {
      place(exchange, 'spot', 'maker', 'sell', '51000', '0.5');
      const { ws: socket, next } = await open(
        `${base.replace('http', 'ws')}/stream?streams=btcusdt@trade/btcusdt@aggTrade`,
      );
      place(exchange, 'spot', 'taker', 'buy', '51000', '1.25');
      const frames = [await next(), await next(), await next()] as Array<{
        stream: string;
        data: Record<string, unknown>;
      }>;
      const trades = frames.filter((f) => f.stream === 'btcusdt@trade').map((f) => f.data);
      const aggs = frames.filter((f) => f.stream === 'btcusdt@aggTrade').map((f) => f.data);
      const tape = exchange.market('binance', 'spot').tape('BTC-USDT');
      const [t1, t2] = tape.slice(-2);
      assert.ok(t1 && t2);
      assert.deepEqual(
        trades.map((t) => ({ ...t, E: 0 })),
        [
          { e: 'trade', E: 0, s: 'BTCUSDT', t: t1.tradeId, p: '51000', q: '1', T: t1.ts, m: false },
          { e: 'trade', E: 0, s: 'BTCUSDT', t: t2.tradeId, p: '51000', q: '0.25', T: t2.ts, m: false },
        ],
      );
      assert.deepEqual(
        aggs.map((a) => ({ ...a, E: 0 })),
        [
          {
            e: 'aggTrade',
            E: 0,
            s: 'BTCUSDT',
            a: t1.tradeId,
            p: '51000',
            q: '1.25',
            f: t1.tradeId,
            l: t2.tradeId,
            T: t1.ts,
            m: false,
          },
        ],
      );
      // A seller taking is `m: true` (the buyer made).
      place(exchange, 'spot', 'taker', 'sell', '49000', '0.5');
      const sold = [await next(), await next()] as Array<{ data: Record<string, unknown> }>;
      assert.deepEqual(
        sold.map((f) => f.data['m']),
        [true, true],
      );
      socket.close();
    } finally {
      await front.close();
    }
  });
});
