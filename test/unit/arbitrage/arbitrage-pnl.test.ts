import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arbitragePnl, legPnl } from '../../../workflows/strategies/arbitrage/arbitrage-pnl';

describe('arbitrage PnL', () => {
  test('a spot-perp cycle: both legs, their fees, the funding received, to the last digit', () => {
    // Long spot: bought 1 at 100 (fee 10 bps = 0.1), sold 1 at 100.2 (fee 0.1002).
    //   gross 100.2 − 100 = 0.2; fees 0.2002; net 0.2 − 0.2002 = −0.0002.
    // Short perp: sold 1 at 100.5 (fee 5 bps = 0.05025), bought back 1 at 100.25 (fee 0.050125),
    //   funding received 0.01005 + 0.01 = 0.02005.
    //   gross 100.5 − 100.25 = 0.25; fees 0.100375; net 0.25 − 0.100375 + 0.02005 = 0.169675.
    // Total: gross 0.45, fees 0.300575, funding 0.02005, net −0.0002 + 0.169675 = 0.169475.
    const pnl = arbitragePnl({
      long: {
        entries: [{ price: '100', quantity: '1', fee: '0.1' }],
        exits: [{ price: '100.2', quantity: '1', fee: '0.1002' }],
      },
      short: {
        entries: [{ price: '100.5', quantity: '1', fee: '0.05025' }],
        exits: [{ price: '100.25', quantity: '1', fee: '0.050125' }],
        funding: ['0.01005', '0.01'],
      },
    });
    assert.deepEqual(pnl, {
      long: {
        entered: '1',
        exited: '1',
        open: '0',
        grossPnl: '0.2',
        fees: '0.2002',
        funding: '0',
        netPnl: '-0.0002',
      },
      short: {
        entered: '1',
        exited: '1',
        open: '0',
        grossPnl: '0.25',
        fees: '0.100375',
        funding: '0.02005',
        netPnl: '0.169675',
      },
      grossPnl: '0.45',
      fees: '0.300575',
      funding: '0.02005',
      netPnl: '0.169475',
    });
  });

  test('several fills per side: long 0.4 at 100 + 0.6 at 101 = 100.6, sold 1 at 101: gross 0.4', () => {
    const leg = legPnl('long', {
      entries: [
        { price: '100', quantity: '0.4', fee: '0.1' },
        { price: '101', quantity: '0.6', fee: '0.2' },
      ],
      exits: [{ price: '101', quantity: '1', fee: '0' }],
    });
    // fees 0.1 + 0.2 = 0.3 exactly (0.30000000000000004 in binary floats); net 0.4 − 0.3 = 0.1.
    assert.deepEqual([leg.grossPnl, leg.fees, leg.netPnl], ['0.4', '0.3', '0.1']);
  });

  test('a short leg that lost: sold at 100, bought back at 101, paid funding', () => {
    // gross 100 − 101 = −1; fees 0.05 + 0.0505 = 0.1005; funding −0.02 − 0.01 = −0.03;
    // net −1 − 0.1005 − 0.03 = −1.1305.
    const leg = legPnl('short', {
      entries: [{ price: '100', quantity: '1', fee: '0.05' }],
      exits: [{ price: '101', quantity: '1', fee: '0.0505' }],
      funding: ['-0.02', '-0.01'],
    });
    assert.deepEqual([leg.grossPnl, leg.fees, leg.funding, leg.netPnl], ['-1', '0.1005', '-0.03', '-1.1305']);
  });

  test('a maker rebate is a negative fee and adds to the net', () => {
    // gross 10.5 − 10 = 0.5 on 1; fees −0.002 + 0.01 = 0.008; net 0.492.
    const leg = legPnl('long', {
      entries: [{ price: '10', quantity: '1', fee: '-0.002' }],
      exits: [{ price: '10.5', quantity: '1', fee: '0.01' }],
    });
    assert.deepEqual([leg.fees, leg.netPnl], ['0.008', '0.492']);
  });

  test('an unwound arbitrage: the first leg in and out, the second never placed', () => {
    // Long bought 0.5 at 100 (fee 0.05), unwound at 99.8 (fee 0.0499): gross −0.1, net −0.1 − 0.0999 = −0.1999.
    const pnl = arbitragePnl({
      long: {
        entries: [{ price: '100', quantity: '0.5', fee: '0.05' }],
        exits: [{ price: '99.8', quantity: '0.5', fee: '0.0499' }],
      },
      short: { entries: [], exits: [] },
    });
    assert.deepEqual(pnl.short, {
      entered: '0',
      exited: '0',
      open: '0',
      grossPnl: '0',
      fees: '0',
      funding: '0',
      netPnl: '0',
    });
    assert.deepEqual([pnl.grossPnl, pnl.fees, pnl.netPnl], ['-0.1', '0.0999', '-0.1999']);
  });

  test('partly closed: only the closed part is realized, at the entries average', () => {
    // Bought 2 at 100 + 1 at 103 = 303 for 3 (average 101); sold 1 at 102: gross 102 − 101 = 1; 2 open.
    const even = legPnl('long', {
      entries: [
        { price: '100', quantity: '2', fee: '0' },
        { price: '103', quantity: '1', fee: '0' },
      ],
      exits: [{ price: '102', quantity: '1', fee: '0' }],
    });
    assert.deepEqual([even.open, even.grossPnl], ['2', '1']);
    // Sold short 1 at 100 + 2 at 101 = 302 for 3; bought back 1 at 101: entry value of it 302 / 3 =
    // 100.666666666666|67, half up to 12 places 100.666666666667; gross 100.666666666667 − 101 = −0.333333333333.
    const uneven = legPnl('short', {
      entries: [
        { price: '100', quantity: '1', fee: '0' },
        { price: '101', quantity: '2', fee: '0' },
      ],
      exits: [{ price: '101', quantity: '1', fee: '0' }],
    });
    assert.deepEqual([uneven.open, uneven.grossPnl], ['2', '-0.333333333333']);
  });

  test('still fully open: nothing realized but the entry fees', () => {
    const leg = legPnl('long', { entries: [{ price: '100', quantity: '1', fee: '0.1' }], exits: [] });
    assert.deepEqual([leg.open, leg.grossPnl, leg.netPnl], ['1', '0', '-0.1']);
  });

  test('exits that close more than the entries opened are refused', () => {
    assert.throws(
      () =>
        legPnl('short', {
          entries: [{ price: '100', quantity: '1', fee: '0' }],
          exits: [{ price: '100', quantity: '1.001', fee: '0' }],
        }),
      /the short leg's exits \(1.001\) close more than its entries opened \(1\)/,
    );
  });
});
