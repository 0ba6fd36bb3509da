import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MarketInterface as Market } from 'ccxt';
import { bookFromCcxt } from '../../../connectors/ccxt/book-mapping';
import type { CcxtBook } from '../../../connectors/ccxt/book-mapping';
import { publicTradeFromCcxt } from '../../../connectors/ccxt/trade-mapping';

/** A spot market, and a perpetual whose amounts are contracts of 0.01 BTC (as OKX lists BTC-USDT-SWAP). */
const spot = { symbol: 'BTC/USDT', spot: true, contract: false } as unknown as Market;
const contracts = { symbol: 'BTC/USDT:USDT', contract: true, contractSize: 0.01 } as unknown as Market;

const book = (fields: Partial<CcxtBook>): CcxtBook => ({
  bids: [
    [49000.5, 1.25],
    [49000, 2],
    [48999, 0.001],
  ],
  asks: [
    [49001, 0.5],
    [49002.25, 3],
  ],
  timestamp: 1_700_000_000_123,
  nonce: 4242,
  ...fields,
});

void describe('ccxt books to port snapshots', () => {
  void test('decimal strings, best first, the nonce as the update id, the venue timestamp', () => {
    assert.deepEqual(bookFromCcxt(book({}), spot, 'BTC-USDT', 50), {
      symbol: 'BTC-USDT',
      lastUpdateId: 4242,
      timestamp: 1_700_000_000_123,
      bids: [
        ['49000.5', '1.25'],
        ['49000', '2'],
        ['48999', '0.001'],
      ],
      asks: [
        ['49001', '0.5'],
        ['49002.25', '3'],
      ],
    });
  });

  void test('only the best `levels` levels of each side', () => {
    const s = bookFromCcxt(book({}), spot, 'BTC-USDT', 2);
    assert.deepEqual(s.bids, [
      ['49000.5', '1.25'],
      ['49000', '2'],
    ]);
    assert.deepEqual(s.asks, [
      ['49001', '0.5'],
      ['49002.25', '3'],
    ]);
  });

  void test('contract amounts come out in base units; prices stay as they are', () => {
    const s = bookFromCcxt(book({ bids: [[49000, 125]], asks: [[49001, 3]] }), contracts, 'BTC-USDT', 50);
    assert.deepEqual(s.bids, [['49000', '1.25']]);
    assert.deepEqual(s.asks, [['49001', '0.03']]);
  });

  void test('a venue without update ids gives 0; tiny sizes are not written with an exponent', () => {
    const s = bookFromCcxt(
      book({ nonce: undefined, bids: [[0.00001234, 1e-8]], asks: [] }),
      spot,
      'PEPE-USDT',
      50,
    );
    assert.equal(s.lastUpdateId, 0);
    assert.deepEqual(s.bids, [['0.00001234', '0.00000001']]);
    assert.deepEqual(s.asks, []);
  });

  void test('a level with a missing price or size is left out', () => {
    const s = bookFromCcxt(
      book({
        bids: [
          [undefined, 1],
          [49000, 1],
        ],
        asks: [[49001, undefined]],
      }),
      spot,
      'BTC-USDT',
      50,
    );
    assert.deepEqual(s.bids, [['49000', '1']]);
    assert.deepEqual(s.asks, []);
  });
});

void describe('ccxt public trades to port prints', () => {
  void test("ccxt's side is the taker's; quantity in base units", () => {
    assert.deepEqual(
      publicTradeFromCcxt(
        { side: 'sell', price: 49000.5, amount: 250, timestamp: 1_700_000_000_000 },
        contracts,
        'BTC-USDT',
      ),
      {
        symbol: 'BTC-USDT',
        price: '49000.5',
        quantity: '2.5',
        takerSide: 'sell',
        timestamp: 1_700_000_000_000,
      },
    );
    assert.equal(
      publicTradeFromCcxt({ side: 'buy', price: 3000, amount: 0.1, timestamp: 1 }, spot, 'ETH-USDT')
        ?.takerSide,
      'buy',
    );
  });

  void test('a print without a side, price or amount is dropped', () => {
    assert.equal(
      publicTradeFromCcxt({ side: undefined, price: 1, amount: 1, timestamp: 1 }, spot, 'BTC-USDT'),
      undefined,
    );
    assert.equal(
      publicTradeFromCcxt({ side: 'buy', price: undefined, amount: 1, timestamp: 1 }, spot, 'BTC-USDT'),
      undefined,
    );
    assert.equal(
      publicTradeFromCcxt({ side: 'buy', price: 1, amount: undefined, timestamp: 1 }, spot, 'BTC-USDT'),
      undefined,
    );
  });
});
