import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../../sim/errors';
import { SimClient } from '../../../sim/gateway';
import type { RequestStamp } from '../../../sim/gateway';
import { balance, heldLatency, limit, testExchange } from './helpers';

/** Refused with `reason` (and that code). */
function refusedWith(reason: string, code?: number) {
  return (e: unknown): boolean =>
    e instanceof SimError && e.reason === reason && (code === undefined || e.code === code);
}

function setup() {
  const ex = testExchange('never');
  ex.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
  const wall = heldLatency();
  const client = new SimClient(ex, wall.sleep, wall.now);
  /** Alice bids 0.1 at 40000, stamped now (unless `stamp` says otherwise). */
  const bid = (clientOrderId?: string, stamp: Partial<RequestStamp> | null = {}) =>
    client.placeOrder(
      'binance',
      'spot',
      limit('alice', 'buy', '0.1', '40000', { clientOrderId }),
      stamp === null ? undefined : { timestamp: wall.now(), ...stamp },
    );
  const cancel = (clientOrderId: string, stamp: Partial<RequestStamp> = {}) =>
    client.cancelOrder('binance', 'spot', 'alice', { clientOrderId }, { timestamp: wall.now(), ...stamp });
  const delay = (op: 'createOrder' | 'cancelOrder', latencyMs: number) =>
    ex.faults.add({ venue: 'binance', op, fault: 'latency', latencyMs, times: 1 });
  return { ex, wall, bid, cancel, delay, spot: ex.market('binance', 'spot') };
}

void describe('recvWindow: the venue refuses a request that would execute after its window', () => {
  void test('an order delayed beyond its window is refused when it would execute, never executed late', async () => {
    const { ex, wall, bid, delay, spot } = setup();
    delay('createOrder', 5001);
    const placing = bid('late');
    await wall.untilPending();
    // In flight: the venue has nothing under that id.
    assert.throws(() => spot.getOrder('alice', { clientOrderId: 'late' }), refusedWith('UNKNOWN_ORDER'));
    wall.elapse();
    await assert.rejects(placing, (e: unknown) => {
      assert.ok(refusedWith('REQUEST_EXPIRED', -1021)(e), String(e));
      assert.equal((e as SimError).httpStatus, 400);
      assert.match((e as SimError).message, /^Timestamp for this request is outside of the recvWindow\./);
      return true;
    });
    // After the delay: still nothing, no funds held, the book is empty.
    assert.throws(() => spot.getOrder('alice', { clientOrderId: 'late' }), refusedWith('UNKNOWN_ORDER'));
    assert.deepEqual(spot.accountOrders('alice'), []);
    assert.equal(spot.book('BTC-USDT').size, 0);
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '100000', locked: '0' });
    // The id was not consumed (even under 'never'): a fresh attempt goes through.
    assert.equal((await bid('late')).status, 'NEW');
  });

  void test('within the window the delayed order executes: 5000 ms of the default window, 9000 ms of a 10 s one', async () => {
    const { wall, bid, delay } = setup();
    delay('createOrder', 5000);
    assert.equal((await wall.through(bid('a'))).status, 'NEW');
    delay('createOrder', 9000);
    assert.equal((await wall.through(bid('b', { recvWindow: 10_000 }))).status, 'NEW');
  });

  void test('a cancel delayed beyond its window is refused; the order stays open', async () => {
    const { wall, bid, cancel, delay, spot } = setup();
    await bid('c');
    delay('cancelOrder', 2000);
    await assert.rejects(
      wall.through(cancel('c', { recvWindow: 1000 })),
      refusedWith('REQUEST_EXPIRED', -1021),
    );
    assert.equal(spot.getOrder('alice', { clientOrderId: 'c' }).status, 'NEW');
    assert.equal((await cancel('c')).status, 'CANCELED');
  });

  void test('at receipt: older than the window or more than 1 s ahead is refused; recvWindow is at most 60000', async () => {
    const { wall, bid, spot } = setup();
    const now = wall.now();
    await assert.rejects(bid(undefined, { timestamp: now - 5001 }), refusedWith('REQUEST_EXPIRED'));
    await assert.rejects(bid(undefined, { timestamp: now + 1001 }), refusedWith('REQUEST_EXPIRED'));
    await assert.rejects(bid(undefined, { recvWindow: 60_001 }), refusedWith('MALFORMED_REQUEST'));
    await assert.rejects(bid(undefined, { recvWindow: 0 }), refusedWith('MALFORMED_REQUEST'));
    assert.equal(spot.book('BTC-USDT').size, 0);
    assert.equal((await bid(undefined, { timestamp: now - 59_000, recvWindow: 60_000 })).status, 'NEW');
    assert.equal((await bid(undefined, { timestamp: now + 1000 })).status, 'NEW');
  });

  void test('a request without a timestamp is not checked (the venue API called directly, bots)', async () => {
    const { wall, bid, delay } = setup();
    delay('createOrder', 60_000);
    assert.equal((await wall.through(bid(undefined, null))).status, 'NEW');
  });
});
