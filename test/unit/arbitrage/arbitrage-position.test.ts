import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  feeInQuote,
  imbalance,
  openQuantity,
} from '../../../workflows/strategies/arbitrage/arbitrage-position';

const fill = (quantity: string, price = '100') => ({ price, quantity, fee: '0' });

describe('arbitrage position: what each leg still holds', () => {
  test('open quantity is entered minus exited', () => {
    assert.equal(openQuantity({ entries: [fill('2'), fill('0.5')], exits: [fill('1.25')] }), '1.25');
    assert.equal(openQuantity({ entries: [], exits: [] }), '0');
  });

  test('the leg holding more, and by how much; none when both hold the same', () => {
    // Long entered 2, short entered 0.5: the long holds 1.5 more.
    assert.deepEqual(
      imbalance({ long: { entries: [fill('2')], exits: [] }, short: { entries: [fill('0.5')], exits: [] } }),
      { leg: 'long', quantity: '1.5' },
    );
    // Exit: the long closed 2, the short only 1.2 of its 2: the short holds 0.8 more.
    assert.deepEqual(
      imbalance({
        long: { entries: [fill('2')], exits: [fill('2')] },
        short: { entries: [fill('2')], exits: [fill('1.2')] },
      }),
      { leg: 'short', quantity: '0.8' },
    );
    assert.equal(
      imbalance({ long: { entries: [fill('2')], exits: [] }, short: { entries: [fill('2.0')], exits: [] } }),
      undefined,
    );
  });
});

describe('arbitrage position: fees in the quote currency', () => {
  test('a quote fee as is, a base fee at the fill price, any other asset unknown', () => {
    assert.equal(feeInQuote('ETH-USDT', '0.1', 'USDT', '2000'), '0.1');
    // A spot buy of ETH pays 0.001 ETH: 0.001 × 2000 = 2 USDT.
    assert.equal(feeInQuote('ETH-USDT', '0.001', 'ETH', '2000'), '2');
    assert.equal(feeInQuote('ETH-USDT', '0.3', 'BNB', '2000'), undefined);
    assert.equal(feeInQuote('ETH-USDT', '0', 'BNB', '2000'), '0');
  });
});
