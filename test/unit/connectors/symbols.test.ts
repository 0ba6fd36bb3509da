import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalToCcxt, ccxtToCanonical, normalizeCcxtMarkets } from '../../../connectors/ccxt/markets';
import type { CcxtMarketLike } from '../../../connectors/ccxt/markets';
import { canonicalToVenue, splitCanonical, venueToCanonical } from '../../../domain/symbols';
import type { Venue } from '../../../domain/venues';
import { sharedDataSet } from '../../support/shared-data';

void describe('venue symbol parsing (inline cases)', () => {
  const cases: Array<[Venue, 'spot' | 'perp', string, string | undefined]> = [
    ['binance', 'spot', 'BTCUSDT', 'BTC-USDT'],
    ['binance', 'perp', 'BTCUSDT', 'BTC-USDT'],
    ['binance', 'perp', '1000PEPEUSDT', '1000PEPE-USDT'],
    ['binance', 'spot', 'BTCUSDC', undefined],
    ['binance', 'spot', 'BTCUSDTM', undefined], // contains USDT, does not end with it
    ['binance', 'spot', 'USDTBTC', undefined],
    ['binance', 'spot', 'USDT', undefined], // no base
    ['binance', 'spot', 'USDTUSDT', undefined],
    ['binance', 'spot', 'btcusdt', undefined],
    ['binance', 'perp', 'BTCUSD_PERP', undefined],
    ['binance', 'spot', 'BTC-USDT', undefined],
    ['bybit', 'perp', 'ETHUSDT', 'ETH-USDT'],
    ['okx', 'spot', 'BTC-USDT', 'BTC-USDT'],
    ['okx', 'perp', 'BTC-USDT-SWAP', 'BTC-USDT'],
    ['okx', 'perp', 'BTC-USDT', undefined], // spot form on the perp market
    ['okx', 'spot', 'BTC-USDT-SWAP', undefined],
    ['okx', 'perp', 'BTC-USD-SWAP', undefined], // inverse
    ['okx', 'perp', 'BTC-USDT-241227', undefined], // dated future
    ['okx', 'spot', 'BTC-USDTE', undefined],
    ['mexc', 'spot', 'BTCUSDT', 'BTC-USDT'],
    ['mexc', 'perp', 'BTC_USDT', 'BTC-USDT'],
    ['mexc', 'perp', 'BTCUSDT', undefined],
    ['mexc', 'spot', 'BTC_USDT', undefined],
    ['gate', 'spot', 'BTC_USDT', 'BTC-USDT'],
    ['gate', 'perp', 'BTC_USDT_20240329', undefined],
    ['bitget', 'perp', 'BTCUSDT', 'BTC-USDT'],
  ];
  for (const [venue, market, input, expected] of cases) {
    void test(`${venue} ${market} ${input} -> ${expected ?? 'refused'}`, () => {
      assert.equal(venueToCanonical(venue, market, input), expected);
    });
  }

  void test('canonical back to venue forms', () => {
    assert.equal(canonicalToVenue('binance', 'perp', 'BTC-USDT'), 'BTCUSDT');
    assert.equal(canonicalToVenue('okx', 'perp', 'BTC-USDT'), 'BTC-USDT-SWAP');
    assert.equal(canonicalToVenue('okx', 'spot', 'BTC-USDT'), 'BTC-USDT');
    assert.equal(canonicalToVenue('mexc', 'perp', 'BTC-USDT'), 'BTC_USDT');
    assert.equal(canonicalToVenue('mexc', 'spot', 'BTC-USDT'), 'BTCUSDT');
    assert.equal(canonicalToVenue('bybit', 'spot', 'BTC-USDC'), undefined);
    assert.equal(canonicalToVenue('bybit', 'spot', 'BTCUSDT'), undefined);
  });

  void test('ccxt unified symbols', () => {
    assert.equal(ccxtToCanonical('spot', 'BTC/USDT'), 'BTC-USDT');
    assert.equal(ccxtToCanonical('perp', 'BTC/USDT:USDT'), 'BTC-USDT');
    assert.equal(ccxtToCanonical('perp', 'BTC/USDT'), undefined);
    assert.equal(ccxtToCanonical('spot', 'BTC/USDT:USDT'), undefined);
    assert.equal(ccxtToCanonical('perp', 'BTC/USD:BTC'), undefined);
    assert.equal(ccxtToCanonical('perp', 'BTC/USDT:USDT-231229'), undefined);
    assert.equal(ccxtToCanonical('perp', 'ETH/USDT:USDT-231229-800-C'), undefined);
    assert.equal(canonicalToCcxt('spot', 'ETH-USDT'), 'ETH/USDT');
    assert.equal(canonicalToCcxt('perp', 'ETH-USDT'), 'ETH/USDT:USDT');
    assert.deepEqual(splitCanonical('SOL-USDT'), { base: 'SOL', quote: 'USDT' });
    assert.equal(splitCanonical('SOL-USDT-SWAP'), undefined);
  });
});

const SEVEN = ['ADA-USDT', 'BTC-USDT', 'DOGE-USDT', 'ETH-USDT', 'LTC-USDT', 'TRX-USDT', 'XRP-USDT'];

/** Expected trading USDT spot and linear-perp symbols per dump, read off the files by hand. */
const EXPECTED: Record<Venue, { spot: string[]; perp: string[] }> = {
  binance: { spot: SEVEN, perp: SEVEN },
  bybit: { spot: SEVEN, perp: [...SEVEN, 'ZRX-USDT'].sort() },
  okx: { spot: SEVEN, perp: [...SEVEN, 'SUSHI-USDT'].sort() },
  // MEXC spot: most pairs in the dump have isSpotTradingAllowed false.
  mexc: {
    spot: ['ADA-USDT', 'ATLAS-USDT', 'PYTH-USDT'],
    perp: ['ADA-USDT', 'BTC-USDT', 'ETH-USDT', 'LTC-USDT', 'SOL-USDT', 'TRX-USDT', 'XRP-USDT'],
  },
  bitget: { spot: SEVEN, perp: SEVEN },
  gate: { spot: SEVEN, perp: SEVEN },
};

const DUMPS = sharedDataSet(
  'ccxt-markets',
  'KEEL_CCXT_MARKETS_DIR',
  Object.keys(EXPECTED).map((venue) => `${venue}.json`),
);

const load = (venue: Venue) => DUMPS.readJson<Record<string, CcxtMarketLike>>(`${venue}.json`);

void describe('ccxt market dumps (ccxt static test markets)', DUMPS.options, () => {
  for (const venue of Object.keys(EXPECTED) as Venue[]) {
    void test(`${venue}: trading USDT spot and linear perps, inverse/dated/options dropped`, () => {
      const all = normalizeCcxtMarkets(venue, load(venue));
      for (const market of ['spot', 'perp'] as const) {
        assert.deepEqual(
          all.filter((m) => m.market === market).map((m) => m.symbol),
          EXPECTED[venue][market],
          `${venue} ${market}`,
        );
      }
      for (const m of all) {
        assert.equal(venueToCanonical(venue, m.market, m.venueSymbol), m.symbol);
        assert.equal(canonicalToVenue(venue, m.market, m.symbol), m.venueSymbol);
        assert.equal(canonicalToCcxt(m.market, m.symbol), m.ccxtSymbol);
      }
    });
  }

  void test('okx perp ids carry -SWAP, mexc perp ids use _ ', () => {
    const okx = normalizeCcxtMarkets('okx', load('okx')).find(
      (m) => m.market === 'perp' && m.symbol === 'BTC-USDT',
    );
    assert.equal(okx?.venueSymbol, 'BTC-USDT-SWAP');
    const mexc = normalizeCcxtMarkets('mexc', load('mexc')).find(
      (m) => m.market === 'perp' && m.symbol === 'BTC-USDT',
    );
    assert.equal(mexc?.venueSymbol, 'BTC_USDT');
  });

  void test('not-trading markets are kept only when asked, flagged', () => {
    const mexcSpot = normalizeCcxtMarkets('mexc', load('mexc'), { includeNotTrading: true }).filter(
      (m) => m.market === 'spot',
    );
    assert.equal(mexcSpot.length, 9);
    assert.equal(mexcSpot.find((m) => m.symbol === 'BTC-USDT')?.trading, false);
  });
});
