import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { WebSocket } from 'ws';
import { ConnectorError } from '../../../connectors/exchange-connector';
import {
  bybitFrontApiUrls,
  bybitFrontWsUrls,
  createBybitFront,
  streamSignaturePayload,
} from '../../../sim/fronts/bybit';
import { waitFor } from '../../support/wait';
import { API_KEY, SECRET, brief, startFront, watching } from './order-stream-kit';

const BYBIT = {
  venue: 'bybit' as const,
  create: createBybitFront,
  apiUrls: bybitFrontApiUrls,
  wsUrls: bybitFrontWsUrls,
};
const started = (credentials?: { apiKey?: string; secret?: string }) => startFront(BYBIT, credentials);

/** ccxt bybit subscribes the all-in-one `order` topic on `/v5/private` (a unified account), any market. */
const subscribedOnce = (front: { privateStream: { subscriptions(): string[][] } }): boolean =>
  JSON.stringify(front.privateStream.subscriptions()) === '[["order"]]';

for (const market of ['spot', 'perp'] as const) {
  void describe(`ccxt bybit ${market} watchOrders through the front's private stream`, () => {
    void test('onLive first; New, partial and full fill, cancel; a taker sweeping two levels', async () => {
      const { exchange, front, connectorFor } = await started();
      const sim = exchange.market('bybit', market);
      const other = exchange.market('bybit', market === 'spot' ? 'perp' : 'spot');
      const bob = (side: 'buy' | 'sell', price: string, quantity: string): void => {
        sim.placeOrder({ account: 'bob', symbol: 'BTC-USDT', side, type: 'limit', quantity, price });
      };
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor('live and subscribed', () => w.isLive() && subscribedOnce(front), 5000, 10);
        assert.equal(front.privateStream.connections(), 1);

        const place = (clientOrderId: string, price: string, quantity: string) =>
          c.createOrder({ symbol: 'BTC-USDT', clientOrderId, side: 'buy', type: 'limit', quantity, price });
        // Each step waits for its change, so every state below is seen on its own.
        await place('a1', '50000', '1');
        await waitFor('a1 open', () => w.last('a1')?.status === 'open', 5000, 10);
        // The `order` topic carries every category: an order on the other market is not this watch's.
        other.placeOrder({
          account: 'alice',
          symbol: 'BTC-USDT',
          side: 'buy',
          type: 'limit',
          quantity: '0.1',
          price: '30000',
          clientOrderId: 'elsewhere',
        });
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

        // A taker filled at placement: New, then one update per fill, which ccxt may merge when they
        // arrive in one read; whatever is seen progresses to the full fill at the mean price.
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
        assert.deepEqual(w.orders('elsewhere'), []);

        w.ac.abort();
        await w.done;
        await waitFor('socket closed', () => front.privateStream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });

    void test('abort resolves and closes the socket; nothing is reported after it', async () => {
      const { front, connectorFor } = await started();
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor('live and subscribed', () => w.isLive() && subscribedOnce(front), 5000, 10);
        w.ac.abort();
        await w.done;
        await waitFor('server saw the socket close', () => front.privateStream.connections() === 0, 5000, 10);
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
        await waitFor('later live', () => later.isLive() && subscribedOnce(front), 5000, 10);
        await c.cancelOrder('BTC-USDT', 'late');
        await waitFor('later saw the cancel', () => later.last('late')?.status === 'canceled', 5000, 10);
        assert.deepEqual(w.orders(), []);
        later.ac.abort();
        await later.done;
        await waitFor('closed again', () => front.privateStream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });

    void test('a dropped stream rejects with retryable; a new watch streams again', async () => {
      const { exchange, front, connectorFor } = await started();
      try {
        const c = connectorFor(market);
        const w = watching(c);
        await waitFor('live and subscribed', () => w.isLive() && subscribedOnce(front), 5000, 10);
        exchange.faults.add({ venue: 'bybit', market, op: 'marketData', fault: 'disconnect', nth: 1 });
        exchange.step(1000);
        await assert.rejects(w.done, (e: unknown) => e instanceof ConnectorError && e.kind === 'retryable');
        const again = watching(c);
        await waitFor('live again', () => again.isLive() && subscribedOnce(front), 5000, 10);
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

const wrong = `bad${randomBytes(24).toString('hex')}`;
const noCredentialIn = (e: unknown): boolean => {
  const texts = [String(e), (e as Error).stack ?? '', JSON.stringify(e)];
  return texts.every((t) => !t.includes(wrong) && !t.includes(SECRET) && !t.includes(API_KEY));
};

void describe('refused logins through the connector', () => {
  for (const [what, creds] of [
    ['a wrong secret', { secret: wrong }],
    ['an unknown API key', { apiKey: `key${randomBytes(12).toString('hex')}`, secret: wrong }],
  ] as const)
    void test(`${what}: watchOrders rejects with auth, redacted`, async () => {
      const { front, connectorFor } = await started(creds);
      try {
        const w = watching(connectorFor('spot'));
        // ccxt asks `/v5/user/query-api` (signed) whether the account is unified before it opens the
        // private socket: the key is refused there first (10004 / 10003), as on Bybit.
        await assert.rejects(
          w.done,
          (e: unknown) => e instanceof ConnectorError && e.kind === 'auth' && noCredentialIn(e),
        );
        assert.equal(w.isLive(), false);
        await waitFor('no socket left', () => front.privateStream.connections() === 0, 5000, 10);
      } finally {
        await front.close();
      }
    });
});

/** An unmodified ccxt.pro bybit on the front; told the account is unified, it skips the REST check. */
function plainPro(base: string): Exchange {
  const ex = new ccxt.pro.bybit({
    apiKey: API_KEY,
    secret: SECRET,
    enableRateLimit: false,
    options: {
      fetchMarkets: { types: ['spot', 'linear'] },
      fetchCurrencies: false,
      enableUnifiedMargin: false,
      enableUnifiedAccount: true,
    },
  });
  const api = ex.urls['api'] as Record<string, unknown>;
  const dead = Object.fromEntries(Object.keys(api).map((k) => [k, 'http://127.0.0.1:9/x']));
  ex.urls['api'] = { ...dead, ...bybitFrontApiUrls(base), ws: bybitFrontWsUrls(base) };
  ex.httpAgent = new Agent();
  return ex;
}

void describe('unmodified ccxt.pro bybit against the private stream', () => {
  void test('auth, order topic parsed into unified spot and linear orders on one socket', async () => {
    const { exchange, front, base } = await started();
    const ex = plainPro(base);
    try {
      const first = ex.watchOrders();
      await waitFor('subscribed', () => subscribedOnce(front), 5000, 10);
      const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 50000, { orderLinkId: 'ws-spot1' });
      const [open] = await first;
      assert.equal(open?.clientOrderId, 'ws-spot1');
      assert.equal(open?.id, placed.id);
      assert.equal(open?.symbol, 'BTC/USDT');
      assert.equal(open?.status, 'open');
      assert.equal(open?.filled, 0);

      const next = ex.watchOrders();
      exchange.market('bybit', 'spot').placeOrder({
        account: 'bob',
        symbol: 'BTC-USDT',
        side: 'sell',
        type: 'limit',
        quantity: '1',
        price: '50000',
      });
      const [filled] = await next;
      assert.equal(filled?.clientOrderId, 'ws-spot1');
      assert.equal(filled?.status, 'closed');
      assert.equal(filled?.filled, 1);
      assert.equal(filled?.average, 50000);
      assert.equal(filled?.fee?.currency, 'BTC');

      // The same socket and topic carry the linear category, told apart by `tpslMode` as on REST.
      const linear = ex.watchOrders();
      await ex.createOrder('BTC/USDT:USDT', 'limit', 'sell', 0.5, 60000, { orderLinkId: 'ws-lin1' });
      const [perp] = await linear;
      assert.equal(perp?.clientOrderId, 'ws-lin1');
      assert.equal(perp?.symbol, 'BTC/USDT:USDT');
      assert.equal(perp?.status, 'open');
      const canceled = ex.watchOrders();
      await ex.cancelOrder(perp?.id ?? '', 'BTC/USDT:USDT');
      const [gone] = await canceled;
      assert.equal(gone?.status, 'canceled');
      assert.equal(front.privateStream.connections(), 1);
    } finally {
      await ex.close();
      await front.close();
    }
  });

  void test('a wrong signature: the auth answer is an AuthenticationError to ccxt, no secret in it', async () => {
    const { front, base } = await started();
    const ex = plainPro(base);
    try {
      // Markets (and currencies, which ccxt's bybit reads signed) with the right key; the login with a wrong one.
      await ex.loadMarkets();
      ex.secret = wrong;
      await assert.rejects(
        ex.watchOrders(),
        (e: unknown) => e instanceof ccxt.AuthenticationError && noCredentialIn(e),
      );
      assert.deepEqual(front.privateStream.subscriptions(), [[]]);
    } finally {
      await ex.close();
      await front.close();
    }
  });
});

void describe('the private stream protocol', () => {
  void test('ping, subscribe before auth, expired and good logins, unknown topic', async () => {
    const { front, base } = await started();
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v5/private`);
    const replies: Record<string, unknown>[] = [];
    ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
    const ask = async (msg: unknown): Promise<Record<string, unknown>> => {
      const n = replies.length;
      ws.send(JSON.stringify(msg));
      await waitFor('reply', () => replies.length > n, 5000, 5);
      return replies[n] ?? {};
    };
    const login = (expires: number) => [
      API_KEY,
      expires,
      createHmac('sha256', SECRET)
        .update(streamSignaturePayload(String(expires)))
        .digest('hex'),
    ];
    try {
      await once(ws, 'open');
      const pong = await ask({ op: 'ping', req_id: '7' });
      assert.equal(pong['op'], 'pong');
      assert.equal(pong['req_id'], '7');
      const early = await ask({ op: 'subscribe', req_id: '1', args: ['order'] });
      assert.equal(early['success'], false);
      assert.equal(early['ret_msg'], 'Request not authorized');
      const expired = await ask({ op: 'auth', args: login(Date.now() - 1000) });
      assert.deepEqual(
        [expired['success'], expired['ret_msg'], expired['op']],
        [false, 'Params Error', 'auth'],
      );
      const ok = await ask({ op: 'auth', args: login(Date.now() + 10_000) });
      assert.deepEqual([ok['success'], ok['op']], [true, 'auth']);
      const unknown = await ask({ op: 'subscribe', req_id: '2', args: ['wallet'] });
      assert.equal(unknown['success'], false);
      const sub = await ask({ op: 'subscribe', req_id: '3', args: ['order.linear'] });
      assert.deepEqual([sub['success'], sub['req_id'], sub['op']], [true, '3', 'subscribe']);
      assert.deepEqual(front.privateStream.subscriptions(), [['order.linear']]);
    } finally {
      ws.close();
      await front.close();
    }
  });
});
