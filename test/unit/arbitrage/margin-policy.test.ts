import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canEnter,
  headroomAfterEntry,
  headroomPct,
  marginAction,
  marginFor,
  reduceQuantity,
} from '../../../workflows/strategies/arbitrage/margin-policy';

describe('margin headroom', () => {
  // [equity, used margin, headroom %]: (equity − used) / equity × 100, down to 4 places.
  const cases: Array<[string, string, number]> = [
    ['1000', '250', 75],
    ['1000', '0', 100],
    ['3', '1', 66.6666], // 200 / 3 = 66.666.., down
    ['1000', '1200', -20], // past its equity
    ['0', '0', 0], // no equity, no headroom
    ['-50', '10', 0],
    ['0.3', '0.1', 66.6666], // decimal strings, not 0.3 − 0.1 = 0.19999999999999998 in binary
  ];
  for (const [equity, usedMargin, expected] of cases) {
    test(`equity ${equity}, used ${usedMargin}: ${expected}%`, () => {
      assert.equal(headroomPct({ equity, usedMargin }), expected);
    });
  }

  test('margin of a position: notional / leverage, rounded up', () => {
    assert.equal(marginFor('1000', 5), '200');
    assert.equal(marginFor('1000', 3), '333.333333333334');
    assert.equal(marginFor('1000', 1), '1000');
  });

  test('headroom after entry: 10 000 equity, 2 000 used, + 10 000 at 5× = 2 000 more, so 60%', () => {
    assert.equal(headroomAfterEntry({ equity: '10000', usedMargin: '2000' }, '10000', 5), 60);
  });
});

describe('margin: can enter', () => {
  const binance = { equity: '10000', usedMargin: '2000' };

  test('60% after entry against a minimum of 50 or 60 enters, against 61 does not', () => {
    const check = [{ key: 'binance:keel', account: binance, notional: '10000', leverage: 5 }];
    assert.deepEqual(canEnter(check, 50), { enter: true, headroomAfterPct: { 'binance:keel': 60 } });
    assert.deepEqual(canEnter(check, 60), { enter: true, headroomAfterPct: { 'binance:keel': 60 } });
    assert.deepEqual(canEnter(check, 61), {
      enter: false,
      reason:
        'binance:keel: headroom after entry would be 60% (equity 10000, margin used 2000 + 2000), below the minimum 61%',
    });
  });

  test('legs on one account add up: spot 3 000 at 1× + perp 3 000 at 3× = 4 000 of 10 000, 60%', () => {
    // Apart they would leave 70% and 90%, both above 65; together 60% is below it.
    const account = { equity: '10000', usedMargin: '0' };
    const checks = [
      { key: 'binance:keel', account, notional: '3000', leverage: 1 },
      { key: 'binance:keel', account, notional: '3000', leverage: 3 },
    ];
    assert.deepEqual(canEnter(checks, 55), { enter: true, headroomAfterPct: { 'binance:keel': 60 } });
    const refused = canEnter(checks, 65);
    assert.equal(refused.enter, false);
    assert.match(refused.enter ? '' : refused.reason, /would be 60% .* margin used 0 \+ 4000/);
  });

  test('each venue is checked: the one short of headroom is named', () => {
    // binance: (10 000 − 2 000 − 1 000) / 10 000 = 70%; bybit: (1 000 − 300 − 1 000/5 = 200) / 1 000 = 50%.
    const checks = [
      { key: 'binance:keel', account: binance, notional: '5000', leverage: 5 },
      { key: 'bybit:keel', account: { equity: '1000', usedMargin: '300' }, notional: '1000', leverage: 5 },
    ];
    assert.deepEqual(canEnter(checks, 50), {
      enter: true,
      headroomAfterPct: { 'binance:keel': 70, 'bybit:keel': 50 },
    });
    const refused = canEnter(checks, 55);
    assert.match(refused.enter ? '' : refused.reason, /^bybit:keel: headroom after entry would be 50%/);
  });
});

describe('margin action', () => {
  const policy = { reduceBelowPct: 30, exitBelowPct: 15 };
  // [headroom, action]: below 15 exits, below 30 reduces, "below" is strict.
  const cases: Array<[number, 'hold' | 'reduce' | 'exit']> = [
    [50, 'hold'],
    [30, 'hold'],
    [29.9999, 'reduce'],
    [15, 'reduce'],
    [14.9999, 'exit'],
    [0, 'exit'],
    [-20, 'exit'],
  ];
  for (const [headroom, expected] of cases) {
    test(`${headroom}%: ${expected}`, () => assert.equal(marginAction(headroom, policy), expected));
  }

  test('a policy with reduce equal to exit skips the reduce stage', () => {
    assert.equal(marginAction(19, { reduceBelowPct: 20, exitBelowPct: 20 }), 'exit');
    assert.equal(marginAction(20, { reduceBelowPct: 20, exitBelowPct: 20 }), 'hold');
  });
});

describe('reduce quantity', () => {
  const rules = { lotSize: '0.01', minQuantity: '0.05' };
  // [held, to close]: half down to the lot; everything when half is below the minimum.
  const cases: Array<[string, string]> = [
    ['2', '1'],
    ['0.15', '0.07'],
    ['0.11', '0.05'],
    ['0.09', '0.09'],
    ['0.05', '0.05'],
  ];
  for (const [held, expected] of cases) {
    test(`holding ${held}: close ${expected}`, () => assert.equal(reduceQuantity(held, rules), expected));
  }
});
