import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideEntry,
  decideExit,
  expectedFundingBps,
  spreadBps,
  type ArbitrageMarket,
} from '../../../workflows/strategies/arbitrage/decision-policy';
import type { OrderBook } from '../../../workflows/strategies/arbitrage/price-source';
import { perpPerp, spotPerp } from './arbitrage-fixtures';

/** A one-level book: `bid` and `ask`, 10 base units each. */
const touch = (bid: string, ask: string): OrderBook => ({ bids: [[bid, '10']], asks: [[ask, '10']] });

describe('spread', () => {
  // [long price, short price, bps]: (short − long) / long × 10 000, rounded down to 6 places.
  const cases: Array<[string, string, number]> = [
    ['100', '100.5', 50], // 0.5 / 100 = 0.005 = 50 bps
    ['100', '99.9', -10], // -0.1 / 100
    ['50000', '50160', 32], // 160 / 50 000 = 0.0032
    ['3', '3.001', 3.333333], // 0.001 / 3 = 3.3333.. bps, down
    ['3', '2.999', -3.333334], // -3.3333.. bps, down is toward -∞
  ];
  for (const [long, short, bps] of cases) {
    test(`long ${long}, short ${short}: ${bps} bps`, () => assert.equal(spreadBps(long, short), bps));
  }
});

describe('expected funding', () => {
  test('spot-perp: the short perp receives its rate, once per 8 h interval of the horizon', () => {
    // 0.0001 = 1 bps per interval; 8 h = 1 interval, 24 h = 3, 0 h = none.
    const funding = { short: { rate: '0.0001' } };
    assert.deepEqual(expectedFundingBps(spotPerp(), funding), { bps: 1, missing: [] });
    assert.deepEqual(expectedFundingBps(spotPerp({ fundingHorizonHours: 24 }), funding), {
      bps: 3,
      missing: [],
    });
    assert.deepEqual(expectedFundingBps(spotPerp({ fundingHorizonHours: 0 }), {}), { bps: 0, missing: [] });
    // A 4 h venue pays twice in 8 h: 2 × 1 = 2 bps.
    assert.deepEqual(expectedFundingBps(spotPerp(), { short: { rate: '0.0001', intervalHours: 4 } }), {
      bps: 2,
      missing: [],
    });
  });

  test('spot-perp ignores a rate given for the spot leg, which pays none', () => {
    assert.deepEqual(expectedFundingBps(spotPerp(), { long: { rate: '0.01' }, short: { rate: '-0.0002' } }), {
      bps: -2,
      missing: [],
    });
  });

  test('perp-perp: the short rate received minus the long rate paid', () => {
    // short 0.0001 → +1 bps, long 0.0003 → −3 bps: −2 bps over 8 h.
    assert.deepEqual(
      expectedFundingBps(perpPerp(), { long: { rate: '0.0003' }, short: { rate: '0.0001' } }),
      { bps: -2, missing: [] },
    );
    // long −0.0002 means shorts pay longs there: the long leg receives 2 bps, the short 1.
    assert.deepEqual(
      expectedFundingBps(perpPerp(), { long: { rate: '-0.0002' }, short: { rate: '0.0001' } }),
      { bps: 3, missing: [] },
    );
  });

  test('a perp without a rate is named and counts nothing', () => {
    assert.deepEqual(expectedFundingBps(perpPerp(), { short: { rate: '0.0001' } }), {
      bps: 1,
      missing: ['long'],
    });
    assert.deepEqual(expectedFundingBps(spotPerp(), undefined), { bps: 0, missing: ['short'] });
  });
});

describe('entry decision', () => {
  // Spot asks 100, perp bids 100.5: buy spot at 100, sell the perp at 100.5, spread 50 bps.
  const market = (funding: ArbitrageMarket['funding'], perpBid = '100.5'): ArbitrageMarket => ({
    long: touch('99.9', '100'),
    short: touch(perpBid, '100.6'),
    funding,
  });

  test('spot-perp: 50 bps + 1 bps funding = 51 ≥ 40 enters; edge 51 − 30 fees = 21', () => {
    assert.deepEqual(decideEntry(spotPerp(), market({ short: { rate: '0.0001' } })), {
      enter: true,
      spreadBps: 50,
      fundingBps: 1,
      feesBps: 30,
      edgeBps: 21,
      longPrice: '100',
      shortPrice: '100.5',
    });
  });

  test('spot-perp: funding against the short keeps it out: 50 − 12 = 38 < 40', () => {
    assert.deepEqual(decideEntry(spotPerp(), market({ short: { rate: '-0.0012' } })), {
      enter: false,
      reason: 'spread 50 bps + funding -12 bps = 38 bps is below the entry threshold 40 bps',
      spreadBps: 50,
      fundingBps: -12,
    });
  });

  test('spot-perp: funding over a longer horizon brings it in, at the threshold exactly: 37 + 3 = 40', () => {
    // perp bid 100.37: 0.37 / 100 = 37 bps; 24 h of 0.0001 per 8 h = 3 bps.
    const decision = decideEntry(
      spotPerp({ fundingHorizonHours: 24 }),
      market({ short: { rate: '0.0001' } }, '100.37'),
    );
    assert.equal(decision.enter, true);
    assert.equal(decision.enter && decision.edgeBps, 10); // 40 − 30
    // The same spread over 8 h is 37 + 1 = 38: out.
    assert.equal(decideEntry(spotPerp(), market({ short: { rate: '0.0001' } }, '100.37')).enter, false);
  });

  test('no funding rate yet: no entry while funding counts; with a zero horizon it does not count', () => {
    assert.deepEqual(decideEntry(spotPerp(), market(undefined)), {
      enter: false,
      reason: 'no funding rate for the short perp yet, and funding counts in the edge',
      spreadBps: 50,
    });
    const decision = decideEntry(spotPerp({ fundingHorizonHours: 0 }), market(undefined));
    assert.equal(decision.enter && decision.edgeBps, 20); // 50 − 30
  });

  test('depth prices the whole size: 2 BTC at 100 then 101 against 101.5 then 100.9', () => {
    // buy: (100 + 101) / 2 = 100.5; sell: (101.5 + 100.9) / 2 = 101.2;
    // spread 0.7 / 100.5 × 10 000 = 69.651741.. bps (down); edge 69.651741 − 30 = 39.651741.
    const params = spotPerp({ size: '2', priceSource: 'depth', fundingHorizonHours: 0 });
    const depth: ArbitrageMarket = {
      long: {
        bids: [['99', '5']],
        asks: [
          ['100', '1'],
          ['101', '5'],
        ],
      },
      short: {
        bids: [
          ['101.5', '1'],
          ['100.9', '5'],
        ],
        asks: [['102', '5']],
      },
    };
    assert.deepEqual(decideEntry(params, depth), {
      enter: true,
      spreadBps: 69.651741,
      fundingBps: 0,
      feesBps: 30,
      edgeBps: 39.651741,
      longPrice: '100.5',
      shortPrice: '101.2',
    });
    // At the touch the same books show 150 bps (100 → 101.5): depth is what keeps a large size honest.
    assert.equal(decideEntry({ ...params, priceSource: 'touch' }, depth).spreadBps, 150);
  });

  test('a book that cannot price the size: no entry, and which leg', () => {
    const thin = {
      ...market({ short: { rate: '0' } }),
      long: { bids: [], asks: [['100', '0.4']] },
    } as ArbitrageMarket;
    assert.deepEqual(decideEntry(spotPerp({ priceSource: 'depth' }), thin), {
      enter: false,
      reason: 'long leg: the asks hold 0.4 of the 1 to buy: the book is too thin',
    });
    const noBids = {
      ...market({ short: { rate: '0' } }),
      short: { bids: [], asks: [['100.6', '1']] },
    } as ArbitrageMarket;
    assert.deepEqual(decideEntry(spotPerp(), noBids), {
      enter: false,
      reason: 'short leg: no bids to sell from',
    });
  });

  test('perp-perp: 32 bps spread − 2 bps funding = 30 ≥ 30 enters; a long rate 1 bps higher does not', () => {
    // Long binance asks 50 000, short bybit bids 50 160: 32 bps. Funding: short +1, long −3 = −2.
    const books = { long: touch('49990', '50000'), short: touch('50160', '50170') };
    const entered = decideEntry(perpPerp(), {
      ...books,
      funding: { long: { rate: '0.0003' }, short: { rate: '0.0001' } },
    });
    assert.equal(entered.enter && entered.edgeBps, 10); // 30 − 20 fees
    // long 0.0004: 32 + 1 − 4 = 29 < 30.
    const refused = decideEntry(perpPerp(), {
      ...books,
      funding: { long: { rate: '0.0004' }, short: { rate: '0.0001' } },
    });
    assert.equal(refused.enter, false);
    assert.match(refused.enter ? '' : refused.reason, /= 29 bps is below the entry threshold 30 bps/);
    const noLongRate = decideEntry(perpPerp(), { ...books, funding: { short: { rate: '0.0001' } } });
    assert.match(noLongRate.enter ? '' : noLongRate.reason, /no funding rate for the long perp yet/);
  });
});

describe('exit decision', () => {
  // Entered at 50 bps; exit threshold 0; round trip 30 bps.
  const market = (
    spotBid: string,
    perpAsk: string,
    funding?: ArbitrageMarket['funding'],
  ): ArbitrageMarket => ({
    long: touch(spotBid, '100.1'),
    short: touch('99.8', perpAsk),
    funding,
  });

  test('converged: spot bid 100, perp ask 100 is 0 bps; with funding against the short, −1 ≤ 0 exits', () => {
    assert.deepEqual(decideExit(spotPerp(), market('100', '100', { short: { rate: '-0.0001' } }), 50), {
      exit: true,
      closingSpreadBps: 0,
      fundingBps: -1,
      capturedBps: 50, // 50 − 0
      edgeBps: 20, // 50 − 30
      longPrice: '100',
      shortPrice: '100',
    });
  });

  test('funding still paying the short holds the position: 0 + 1 = 1 > 0', () => {
    assert.deepEqual(decideExit(spotPerp(), market('100', '100', { short: { rate: '0.0001' } }), 50), {
      exit: false,
      reason: 'closing spread 0 bps + funding 1 bps = 1 bps is above the exit threshold 0 bps',
      closingSpreadBps: 0,
      fundingBps: 1,
    });
  });

  test('the exit threshold is inclusive, and a missing rate counts nothing rather than holding it', () => {
    assert.equal(decideExit(spotPerp(), market('100', '100'), 50).exit, true);
  });

  test('an overshoot below zero: perp ask 99.9 over spot bid 100 is −10 bps; captured 60, edge 30', () => {
    const decision = decideExit(spotPerp(), market('100', '99.9', { short: { rate: '0' } }), 50);
    assert.equal(
      decision.exit && `${decision.closingSpreadBps} ${decision.capturedBps} ${decision.edgeBps}`,
      '-10 60 30',
    );
  });

  test('not converged: perp ask 100.25 over spot bid 100 is 25 bps', () => {
    const decision = decideExit(spotPerp(), market('100', '100.25', { short: { rate: '0' } }), 50);
    assert.equal(decision.exit, false);
    assert.equal(decision.closingSpreadBps, 25);
  });

  test('perp-perp: a missing long rate drops only that leg: 2 bps − 3 bps short funding = −1 ≤ 0 exits', () => {
    // Long bids 50 000, short asks 50 010: 10 / 50 000 = 2 bps; short rate −0.0003 = −3 bps.
    const decision = decideExit(
      perpPerp(),
      {
        long: touch('50000', '50005'),
        short: touch('50000', '50010'),
        funding: { short: { rate: '-0.0003' } },
      },
      32,
    );
    assert.equal(
      decision.exit && `${decision.fundingBps} ${decision.capturedBps} ${decision.edgeBps}`,
      '-3 30 10',
    );
  });

  test('a book that cannot price the exit: no exit, and which leg', () => {
    assert.deepEqual(
      decideExit(spotPerp(), { long: touch('100', '100.1'), short: { bids: [['99', '1']], asks: [] } }, 50),
      {
        exit: false,
        reason: 'short leg: no asks to buy from',
      },
    );
  });
});
