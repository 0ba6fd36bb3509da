import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../../sim/errors';
import { balance, limit, market, testExchange } from './helpers';

function rejects(fn: () => unknown, reason: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SimError && e.reason === reason, `expected ${reason}`);
}

void describe('spot: instrument filters reject like an exchange and change nothing', () => {
  const ex = testExchange();
  const spot = ex.market('binance', 'spot');
  ex.venue('binance').deposit('spot', 'alice', 'USDT', '1000000');

  void test('each filter has its own error', () => {
    rejects(() => spot.placeOrder(limit('alice', 'buy', '0.001', '50000.005')), 'PRICE_OFF_TICK');
    rejects(() => spot.placeOrder(limit('alice', 'buy', '0.000015', '50000')), 'QTY_OFF_STEP');
    rejects(() => spot.placeOrder(limit('alice', 'buy', '0.00009', '50000')), 'QTY_BELOW_MIN');
    rejects(() => spot.placeOrder(limit('alice', 'buy', '100.00001', '50000')), 'QTY_ABOVE_MAX');
    // 0.0001 * 50000 = 5 USDT < min notional 10
    rejects(() => spot.placeOrder(limit('alice', 'buy', '0.0001', '50000')), 'NOTIONAL_BELOW_MIN');
    rejects(
      () => spot.placeOrder({ ...limit('alice', 'buy', '1', '50000'), symbol: 'DOGE-USDT' }),
      'UNKNOWN_SYMBOL',
    );
    rejects(() => spot.placeOrder(limit('alice', 'buy', '-1', '50000')), 'INVALID_NUMBER');
    rejects(() => spot.placeOrder(limit('alice', 'buy', 'NaN', '50000')), 'INVALID_NUMBER');
    rejects(() => spot.placeOrder(limit('alice', 'buy', '0', '50000')), 'INVALID_NUMBER');
    rejects(() => spot.placeOrder(limit('alice', 'buy', '1e2', '50000')), 'INVALID_NUMBER');
    rejects(
      () => spot.placeOrder({ ...limit('alice', 'buy', '1', '50000'), price: undefined }),
      'PRICE_REQUIRED',
    );
    // 30 BTC * 50000 = 1.5M USDT > 1M deposited
    rejects(() => spot.placeOrder(limit('alice', 'buy', '30', '50000')), 'INSUFFICIENT_BALANCE');
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '1000000', locked: '0' });
    assert.equal(spot.book('BTC-USDT').size, 0);
    assert.deepEqual(spot.openOrders('alice'), []);
  });

  void test('the same quantity in trailing-zero form is on the grid', () => {
    const o = spot.placeOrder(limit('alice', 'buy', '0.00100', '50000.00'));
    assert.equal(o.quantity, '0.001');
    assert.equal(o.price, '50000');
  });
});

void describe('spot: locking, fills, fees', () => {
  void test('maker/taker fees and balance locks worked by hand', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const spot = ex.market('binance', 'spot');
    v.deposit('spot', 'alice', 'USDT', '100000');
    v.deposit('spot', 'bob', 'BTC', '2');

    spot.placeOrder(limit('bob', 'sell', '1', '50000'));
    assert.deepEqual(balance(ex, 'bob', 'BTC'), { total: '2', locked: '1' });

    // Alice buys 0.4 at limit 50010: locks 0.4 * 50010 = 20004, fills at the maker's 50000.
    const taker = spot.placeOrder(limit('alice', 'buy', '0.4', '50010'));
    assert.equal(taker.status, 'FILLED');
    assert.equal(taker.averagePrice, '50000');
    assert.equal(taker.cumulativeQuote, '20000'); // 0.4 * 50000
    // Taker fee 0.2 % of the 0.4 BTC received = 0.0008 BTC.
    assert.equal(taker.fee, '0.0008');
    assert.equal(taker.feeAsset, 'BTC');
    // USDT: 100000 - 20000 spent; the 4 USDT locked above the fill price is released.
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '80000', locked: '0' });
    assert.deepEqual(balance(ex, 'alice', 'BTC'), { total: '0.3992', locked: '0' }); // 0.4 - 0.0008

    // Bob: 2 - 0.4 = 1.6 BTC, of which 0.6 still locked; receives 20000 - 0.1 % maker fee (20) = 19980.
    assert.deepEqual(balance(ex, 'bob', 'BTC'), { total: '1.6', locked: '0.6' });
    assert.deepEqual(balance(ex, 'bob', 'USDT'), { total: '19980', locked: '0' });
    const makerOrder = spot.openOrders('bob')[0]!;
    assert.equal(makerOrder.status, 'PARTIALLY_FILLED');
    assert.equal(makerOrder.filledQuantity, '0.4');

    // Cancel unlocks the remaining 0.6.
    spot.cancelOrder('bob', { orderId: makerOrder.orderId });
    assert.deepEqual(balance(ex, 'bob', 'BTC'), { total: '1.6', locked: '0' });
    assert.equal(spot.getOrder('bob', { orderId: makerOrder.orderId }).status, 'CANCELED');

    // Tape shows the one trade.
    assert.deepEqual(
      spot.tape('BTC-USDT').map((t) => [t.price, t.quantity, t.takerSide]),
      [['50000', '0.4', 'buy']],
    );
    assert.deepEqual(
      spot.accountFills('alice').map((f) => [f.price, f.quantity, f.fee, f.liquidity]),
      [['50000', '0.4', '0.0008', 'taker']],
    );
  });

  void test('market buy is priced from the book and walks levels', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const spot = ex.market('binance', 'spot');
    v.deposit('spot', 'bob', 'BTC', '1');
    v.deposit('spot', 'alice', 'USDT', '1000');
    spot.placeOrder(limit('bob', 'sell', '0.01', '50000'));
    spot.placeOrder(limit('bob', 'sell', '0.01', '50100'));
    // 0.015 BTC = 0.01 @ 50000 (500) + 0.005 @ 50100 (250.5) = 750.5 USDT
    const o = spot.placeOrder(market('alice', 'buy', '0.015'));
    assert.equal(o.status, 'FILLED');
    assert.equal(o.cumulativeQuote, '750.5');
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '249.5', locked: '0' });
    // Taker fee 0.2 % of 0.015 = 0.00003 BTC; receives 0.01497
    assert.deepEqual(balance(ex, 'alice', 'BTC'), { total: '0.01497', locked: '0' });
    // A market buy larger than the balance allows is refused before touching the book.
    v.deposit('spot', 'carol', 'USDT', '100');
    assert.throws(() => spot.placeOrder(market('carol', 'buy', '0.005')), /insufficient balance/);
    assert.equal(spot.book('BTC-USDT').bestLots(1), 500); // 0.005 BTC = 500 lots still resting
  });

  void test('IOC remainder expires and its lock is released; FOK that cannot fill does nothing', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const spot = ex.market('binance', 'spot');
    v.deposit('spot', 'bob', 'BTC', '1');
    v.deposit('spot', 'alice', 'USDT', '10000');
    spot.placeOrder(limit('bob', 'sell', '0.01', '50000'));
    const ioc = spot.placeOrder(limit('alice', 'buy', '0.03', '50000', { timeInForce: 'IOC' }));
    assert.equal(ioc.status, 'EXPIRED');
    assert.equal(ioc.filledQuantity, '0.01');
    // Spent 500; nothing left locked.
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '9500', locked: '0' });
    spot.placeOrder(limit('bob', 'sell', '0.01', '50000'));
    const fok = spot.placeOrder(limit('alice', 'buy', '0.02', '50000', { timeInForce: 'FOK' }));
    assert.equal(fok.status, 'EXPIRED');
    assert.equal(fok.filledQuantity, '0');
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '9500', locked: '0' });
  });

  void test('post-only crossing is rejected; post-only resting pays the maker fee', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const spot = ex.market('binance', 'spot');
    v.deposit('spot', 'bob', 'BTC', '1');
    v.deposit('spot', 'alice', 'USDT', '10000');
    spot.placeOrder(limit('bob', 'sell', '0.1', '50000'));
    assert.throws(
      () => spot.placeOrder(limit('alice', 'buy', '0.1', '50000', { postOnly: true })),
      (e: unknown) => e instanceof SimError && e.reason === 'POST_ONLY_WOULD_CROSS',
    );
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '10000', locked: '0' });
    const po = spot.placeOrder(limit('alice', 'buy', '0.1', '49990', { postOnly: true }));
    assert.equal(po.status, 'NEW');
    spot.placeOrder(market('bob', 'sell', '0.1'));
    const filled = spot.getOrder('alice', { orderId: po.orderId });
    // Maker fee 0.1 % of 0.1 BTC = 0.0001 BTC
    assert.equal(filled.fee, '0.0001');
    assert.deepEqual(balance(ex, 'alice', 'USDT'), { total: '5001', locked: '0' }); // 10000 - 0.1*49990
  });
});
