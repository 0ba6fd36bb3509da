import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { WebSocket } from 'ws';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { BestBidAsk } from '../../../connectors/exchange-connector';
import { MarketDataHub } from '../../../connectors/market-data-hub';
import type { MarketKind } from '../../../domain/venues';
import { SimExchange } from '../../../sim/exchange';
import { binanceFrontApiUrls, binanceFrontWsUrls, createBinanceFront } from '../../../sim/fronts/binance';
import type { BinanceFront } from '../../../sim/fronts/binance';
import { waitFor } from '../../support/wait';

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
 * Two-sided books on both markets: BTC-USDT 49000 x 51000 (1 each side), ETH-USDT 2900 x 3100 (2 each
 * side), placed by a `maker` account that holds enough of everything.
 */
function seeded(): SimExchange {
  const exchange = new SimExchange({ seed: 7 });
  const v = exchange.venue('binance');
  v.deposit('spot', 'maker', 'USDT', '10000000');
  v.deposit('spot', 'maker', 'BTC', '100');
  v.deposit('spot', 'maker', 'ETH', '1000');
  v.deposit('perp', 'maker', 'USDT', '10000000');
  for (const kind of ['spot', 'perp'] as const) {
    const m = exchange.market('binance', kind);
    const place = (symbol: string, side: 'buy' | 'sell', price: string, quantity: string): void => {
      m.placeOrder({ account: 'maker', symbol, side, type: 'limit', quantity, price });
    };
    place('BTC-USDT', 'buy', '49000', '1');
    place('BTC-USDT', 'sell', '51000', '1');
    place('ETH-USDT', 'buy', '2900', '2');
    place('ETH-USDT', 'sell', '3100', '2');
  }
  return exchange;
}

/** Improves the BTC-USDT bid on a market to 49500 (0.5). */
function improveBtcBid(exchange: SimExchange, kind: MarketKind): void {
  exchange.market('binance', kind).placeOrder({
    account: 'maker',
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    quantity: '0.5',
    price: '49500',
  });
}

const touch = (q: BestBidAsk | undefined): string | undefined =>
  q && `${q.symbol} ${q.bid}x${q.bidSize} / ${q.ask}x${q.askSize}`;

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

const lastOf = (qs: BestBidAsk[], symbol: string): BestBidAsk | undefined =>
  qs.filter((q) => q.symbol === symbol).at(-1);

for (const market of ['spot', 'perp'] as const) {
  void describe(`ccxt.pro binance ${market} through the front's stream`, () => {
    void test('both symbols first, a better bid next, abort closes the socket', async () => {
      const { exchange, front, opts } = await started();
      try {
        const c = createCcxtConnector({ ...opts, market });
        const quotes: BestBidAsk[] = [];
        const ac = ctl();
        const done = c.watchBestBidAsk(['BTC-USDT', 'ETH-USDT'], (q) => quotes.push(q), ac.signal);
        await waitFor(
          'first quotes',
          () => quotes.some((q) => q.symbol === 'ETH-USDT') && quotes.some((q) => q.symbol === 'BTC-USDT'),
          5000,
          10,
        );
        assert.equal(touch(lastOf(quotes, 'BTC-USDT')), 'BTC-USDT 49000x1 / 51000x1');
        assert.equal(touch(lastOf(quotes, 'ETH-USDT')), 'ETH-USDT 2900x2 / 3100x2');
        await waitFor('subscribed', () => front.stream.subscriptions().flat().length === 2, 5000, 10);
        // One watchBidsAsks call for both symbols: one SUBSCRIBE on one socket.
        assert.equal(front.stream.connections(), 1);
        assert.deepEqual(front.stream.subscriptions(), [['btcusdt@bookTicker', 'ethusdt@bookTicker']]);
        const before = quotes.length;
        improveBtcBid(exchange, market);
        await waitFor('improved bid', () => lastOf(quotes, 'BTC-USDT')?.bid === '49500', 5000, 10);
        // 49500 x 0.5 is the new best bid; the ask and the ETH book did not move.
        assert.equal(touch(lastOf(quotes, 'BTC-USDT')), 'BTC-USDT 49500x0.5 / 51000x1');
        assert.deepEqual(
          quotes.slice(before).map((q) => q.symbol),
          ['BTC-USDT'],
        );
        ac.abort();
        await done;
        await waitFor('socket closed', () => front.stream.connections() === 0, 5000, 10);
        const count = quotes.length;
        // A later watcher on the same connector proves the moment passed: once it has streamed the next
        // change, the aborted watch would have heard it too.
        const later: BestBidAsk[] = [];
        const laterWatch = ctl();
        const laterDone = c.watchBestBidAsk(['BTC-USDT'], (q) => later.push(q), laterWatch.signal);
        await waitFor(
          'the later watch quoting and subscribed',
          () => later.length > 0 && front.stream.subscriptions().flat().length === 1,
          5000,
          10,
        );
        improveBtcBid(exchange, market);
        await waitFor(
          'the later watch streamed the change',
          () => lastOf(later, 'BTC-USDT')?.bidSize === '1',
          5000,
          10,
        );
        assert.equal(quotes.length, count, 'no quote after abort');
        laterWatch.abort();
        await laterDone;
      } finally {
        await front.close();
      }
    });
  });
}

void describe('unmodified ccxt.pro binanceusdm against the front', () => {
  void test('watchBidsAsks for two perpetuals, then a change', async () => {
    const { exchange, front, base } = await started();
    const ex = new ccxt.pro.binanceusdm({ options: { fetchCurrencies: false } });
    const api = ex.urls['api'] as Record<string, unknown>;
    const dead = Object.fromEntries(Object.keys(api).map((k) => [k, 'http://127.0.0.1:9/x']));
    ex.urls['api'] = {
      ...dead,
      ...binanceFrontApiUrls(base),
      ws: { ...binanceFrontWsUrls(base) },
    };
    ex.httpAgent = new Agent();
    try {
      // The front answers the SUBSCRIBE with both touches in quick succession: the watch resolves on the
      // first, ccxt's cache holds both.
      await ex.watchBidsAsks(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
      await waitFor('both cached', () => Object.keys(ex.bidsasks).length === 2, 5000, 10);
      assert.deepEqual(Object.fromEntries(Object.values(ex.bidsasks).map((t) => [t.symbol, t.bid])), {
        'BTC/USDT:USDT': 49000,
        'ETH/USDT:USDT': 2900,
      });
      setTimeout(() => improveBtcBid(exchange, 'perp'), 20);
      const r = await ex.watchBidsAsks(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
      const t = r['BTC/USDT:USDT'];
      assert.equal(t?.bid, 49500);
      assert.equal(t?.bidVolume, 0.5);
      assert.equal(t?.ask, 51000);
      // The futures payload carries event and transaction times: ccxt takes the timestamp from them.
      assert.equal(typeof t?.timestamp, 'number');
    } finally {
      await ex.close();
      await front.close();
    }
  });
});

void describe('feed failures and sharing', () => {
  void test('a server-side disconnect rejects the watch with retryable; the next watch reconnects', async () => {
    const { exchange, front, opts } = await started();
    try {
      const c = createCcxtConnector({ ...opts, market: 'spot' });
      const quotes: BestBidAsk[] = [];
      const done = c.watchBestBidAsk(['BTC-USDT'], (q) => quotes.push(q), ctl().signal);
      await waitFor('first quote', () => quotes.length > 0 && front.stream.connections() === 1, 5000, 10);
      exchange.faults.add({
        venue: 'binance',
        market: 'spot',
        op: 'marketData',
        fault: 'disconnect',
        nth: 1,
      });
      exchange.step(1000);
      await assert.rejects(done, (e: unknown) => e instanceof ConnectorError && e.kind === 'retryable');
      // ccxt does not resubscribe on its own: the caller's next watch opens a new socket.
      const again: BestBidAsk[] = [];
      const ac = ctl();
      const second = c.watchBestBidAsk(['BTC-USDT'], (q) => again.push(q), ac.signal);
      await waitFor('reconnected', () => front.stream.connections() === 1 && again.length > 0, 5000, 10);
      improveBtcBid(exchange, 'spot');
      await waitFor('quote after reconnect', () => lastOf(again, 'BTC-USDT')?.bid === '49500', 5000, 10);
      ac.abort();
      await second;
      await waitFor('closed', () => front.stream.connections() === 0, 5000, 10);
    } finally {
      await front.close();
    }
  });

  void test('two watchers share one socket; the first to leave unsubscribes, the last closes', async () => {
    const { exchange, front, opts } = await started();
    try {
      const spot = createCcxtConnector({ ...opts, market: 'spot' });
      const a: BestBidAsk[] = [];
      const b: BestBidAsk[] = [];
      const acA = ctl();
      const acB = ctl();
      const doneA = spot.watchBestBidAsk(['BTC-USDT'], (q) => a.push(q), acA.signal);
      const doneB = spot.watchBestBidAsk(['ETH-USDT'], (q) => b.push(q), acB.signal);
      await waitFor('both watchers quoted', () => a.length > 0 && b.length > 0, 5000, 10);
      await waitFor('two subscriptions', () => front.stream.subscriptions().flat().length === 2, 5000, 10);
      // ccxt spreads distinct subscription sets over stream indexes: one or two sockets, same instance.
      const sockets = front.stream.connections();
      assert.ok(sockets >= 1 && sockets <= 2);
      acA.abort();
      await doneA;
      await waitFor(
        'btc unsubscribed',
        () => !front.stream.subscriptions().flat().includes('btcusdt@bookTicker'),
        5000,
        10,
      );
      assert.ok(front.stream.subscriptions().flat().includes('ethusdt@bookTicker'));
      exchange.market('binance', 'spot').placeOrder({
        account: 'maker',
        symbol: 'ETH-USDT',
        side: 'sell',
        type: 'limit',
        quantity: '1',
        price: '3050',
      });
      await waitFor('eth still streaming', () => lastOf(b, 'ETH-USDT')?.ask === '3050', 5000, 10);
      assert.equal(touch(lastOf(b, 'ETH-USDT')), 'ETH-USDT 2900x2 / 3050x1');
      acB.abort();
      await doneB;
      await waitFor('all sockets closed', () => front.stream.connections() === 0, 5000, 10);
    } finally {
      await front.close();
    }
  });
});

void describe('REST polling fallback', () => {
  void test("streamMethod 'poll' reads the touch over REST and opens no socket", async () => {
    const { exchange, front, opts } = await started();
    try {
      const c = createCcxtConnector({ ...opts, market: 'spot', streamMethod: 'poll', pollIntervalMs: 20 });
      const quotes: BestBidAsk[] = [];
      const ac = ctl();
      const done = c.watchBestBidAsk(['BTC-USDT'], (q) => quotes.push(q), ac.signal);
      await waitFor('polled quote', () => quotes.length > 0, 5000, 10);
      improveBtcBid(exchange, 'spot');
      await waitFor('polled change', () => lastOf(quotes, 'BTC-USDT')?.bid === '49500', 5000, 10);
      // Changes only: 49000 then 49500, however many polls ran.
      assert.deepEqual(
        quotes.map((q) => q.bid),
        ['49000', '49500'],
      );
      assert.equal(front.stream.connections(), 0);
      ac.abort();
      await done;
    } finally {
      await front.close();
    }
  });
});

void describe('market-data hub over the ccxt connector and the front', () => {
  void test('fan-out, a change, a dropped feed resubscribed, last unsubscribe closes', async () => {
    const { exchange, front, opts } = await started();
    const errors: unknown[] = [];
    const offs: Array<() => void> = [];
    try {
      const connector = createCcxtConnector({ ...opts, market: 'perp' });
      const hub = new MarketDataHub({
        connectorFor: () => connector,
        backoffInitialMs: 20,
        onFeedError: (_s, _sym, e) => errors.push(e),
      });
      const source = { venue: 'binance', market: 'perp' } as const;
      const one: BestBidAsk[] = [];
      const two: BestBidAsk[] = [];
      offs.push(
        hub.subscribe(source, 'BTC-USDT', (q) => one.push(q)),
        hub.subscribe(source, 'BTC-USDT', (q) => two.push(q)),
        hub.subscribe(source, 'ETH-USDT', () => {}),
      );
      await waitFor('hub quotes', () => one.length > 0 && two.length > 0, 5000, 10);
      assert.equal(touch(hub.latest(source, 'BTC-USDT')), 'BTC-USDT 49000x1 / 51000x1');
      improveBtcBid(exchange, 'perp');
      await waitFor('hub change', () => lastOf(two, 'BTC-USDT')?.bid === '49500', 5000, 10);
      assert.equal(touch(lastOf(one, 'BTC-USDT')), 'BTC-USDT 49500x0.5 / 51000x1');

      exchange.faults.add({
        venue: 'binance',
        market: 'perp',
        op: 'marketData',
        fault: 'disconnect',
        nth: 1,
      });
      exchange.step(1000);
      await waitFor('hub resubscribed', () => (hub.status()[0]?.reconnects ?? 0) >= 1, 5000, 10);
      assert.ok(errors.length >= 1);
      assert.ok(errors.every((e) => e instanceof ConnectorError && e.kind === 'retryable'));
      await waitFor(
        'hub reconnected',
        () => hub.status()[0]?.connected === true && front.stream.connections() >= 1,
        5000,
        10,
      );
      exchange.market('binance', 'perp').placeOrder({
        account: 'maker',
        symbol: 'BTC-USDT',
        side: 'sell',
        type: 'limit',
        quantity: '0.25',
        price: '50500',
      });
      await waitFor('quote after reconnect', () => lastOf(one, 'BTC-USDT')?.ask === '50500', 5000, 10);
      assert.equal(touch(hub.latest(source, 'BTC-USDT')), 'BTC-USDT 49500x0.5 / 50500x0.25');
      for (const off of offs.splice(0)) off();
      await waitFor(
        'sockets closed after last unsubscribe',
        () => front.stream.connections() === 0,
        5000,
        10,
      );
    } finally {
      for (const off of offs) off();
      await front.close();
    }
  });
});

void describe('front stream protocol (raw WebSocket)', () => {
  async function open(
    front: BinanceFront,
    url: string,
  ): Promise<{ ws: WebSocket; next: () => Promise<unknown> }> {
    void front;
    const ws = new WebSocket(url);
    const queue: unknown[] = [];
    const waiting: Array<(m: unknown) => void> = [];
    ws.on('message', (d: Buffer) => {
      const m: unknown = JSON.parse(d.toString('utf8'));
      const w = waiting.shift();
      if (w) w(m);
      else queue.push(m);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const next = (): Promise<unknown> =>
      queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve));
    return { ws, next };
  }

  void test('spot SUBSCRIBE: reply, then {u,s,b,B,a,A}; UNSUBSCRIBE; unknown stream refused', async () => {
    const { exchange, front, base } = await started();
    try {
      const { ws, next } = await open(front, `${binanceFrontWsUrls(base)['spot']}/0`);
      ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@bookTicker'], id: 7 }));
      assert.deepEqual(await next(), { result: null, id: 7 });
      const snap = (await next()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(snap), ['u', 's', 'b', 'B', 'a', 'A']);
      assert.deepEqual({ ...snap, u: 0 }, { u: 0, s: 'BTCUSDT', b: '49000', B: '1', a: '51000', A: '1' });
      improveBtcBid(exchange, 'spot');
      const upd = (await next()) as Record<string, unknown>;
      assert.equal(upd['b'], '49500');
      assert.equal(upd['B'], '0.5');
      assert.ok(Number(upd['u']) > Number(snap['u']));
      ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 8 }));
      assert.deepEqual(await next(), { result: ['btcusdt@bookTicker'], id: 8 });
      ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['btcusdt@bookTicker'], id: 9 }));
      assert.deepEqual(await next(), { result: null, id: 9 });
      ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['dogeusdt@bookTicker'], id: 10 }));
      const err = (await next()) as { error?: { code?: number }; id?: number };
      assert.equal(err.error?.code, 2);
      assert.equal(err.id, 10);
      ws.close();
    } finally {
      await front.close();
    }
  });

  void test('futures payload {e,u,E,T,s,b,B,a,A}; combined stream wraps {stream,data}', async () => {
    const { front, base } = await started();
    try {
      const { ws, next } = await open(front, `${base.replace('http', 'ws')}/fstream/public/ws/3`);
      ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@bookTicker'], id: 1 }));
      assert.deepEqual(await next(), { result: null, id: 1 });
      const f = (await next()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(f), ['e', 'u', 'E', 'T', 's', 'b', 'B', 'a', 'A']);
      assert.equal(f['e'], 'bookTicker');
      assert.equal(f['s'], 'ETHUSDT');
      assert.equal(f['b'], '2900');
      assert.equal(f['A'], '2');
      ws.close();
      const combined = await open(front, `${base.replace('http', 'ws')}/stream?streams=btcusdt@bookTicker`);
      const wrapped = (await combined.next()) as { stream?: string; data?: Record<string, unknown> };
      assert.equal(wrapped.stream, 'btcusdt@bookTicker');
      assert.equal(wrapped.data?.['a'], '51000');
      combined.ws.close();
    } finally {
      await front.close();
    }
  });
});
