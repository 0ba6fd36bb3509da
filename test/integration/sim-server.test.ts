import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { SimExchange } from '../../sim/exchange';
import { createSimServer } from '../../sim/server/server';
import type { SimServer } from '../../sim/server/server';
import { waitFor } from '../support/wait';
import { heldLatency } from '../unit/sim/helpers';

/** One HTTP call to the server at `base`; a string body is sent as it is (malformed JSON on purpose). */
async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Account k bids 0.001 BTC at 40000 on the simulator's own API. */
const order = (extra: Record<string, unknown> = {}) => ({
  account: 'k',
  symbol: 'BTC-USDT',
  side: 'buy',
  type: 'limit',
  quantity: '0.001',
  price: '40000',
  ...extra,
});

void describe('simulator server over loopback', () => {
  let server: SimServer;
  let base: string;
  const exchange = new SimExchange({ seed: 1 });

  before(async () => {
    server = createSimServer(exchange, { sleep: () => Promise.resolve() });
    base = await server.listen(0);
  });
  after(() => server.close());

  const call = (method: string, path: string, body?: unknown) => request(base, method, path, body);

  void test('bad input gets an exchange-style 4xx and changes nothing', async () => {
    await call('POST', '/admin/deposit', {
      venue: 'okx',
      wallet: 'spot',
      account: 'k',
      asset: 'USDT',
      amount: '1000',
    });
    const cases: Array<[unknown, number, string]> = [
      ['{not json', 400, 'MALFORMED_REQUEST'],
      [order({ symbol: 'NOPE-USDT' }), 400, 'UNKNOWN_SYMBOL'],
      [order({ quantity: '-1' }), 400, 'INVALID_NUMBER'],
      [order({ quantity: 'NaN' }), 400, 'INVALID_NUMBER'],
      [order({ quantity: 1 }), 400, 'MALFORMED_REQUEST'],
      [order({ price: '40000.001' }), 400, 'PRICE_OFF_TICK'],
    ];
    for (const [body, status, reason] of cases) {
      const r = await call('POST', '/v1/okx/spot/order', body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(r.json.reason, reason);
      assert.equal(typeof r.json.code, 'number');
    }
    assert.equal((await call('GET', '/v1/nope/spot/ticker?symbol=BTC-USDT')).status, 404);
    const bal = await call('GET', '/v1/okx/spot/balances?account=k');
    assert.deepEqual(bal.json, [{ asset: 'USDT', total: '1000', locked: '0', available: '1000' }]);
  });

  void test('place, duplicate, fetch by client id, lost response, cancel', async () => {
    const placed = await call('POST', '/v1/okx/spot/order', order({ clientOrderId: 'c1' }));
    assert.equal(placed.status, 200);
    assert.equal(placed.json.status, 'NEW');
    const dup = await call('POST', '/v1/okx/spot/order', order({ clientOrderId: 'c1' }));
    assert.deepEqual([dup.status, dup.json.reason], [409, 'DUPLICATE_CLIENT_ORDER_ID']);
    const got = await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=c1');
    assert.equal(got.json.orderId, placed.json.orderId);

    await call('POST', '/admin/faults', { venue: 'okx', op: 'createOrder', fault: 'lose-response', nth: 1 });
    await assert.rejects(call('POST', '/v1/okx/spot/order', order({ clientOrderId: 'c2' })));
    assert.equal((await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=c2')).json.status, 'NEW');

    await call('POST', '/admin/faults', { venue: 'okx', op: 'cancelOrder', fault: 'rate-limit', times: 1 });
    assert.equal((await call('DELETE', '/v1/okx/spot/order?account=k&clientOrderId=c2')).status, 429);
    assert.equal(
      (await call('DELETE', '/v1/okx/spot/order?account=k&clientOrderId=c2')).json.status,
      'CANCELED',
    );
    await call('DELETE', '/admin/faults');
    const open = await call('GET', '/v1/okx/spot/open-orders?account=k');
    assert.deepEqual(
      (open.json as unknown as Array<{ clientOrderId: string }>).map((o) => o.clientOrderId),
      ['c1'],
    );
  });

  void test('websocket streams best bid/ask and trades, and takes orders', async () => {
    await call('POST', '/admin/deposit', {
      venue: 'bybit',
      wallet: 'spot',
      account: 'm',
      asset: 'BTC',
      amount: '1',
    });
    await call('POST', '/admin/deposit', {
      venue: 'bybit',
      wallet: 'spot',
      account: 't',
      asset: 'USDT',
      amount: '100000',
    });
    const ws = new WebSocket(base.replace('http', 'ws') + '/ws');
    await once(ws, 'open');
    const messages: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => messages.push(JSON.parse((d as Buffer).toString()) as Record<string, unknown>));
    const subscribeBbo = JSON.stringify({
      op: 'subscribe',
      channel: 'bbo',
      venue: 'bybit',
      market: 'spot',
      symbol: 'BTC-USDT',
    });
    const acks = (channel: string) =>
      messages.filter((m) => m.op === 'subscribe' && m.ok === true && m.channel === channel).length;
    /** Waits for the server's own answer to a message (its acknowledgement), not for a fixed time. */
    const answered = (what: string, check: () => boolean) => waitFor(what, check, 5000, 5);
    ws.send(subscribeBbo);
    ws.send(
      JSON.stringify({
        op: 'subscribe',
        channel: 'trades',
        venue: 'bybit',
        market: 'spot',
        symbol: 'BTC-USDT',
      }),
    );
    await answered('both subscriptions acknowledged', () => acks('bbo') === 1 && acks('trades') === 1);
    ws.send(
      JSON.stringify({
        op: 'placeOrder',
        id: 1,
        venue: 'bybit',
        market: 'spot',
        order: {
          account: 'm',
          symbol: 'BTC-USDT',
          side: 'sell',
          type: 'limit',
          quantity: '0.1',
          price: '50000',
        },
      }),
    );
    await answered('the placement answered', () => messages.some((m) => m.id === 1));
    await call('POST', '/v1/bybit/spot/order', {
      account: 't',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.04',
    });
    // The market data of that fill went out on this socket before the HTTP answer; the answer to a request
    // sent now comes after it on the same ordered socket, so once it is here nothing earlier is missing.
    ws.send(subscribeBbo);
    await answered('a later request acknowledged', () => acks('bbo') === 2);
    ws.close();
    const bbo = messages
      .filter((m) => m.channel === 'bbo' && m.data)
      .map((m) => m.data as { askPrice: string; askQty: string });
    assert.deepEqual(
      bbo.map((b) => [b.askPrice, b.askQty]),
      [
        ['50000', '0.1'],
        ['50000', '0.06'],
      ],
    );
    const trades = messages
      .filter((m) => m.channel === 'trades' && m.data)
      .map((m) => m.data as { price: string; quantity: string });
    assert.deepEqual(
      trades.map((t) => [t.price, t.quantity]),
      [['50000', '0.04']],
    );
    assert.equal(messages.find((m) => m.id === 1)?.ok, true);
  });

  void test('admin step advances the clock and settles funding', async () => {
    const before = exchange.clock.now();
    const r = await call('POST', '/admin/step', { dtMs: 1000 });
    assert.equal(r.json.now, before + 1000);
  });
});

void describe('simulator server: recvWindow at execution', () => {
  const exchange = new SimExchange({ seed: 4 });
  exchange.venue('okx').deposit('spot', 'k', 'USDT', '100000');
  const wall = heldLatency(1_800_000_000_000);
  let server: SimServer;
  let base: string;

  before(async () => {
    server = createSimServer(exchange, { sleep: wall.sleep, now: wall.now });
    base = await server.listen(0);
  });
  after(() => server.close());

  const call = (method: string, path: string, body?: unknown) => request(base, method, path, body);
  const stamped = (clientOrderId: string, extra: Record<string, unknown> = {}) =>
    order({ clientOrderId, timestamp: wall.now(), ...extra });

  void test('POST order delayed beyond recvWindow: 400 REQUEST_EXPIRED (-1021), and no order before or after', async () => {
    exchange.faults.add({ venue: 'okx', op: 'createOrder', fault: 'latency', latencyMs: 3000, times: 1 });
    const late = call('POST', '/v1/okx/spot/order', stamped('late', { recvWindow: 2000 }));
    await wall.untilPending();
    assert.equal((await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=late')).status, 404);
    wall.elapse();
    const r = await late;
    assert.deepEqual([r.status, r.json.reason, r.json.code], [400, 'REQUEST_EXPIRED', -1021]);
    assert.equal((await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=late')).status, 404);

    exchange.faults.add({ venue: 'okx', op: 'createOrder', fault: 'latency', latencyMs: 3000, times: 1 });
    const onTime = call('POST', '/v1/okx/spot/order', stamped('on-time'));
    await wall.untilPending();
    wall.elapse();
    assert.equal((await onTime).json.status, 'NEW');
  });

  void test('DELETE order delayed beyond recvWindow is refused and the order stays open', async () => {
    assert.equal((await call('POST', '/v1/okx/spot/order', stamped('c1'))).json.status, 'NEW');
    exchange.faults.add({ venue: 'okx', op: 'cancelOrder', fault: 'latency', latencyMs: 6000, times: 1 });
    const cancelling = call(
      'DELETE',
      `/v1/okx/spot/order?account=k&clientOrderId=c1&timestamp=${wall.now()}`,
    );
    await wall.untilPending();
    wall.elapse();
    assert.equal((await cancelling).json.reason, 'REQUEST_EXPIRED');
    assert.equal((await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=c1')).json.status, 'NEW');
    const bad = await call(
      'DELETE',
      `/v1/okx/spot/order?account=k&clientOrderId=c1&recvWindow=60001&timestamp=1`,
    );
    assert.equal(bad.json.reason, 'MALFORMED_REQUEST');
  });

  void test('websocket placeOrder delayed beyond recvWindow gets REQUEST_EXPIRED', async () => {
    const ws = new WebSocket(base.replace('http', 'ws') + '/ws');
    await once(ws, 'open');
    exchange.faults.add({ venue: 'okx', op: 'createOrder', fault: 'latency', latencyMs: 5001, times: 1 });
    const reply = once(ws, 'message');
    ws.send(
      JSON.stringify({ op: 'placeOrder', id: 7, venue: 'okx', market: 'spot', order: stamped('ws-late') }),
    );
    await wall.untilPending();
    wall.elapse();
    const [data] = (await reply) as [Buffer];
    ws.close();
    const msg = JSON.parse(data.toString()) as { id: number; ok: boolean; error?: { reason: string } };
    assert.deepEqual([msg.id, msg.ok, msg.error?.reason], [7, false, 'REQUEST_EXPIRED']);
    assert.equal((await call('GET', '/v1/okx/spot/order?account=k&clientOrderId=ws-late')).status, 404);
  });
});
