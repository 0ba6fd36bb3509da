import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimError } from '../../../sim/errors';
import { limit, market, testExchange } from './helpers';

/** Alice goes long 0.2 BTC at 50000 (notional 10000) with 1000 USDT at 10x; Bob is the big counterparty. */
function aliceLong() {
  const ex = testExchange();
  const v = ex.venue('binance');
  const perp = ex.market('binance', 'perp');
  v.deposit('perp', 'alice', 'USDT', '1000');
  v.deposit('perp', 'bob', 'USDT', '1000000');
  perp.placeOrder(limit('bob', 'sell', '0.2', '50000'));
  perp.placeOrder(market('alice', 'buy', '0.2'));
  return { ex, v, perp };
}

void describe('perp: margin on order entry', () => {
  void test('initial margin = notional / leverage; over the limit is rejected with no state change', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const perp = ex.market('binance', 'perp');
    v.deposit('perp', 'alice', 'USDT', '1000');
    // Default leverage 10: 0.201 * 50000 = 10050 notional -> 1005 margin > 1000 available.
    assert.throws(
      () => perp.placeOrder(limit('alice', 'buy', '0.201', '50000')),
      (e: unknown) => e instanceof SimError && e.reason === 'INSUFFICIENT_MARGIN',
    );
    assert.equal(v.perpAccount('alice').orderMargin, '0');
    assert.equal(perp.book('BTC-USDT').size, 0);
    // 0.2 * 50000 = 10000 -> 1000 margin: exactly available.
    perp.placeOrder(limit('alice', 'buy', '0.2', '50000'));
    assert.equal(v.perpAccount('alice').orderMargin, '1000');
    assert.equal(v.perpAccount('alice').availableMargin, '0');
    assert.throws(() => perp.placeOrder(limit('alice', 'buy', '0.001', '40000')), /Margin is insufficient/);
    // At 20x the same 10000 notional needs only 500.
    perp.cancelAll('alice');
    v.setLeverage('alice', 'BTC-USDT', 20);
    perp.placeOrder(limit('alice', 'buy', '0.2', '50000'));
    assert.equal(v.perpAccount('alice').orderMargin, '500');
  });

  void test('an order that only reduces the position needs no extra margin', () => {
    const { v, perp } = aliceLong();
    // Wallet 995 after fee, position margin 1000 at mark 50000 -> available -5: new exposure refused...
    assert.throws(() => perp.placeOrder(limit('alice', 'buy', '0.001', '49000')), /Margin is insufficient/);
    // ...but a sell that closes part of the long is accepted.
    perp.placeOrder(limit('alice', 'sell', '0.1', '60000'));
    assert.equal(v.perpAccount('alice').orderMargin, '0');
  });
});

void describe('perp: positions and PnL', () => {
  void test('entry, fees, unrealized and realized PnL', () => {
    const { v, perp } = aliceLong();
    let a = v.perpAccount('alice');
    // Taker fee 0.05 % of 10000 = 5 -> wallet 995.
    assert.equal(a.walletBalance, '995');
    assert.deepEqual(
      a.positions.map((p) => [p.side, p.quantity, p.entryPrice]),
      [['long', '0.2', '50000']],
    );
    // Bob: maker fee 0.02 % of 10000 = 2.
    assert.equal(v.perpAccount('bob').walletBalance, '999998');
    perp.setMarkPrice('BTC-USDT', '49000');
    a = v.perpAccount('alice');
    assert.equal(a.unrealizedPnl, '-200'); // (49000 - 50000) * 0.2
    assert.equal(a.equity, '795');
    // Close half at 51000 against Bob's bid: realized (51000 - 50000) * 0.1 = 100, fee 0.05 % * 5100 = 2.55.
    perp.placeOrder(limit('bob', 'buy', '0.1', '51000'));
    perp.placeOrder(market('alice', 'sell', '0.1'));
    a = v.perpAccount('alice');
    assert.equal(a.walletBalance, '1092.45'); // 995 + 100 - 2.55
    assert.deepEqual(
      a.positions.map((p) => [p.quantity, p.entryPrice, p.realizedPnl]),
      [['0.1', '50000', '100']],
    );
  });

  void test('entry price is the quantity-weighted average', () => {
    const ex = testExchange();
    const v = ex.venue('binance');
    const perp = ex.market('binance', 'perp');
    v.deposit('perp', 'alice', 'USDT', '100000');
    v.deposit('perp', 'bob', 'USDT', '100000');
    perp.placeOrder(limit('bob', 'sell', '0.1', '50000'));
    perp.placeOrder(limit('bob', 'sell', '0.3', '51000'));
    perp.placeOrder(market('alice', 'buy', '0.4'));
    // (0.1 * 50000 + 0.3 * 51000) / 0.4 = (5000 + 15300) / 0.4 = 50750
    assert.equal(v.perpAccount('alice').positions[0]!.entryPrice, '50750');
    // Flip: sell 0.6 at 52000 -> closes 0.4 (realized (52000 - 50750) * 0.4 = 500), opens short 0.2 at 52000.
    perp.placeOrder(limit('bob', 'buy', '0.6', '52000'));
    perp.placeOrder(market('alice', 'sell', '0.6'));
    const p = v.perpAccount('alice').positions[0]!;
    assert.deepEqual([p.side, p.quantity, p.entryPrice, p.realizedPnl], ['short', '0.2', '52000', '500']);
  });
});

void describe('perp: liquidation', () => {
  void test('liquidates when equity falls below maintenance margin, closing at mark', () => {
    const { ex, v, perp } = aliceLong();
    // Mark 45300: uPnL (45300 - 50000) * 0.2 = -940, equity 995 - 940 = 55;
    // maintenance 0.5 % * 0.2 * 45300 = 45.3 -> 55 >= 45.3, safe.
    perp.setMarkPrice('BTC-USDT', '45300');
    ex.step(1000);
    assert.equal(v.liquidations.length, 0);
    // Mark 45200: uPnL -960, equity 35 < maintenance 45.2 -> liquidated at 45200.
    perp.setMarkPrice('BTC-USDT', '45200');
    ex.step(1000);
    assert.deepEqual(
      v.liquidationViews('alice').map((l) => [l.side, l.quantity, l.markPrice, l.realizedPnl, l.shortfall]),
      [['long', '0.2', '45200', '-960', '0']],
    );
    const a = v.perpAccount('alice');
    assert.equal(a.walletBalance, '35'); // 995 - 960
    assert.equal(a.positions[0]!.quantity, '0');
  });

  void test('loss beyond the wallet is absorbed by the insurance fund; open orders are cancelled', () => {
    const { ex, v, perp } = aliceLong();
    const resting = perp.placeOrder(limit('alice', 'sell', '0.1', '70000'));
    perp.setMarkPrice('BTC-USDT', '40000');
    ex.step(1);
    // uPnL (40000 - 50000) * 0.2 = -2000 against a 995 wallet: shortfall 1005, wallet floored at 0.
    assert.deepEqual(
      v.liquidationViews('alice').map((l) => [l.realizedPnl, l.shortfall]),
      [['-2000', '1005']],
    );
    assert.equal(v.perpAccount('alice').walletBalance, '0');
    assert.equal(v.ledger.insuranceFundAtoms, -1005n * 100_000_000n);
    assert.equal(perp.getOrder('alice', { orderId: resting.orderId }).status, 'CANCELED');
  });
});

void describe('perp: funding', () => {
  void test('long pays short when the rate is positive, receives when negative', () => {
    const { ex, v, perp } = aliceLong();
    perp.setMarkPrice('BTC-USDT', '50000');
    v.setFundingRate('BTC-USDT', '0.0001');
    // Start is 00:00 UTC; first funding at 08:00. Notional 0.2 * 50000 = 10000; 10000 * 0.0001 = 1.
    ex.step(8 * 3600_000 - 1);
    assert.equal(v.perpAccount('alice').walletBalance, '995');
    ex.step(1);
    assert.equal(v.perpAccount('alice').walletBalance, '994'); // 995 - 1
    assert.equal(v.perpAccount('bob').walletBalance, '999999'); // 999998 + 1
    assert.deepEqual(
      v.fundingPayments('alice').map((f) => [f.rate, f.amount]),
      [['0.0001', '-1']],
    );
    // Next interval at -0.0002: long receives 10000 * 0.0002 = 2.
    v.setFundingRate('BTC-USDT', '-0.0002');
    ex.step(8 * 3600_000);
    assert.equal(v.perpAccount('alice').walletBalance, '996');
    assert.equal(v.perpAccount('bob').walletBalance, '999997');
  });
});
