import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import ccxt from 'ccxt';
import { createCcxtConnector } from '../../../connectors/ccxt';
import { ConnectorError } from '../../../connectors/exchange-connector';
import { binanceFrontApiUrls, binanceFrontWsUrls, createBinanceFront } from '../../../sim/fronts/binance';
import { waitFor } from '../../support/wait';
import { API_KEY, SECRET, brief, startFront, watching } from './order-stream-kit';

const BINANCE = {
  venue: 'binance' as const,
  create: createBinanceFront,
  apiUrls: binanceFrontApiUrls,
  wsUrls: binanceFrontWsUrls,
};
const started = (credentials?: { apiKey?: string; secret?: string }) => startFront(BINANCE, credentials);

for (const market of ['spot', 'perp'] as const) {
  void describe(`ccxt binance ${market} watchOrders through the front's user-data stream`, () => {
    void test('onLive first; NEW, partial and full fill, cancel; a taker sweeping two levels', async () => {
      const { exchange, front, connectorFor } = await started();
      const sim = exchange.market('binance', market);
      const bob = (side: 'buy' | 'sell', price: string, quantity: string): void => {
        sim.placeOrder({ account: 'bob', symbol: 'BTC-USDT', side, type: 'limit', quantity, price });
      };
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor('live', w.isLive, 5000, 10);
        assert.equal(front.userStream.connections(), 1);
        assert.deepEqual(front.userStream.subscriptions(), [1]);

        const place = (clientOrderId: string, price: string, quantity: string) =>
          c.createOrder({ symbol: 'BTC-USDT', clientOrderId, side: 'buy', type: 'limit', quantity, price });
        // Each step waits for its change, so every state below is seen on its own.
        await place('a1', '50000', '1');
        await waitFor('a1 open', () => w.last('a1')?.status === 'open', 5000, 10);
        bob('sell', '50000', '0.4');
        await waitFor('a1 partial', () => w.last('a1')?.status === 'partially-filled', 5000, 10);
        bob('sell', '49000', '0.6');
        await waitFor('a1 filled', () => w.last('a1')?.status === 'filled', 5000, 10);
        await place('a2', '40000', '0.5');
        await waitFor('a2 open', () => w.last('a2')?.status === 'open', 5000, 10);
        await c.cancelOrder('BTC-USDT', 'a2');
        await waitFor('a2 canceled', () => w.last('a2')?.status === 'canceled', 5000, 10);

        assert.ok('live' in (w.seen[0] ?? {}), 'onLive before the first order');
        assert.deepEqual(w.orders().map(brief), [
          'a1 open 0 -',
          'a1 partially-filled 0.4 50000',
          // The resting bid fills at its own price.
          'a1 filled 1 50000',
          'a2 open 0 -',
          'a2 canceled 0 -',
        ]);
        const filled = w.last('a1');
        assert.equal(filled?.symbol, 'BTC-USDT');
        assert.equal(filled?.side, 'buy');
        assert.equal(filled?.quantity, '1');
        assert.equal(filled?.price, '50000');
        assert.equal(filled?.venueOrderId, (await c.fetchOrderByClientId('BTC-USDT', 'a1'))?.venueOrderId);
        assert.ok(Number(filled?.fee) > 0, 'fees as the fills charged them');

        // A taker filled at placement: Binance reports NEW and one TRADE per fill, which ccxt may merge
        // when they arrive in one read; whatever is seen progresses to the full fill at the mean price.
        bob('sell', '50500', '0.3');
        bob('sell', '51000', '0.2');
        await place('a3', '51000', '0.5');
        await waitFor('a3 filled', () => w.last('a3')?.status === 'filled', 5000, 10);
        assert.equal(w.orders('a3').map(brief).at(-1), 'a3 filled 0.5 50700');
        const steps = w.orders('a3').map(brief);
        const allowed = ['a3 open 0 -', 'a3 partially-filled 0.3 50500', 'a3 filled 0.5 50700'];
        assert.deepEqual(
          steps,
          allowed.filter((s) => steps.includes(s)),
          `a3 in order: ${steps.join(', ')}`,
        );

        w.ac.abort();
        await w.done;
      } finally {
        await front.close();
      }
    });

    void test('abort resolves and closes the socket; nothing is reported after it', async () => {
      const { front, connectorFor } = await started();
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor(
          'live and connected',
          () => w.isLive() && front.userStream.connections() === 1,
          5000,
          10,
        );
        w.ac.abort();
        await w.done;
        await waitFor('server saw the socket close', () => front.userStream.connections() === 0, 5000, 10);
        await c.createOrder({
          symbol: 'BTC-USDT',
          clientOrderId: 'late',
          side: 'buy',
          type: 'limit',
          quantity: '0.1',
          price: '40000',
        });
        // A later watch proves the moment passed: once it reports the cancel, the aborted one would have too.
        const later = watching(c);
        await waitFor('later live', later.isLive, 5000, 10);
        await c.cancelOrder('BTC-USDT', 'late');
        await waitFor('later saw the cancel', () => later.last('late')?.status === 'canceled', 5000, 10);
        assert.deepEqual(w.orders(), []);
        later.ac.abort();
        await later.done;
        await waitFor('closed again', () => front.userStream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });

    void test('a dropped stream rejects with retryable; a new watch streams again', async () => {
      const { exchange, front, connectorFor } = await started();
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor('live', () => w.isLive() && front.userStream.connections() === 1, 5000, 10);
        exchange.faults.add({ venue: 'binance', market, op: 'marketData', fault: 'disconnect', nth: 1 });
        exchange.step(1000);
        await assert.rejects(w.done, (e: unknown) => e instanceof ConnectorError && e.kind === 'retryable');
        const again = watching(c);
        await waitFor('live again', again.isLive, 5000, 10);
        await c.createOrder({
          symbol: 'BTC-USDT',
          clientOrderId: 'b1',
          side: 'buy',
          type: 'limit',
          quantity: '0.1',
          price: '40000',
        });
        await waitFor('streamed after reconnect', () => again.last('b1')?.status === 'open', 5000, 10);
        again.ac.abort();
        await again.done;
      } finally {
        await front.close();
      }
    });
  });
}

void describe('refused logins', () => {
  const wrong = `bad${randomBytes(24).toString('hex')}`;
  const noCredentialIn = (e: unknown): boolean => {
    const texts = [String(e), (e as Error).stack ?? '', JSON.stringify(e)];
    return texts.every((t) => !t.includes(wrong) && !t.includes(SECRET) && !t.includes(API_KEY));
  };

  void test('spot: a wrong secret fails the signed subscription (-1022, auth), redacted', async () => {
    const { front, connectorFor } = await started({ secret: wrong });
    try {
      const w = watching(connectorFor('spot'));
      await assert.rejects(
        w.done,
        (e: unknown) =>
          e instanceof ConnectorError && e.kind === 'auth' && e.venueCode === '-1022' && noCredentialIn(e),
      );
      assert.equal(w.isLive(), false);
      await waitFor('socket closed', () => front.userStream.connections() === 0, 5000, 10);
    } finally {
      await front.close();
    }
  });

  void test('perp: an unknown API key gets no listenKey (-2015, auth), redacted', async () => {
    // A listenKey needs the API key only (no signature, as on Binance): the key is what is checked.
    const { front, connectorFor } = await started({
      apiKey: `key${randomBytes(12).toString('hex')}`,
      secret: wrong,
    });
    try {
      const w = watching(connectorFor('perp'));
      await assert.rejects(
        w.done,
        (e: unknown) =>
          e instanceof ConnectorError && e.kind === 'auth' && e.venueCode === '-2015' && noCredentialIn(e),
      );
      assert.equal(w.isLive(), false);
      assert.equal(front.userStream.connections(), 0);
    } finally {
      await front.close();
    }
  });

  void test('without keys the connector offers no order stream (callers poll)', async () => {
    const { front, base } = await started();
    try {
      const c = createCcxtConnector({
        venue: 'binance',
        market: 'spot',
        env: {},
        apiUrls: binanceFrontApiUrls(base),
        wsUrls: binanceFrontWsUrls(base),
      });
      assert.equal('watchOrders' in c, false);
    } finally {
      await front.close();
    }
  });
});

void describe('unmodified ccxt.pro binanceusdm against the front', () => {
  void test('listenKey, keepalive, ORDER_TRADE_UPDATE parsed into unified orders', async () => {
    const { exchange, front, base } = await started();
    const ex = new ccxt.pro.binanceusdm({
      apiKey: API_KEY,
      secret: SECRET,
      options: { fetchCurrencies: false },
    });
    const api = ex.urls['api'] as Record<string, unknown>;
    const dead = Object.fromEntries(Object.keys(api).map((k) => [k, 'http://127.0.0.1:9/x']));
    ex.urls['api'] = { ...dead, ...binanceFrontApiUrls(base), ws: { ...binanceFrontWsUrls(base) } };
    ex.httpAgent = new Agent();
    // ccxt schedules its 20-minute listenKey keepalive with a bare setTimeout: kept here to clear it.
    const timers: NodeJS.Timeout[] = [];
    ex.delay = (ms: number, method: unknown, ...args: unknown[]) => {
      timers.push(setTimeout(() => void ex.spawn(method, ...args), ms));
    };
    try {
      const first = ex.watchOrders();
      await waitFor('subscribed', () => front.userStream.connections() === 1, 5000, 10);
      const placed = await ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 1, 50000, {
        newClientOrderId: 'usdm-ws1',
      });
      const [open] = await first;
      assert.equal(open?.clientOrderId, 'usdm-ws1');
      assert.equal(open?.id, placed.id);
      assert.equal(open?.symbol, 'BTC/USDT:USDT');
      assert.equal(open?.status, 'open');
      assert.equal(open?.filled, 0);
      // The keepalive ccxt runs every 20 minutes: PUT /fapi/v1/listenKey extends the same key.
      await ex.keepAliveListenKey({ type: 'future' });
      const next = ex.watchOrders();
      exchange.market('binance', 'perp').placeOrder({
        account: 'bob',
        symbol: 'BTC-USDT',
        side: 'sell',
        type: 'limit',
        quantity: '1',
        price: '50000',
      });
      const [filled] = await next;
      assert.equal(filled?.clientOrderId, 'usdm-ws1');
      assert.equal(filled?.status, 'closed');
      assert.equal(filled?.filled, 1);
      assert.equal(filled?.average, 50000);
      assert.equal(filled?.fee?.currency, 'USDT');
    } finally {
      for (const t of timers) clearTimeout(t);
      await ex.close();
      await front.close();
    }
  });
});
