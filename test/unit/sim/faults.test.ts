import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../../sim/errors';
import type { MarketDataEvent } from '../../../sim/exchange';
import { SimClient } from '../../../sim/gateway';
import { limit, testExchange } from './helpers';

async function rejectsWith(p: Promise<unknown>, reason: string, http: number): Promise<void> {
  await assert.rejects(
    p,
    (e: unknown) => e instanceof SimError && e.reason === reason && e.httpStatus === http,
  );
}

function setup() {
  const ex = testExchange('never');
  ex.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
  const slept: number[] = [];
  const client = new SimClient(ex, (ms) => {
    slept.push(ms);
    return Promise.resolve();
  });
  return { ex, client, slept, spot: ex.market('binance', 'spot') };
}

void describe('request faults', () => {
  void test('latency delays the call by the scripted amount', async () => {
    const { ex, client, slept } = setup();
    ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'latency', latencyMs: 250 });
    const o = await client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000'));
    assert.equal(o.status, 'NEW');
    assert.deepEqual(slept, [250]);
  });

  void test('lose-response on the 2nd createOrder: the order is in the book, the caller sees a timeout', async () => {
    const { ex, client, spot } = setup();
    ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'lose-response', nth: 2 });
    await client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a' }));
    await rejectsWith(
      client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'b' })),
      'NETWORK_TIMEOUT',
      504,
    );
    // The order exists: a naive retry with the same id is refused as a duplicate, and reconciling by id finds it.
    assert.equal((await client.getOrder('binance', 'spot', 'alice', { clientOrderId: 'b' })).status, 'NEW');
    await rejectsWith(
      client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'b' })),
      'DUPLICATE_CLIENT_ORDER_ID',
      409,
    );
    assert.equal(spot.book('BTC-USDT').size, 2);
    // The 3rd call is unaffected (nth fires once).
    await client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'c' }));
  });

  void test('rate limit (429) and server error (5xx) fail before anything happens', async () => {
    const { ex, client, spot } = setup();
    const rl = ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'rate-limit', times: 1 });
    await rejectsWith(
      client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a' })),
      'RATE_LIMITED',
      429,
    );
    assert.equal(spot.book('BTC-USDT').size, 0);
    ex.faults.remove(rl.id);
    ex.faults.add({ venue: 'binance', op: 'cancelOrder', fault: 'server-error', times: 1 });
    await client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a' }));
    await rejectsWith(
      client.cancelOrder('binance', 'spot', 'alice', { clientOrderId: 'a' }),
      'SERVER_ERROR',
      503,
    );
    assert.equal(spot.getOrder('alice', { clientOrderId: 'a' }).status, 'NEW');
    // times: 1 -> the retry goes through.
    assert.equal(
      (await client.cancelOrder('binance', 'spot', 'alice', { clientOrderId: 'a' })).status,
      'CANCELED',
    );
  });

  void test('reject refuses a createOrder as for want of funds, nothing executed; only createOrder takes it', async () => {
    const { ex, client, spot } = setup();
    ex.faults.add({ venue: 'binance', op: 'createOrder', fault: 'reject', nth: 1 });
    await rejectsWith(
      client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'a' })),
      'INSUFFICIENT_BALANCE',
      400,
    );
    assert.equal(spot.book('BTC-USDT').size, 0);
    const next = await client.placeOrder(
      'binance',
      'spot',
      limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'b' }),
    );
    assert.equal(next.status, 'NEW');
    assert.throws(
      () => ex.faults.add({ op: 'cancelOrder', fault: 'reject' }),
      /applies to op 'createOrder' only/,
    );
  });

  void test('rules are scoped by venue and market and can be cleared at runtime', async () => {
    const { ex, client } = setup();
    ex.faults.add({ venue: 'okx', op: '*', fault: 'server-error' });
    ex.faults.add({ venue: 'binance', market: 'perp', op: '*', fault: 'server-error' });
    await client.placeOrder('binance', 'spot', limit('alice', 'buy', '0.1', '40000'));
    await rejectsWith(client.perpAccount('binance', 'alice'), 'SERVER_ERROR', 503);
    ex.faults.clear();
    assert.equal((await client.perpAccount('binance', 'alice')).walletBalance, '0');
  });

  void test('probability faults are drawn from the seed: same seed, same pattern', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const ex = testExchange('never', seed);
      ex.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
      ex.faults.add({ op: 'getOrder', fault: 'rate-limit', probability: 0.5 });
      const client = new SimClient(ex, () => Promise.resolve());
      await client.placeOrder(
        'binance',
        'spot',
        limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'x' }),
      );
      let s = '';
      for (let i = 0; i < 40; i++) {
        s += await client.getOrder('binance', 'spot', 'alice', { clientOrderId: 'x' }).then(
          () => '.',
          () => 'X',
        );
      }
      return s;
    };
    const a = await pattern(11);
    assert.equal(await pattern(11), a);
    assert.notEqual(await pattern(12), a);
    assert.match(a, /X/);
    assert.match(a, /\./);
  });
});

void describe('market-data faults', () => {
  void test('disconnect is announced to stream subscribers on the scripted step', () => {
    const { ex } = setup();
    const events: MarketDataEvent[] = [];
    ex.onMarketData((e) => events.push(e));
    ex.faults.add({ venue: 'binance', market: 'spot', op: 'marketData', fault: 'disconnect', nth: 2 });
    ex.step(100);
    assert.equal(events.filter((e) => e.type === 'disconnect').length, 0);
    ex.step(100);
    assert.deepEqual(
      events.filter((e) => e.type === 'disconnect'),
      [{ type: 'disconnect', venue: 'binance', market: 'spot' }],
    );
  });

  void test('stale feed: quotes stop updating for the duration, then resume', () => {
    const { ex, spot } = setup();
    const events: MarketDataEvent[] = [];
    ex.onMarketData((e) => events.push(e));
    spot.placeOrder(limit('alice', 'buy', '0.1', '40000'));
    assert.equal(ex.ticker('binance', 'spot', 'BTC-USDT').bidPrice, '40000');
    ex.faults.add({
      venue: 'binance',
      market: 'spot',
      op: 'marketData',
      fault: 'stale',
      durationMs: 1000,
      times: 1,
    });
    ex.step(100); // stale from t+100 until t+1100
    events.length = 0;
    spot.placeOrder(limit('alice', 'buy', '0.1', '41000'));
    assert.equal(ex.ticker('binance', 'spot', 'BTC-USDT').bidPrice, '40000'); // frozen
    assert.equal(spot.top('BTC-USDT').bidPrice, '41000'); // the book itself moved
    assert.equal(events.length, 0);
    ex.step(999);
    assert.equal(ex.ticker('binance', 'spot', 'BTC-USDT').bidPrice, '40000');
    ex.step(1);
    assert.equal(ex.ticker('binance', 'spot', 'BTC-USDT').bidPrice, '41000');
    spot.placeOrder(limit('alice', 'buy', '0.1', '42000'));
    assert.deepEqual(
      events.map((e) => e.type === 'bbo' && e.top.bidPrice),
      ['42000'],
    );
  });
});
