import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../../sim/errors';
import { balance, limit, market, testExchange } from './helpers';

const isDuplicate = (e: unknown): boolean =>
  e instanceof SimError && e.reason === 'DUPLICATE_CLIENT_ORDER_ID' && e.code === -4116;

function setup(mode: 'never' | 'after-close') {
  const ex = testExchange(mode);
  const v = ex.venue('binance');
  v.deposit('spot', 'alice', 'USDT', '100000');
  v.deposit('spot', 'bob', 'BTC', '10');
  v.deposit('spot', 'carol', 'USDT', '100000');
  return { ex, spot: ex.market('binance', 'spot') };
}

void describe("client order ids, reuse 'never'", () => {
  void test('a second order with a used id is refused, the original is fetchable and nothing changes', () => {
    const { ex, spot } = setup('never');
    const first = spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' }));
    const lockedBefore = balance(ex, 'alice', 'USDT');
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.2', '41000', { clientOrderId: 'k-1' })),
      isDuplicate,
    );
    assert.deepEqual(balance(ex, 'alice', 'USDT'), lockedBefore); // still 4000 locked, not 4000 + 8200
    assert.equal(spot.book('BTC-USDT').size, 1);
    const fetched = spot.getOrder('alice', { clientOrderId: 'k-1' });
    assert.equal(fetched.orderId, first.orderId);
    assert.equal(fetched.price, '40000');
  });

  void test('still refused after the first order is cancelled or filled', () => {
    const { spot } = setup('never');
    spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' }));
    spot.cancelOrder('alice', { clientOrderId: 'k-1' });
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' })),
      isDuplicate,
    );
    spot.placeOrder(limit('bob', 'sell', '0.1', '40000'));
    spot.placeOrder(market('alice', 'buy', '0.1'));
    spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-2' }));
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-2' }).status, 'NEW');
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-1' }).status, 'CANCELED');
  });

  void test('a rejected order does not consume its id; ids are per account', () => {
    const { spot } = setup('never');
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '40000.001', { clientOrderId: 'k-9' })),
      /tick/,
    );
    assert.throws(
      () => spot.getOrder('alice', { clientOrderId: 'k-9' }),
      (e: unknown) => e instanceof SimError && e.reason === 'UNKNOWN_ORDER',
    );
    spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-9' }));
    spot.placeOrder(limit('carol', 'buy', '0.1', '40000', { clientOrderId: 'k-9' }));
    assert.throws(
      () => spot.getOrder('carol', { orderId: spot.getOrder('alice', { clientOrderId: 'k-9' }).orderId }),
      /does not exist/,
    );
  });
});

void describe("client order ids, reuse 'after-close'", () => {
  void test('refused while open, accepted after cancel, lookups return the newest', () => {
    const { spot } = setup('after-close');
    const first = spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' }));
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' })),
      isDuplicate,
    );
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-1' }).orderId, first.orderId);
    spot.cancelOrder('alice', { clientOrderId: 'k-1' });
    const second = spot.placeOrder(limit('alice', 'buy', '0.2', '39000', { clientOrderId: 'k-1' }));
    assert.notEqual(second.orderId, first.orderId);
    const fetched = spot.getOrder('alice', { clientOrderId: 'k-1' });
    assert.equal(fetched.orderId, second.orderId);
    assert.equal(fetched.quantity, '0.2');
    // The first is still reachable by its venue order id.
    assert.equal(spot.getOrder('alice', { orderId: first.orderId }).status, 'CANCELED');
  });

  void test('refused while partially filled, accepted after fully filled', () => {
    const { spot } = setup('after-close');
    spot.placeOrder(limit('alice', 'buy', '0.2', '40000', { clientOrderId: 'k-1' }));
    spot.placeOrder(market('bob', 'sell', '0.1'));
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-1' }).status, 'PARTIALLY_FILLED');
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' })),
      isDuplicate,
    );
    spot.placeOrder(market('bob', 'sell', '0.1'));
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-1' }).status, 'FILLED');
    const again = spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' }));
    assert.equal(spot.getOrder('alice', { clientOrderId: 'k-1' }).orderId, again.orderId);
  });

  void test('switching the venue setting at runtime takes effect', () => {
    const { ex, spot } = setup('after-close');
    ex.venue('binance').setClientIdReuse('never');
    spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' }));
    spot.cancelOrder('alice', { clientOrderId: 'k-1' });
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '40000', { clientOrderId: 'k-1' })),
      isDuplicate,
    );
  });
});
