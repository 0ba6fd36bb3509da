import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientOrderId, strategyClientOrderIdPrefix } from '../../../domain/ids';
import { planContingencies } from '../../../workflows/strategies/grid/grid-contingencies';
import {
  GridIdIssuer,
  liveOrders,
  orderKey,
  type IssuedIds,
} from '../../../workflows/strategies/grid/grid-order-ids';
import { startGrid } from '../../../workflows/strategies/grid/grid-plan';
import { eventsFromReport } from '../../../workflows/strategies/grid/grid-reports';
import { gridParams } from './grid-fixtures';

const rules = { tickSize: '0.01', lotSize: '0.01', minQuantity: '0.01', minNotional: '1' };
const scope = 'symbol:BTC-USDT/run-1';

describe('grid id issuer', () => {
  const chain = () => {
    let issued = 0;
    return () => clientOrderId({ scope, strategySlot: 2, sequence: issued++ });
  };

  test('takes the chain’s ids in order, never one twice, and records which order holds which', () => {
    const ids: IssuedIds = {};
    const issuer = new GridIdIssuer(ids, chain());
    const first = issuer.issueFor(orderKey(0, 1, 0));
    const reserved = issuer.reserve();
    const second = issuer.issueFor(orderKey(0, 2, 0));
    assert.deepEqual(
      [first, reserved, second],
      [0, 1, 2].map((sequence) => clientOrderId({ scope, strategySlot: 2, sequence })),
    );
    assert.deepEqual(ids, { '0/1/0': first, '0/2/0': second });
    for (const id of [first, reserved, second])
      assert.ok(id.startsWith(strategyClientOrderIdPrefix(scope, 2)));
  });

  test('live orders pair the plan’s resting orders with their ids; orders without an id are not live', () => {
    const { state: grid } = startGrid(gridParams(), rules, '160');
    const ids = { [orderKey(0, 1, 0)]: 'K1' };
    assert.deepEqual(
      liveOrders(grid, ids).map(({ level, clientOrderId }) => [level, clientOrderId]),
      [[1, 'K1']],
    );
    assert.deepEqual(liveOrders(undefined, ids), []);
  });
});

describe('grid venue reports', () => {
  test('a fill comes before the close; a report with nothing filled and still open says nothing', () => {
    assert.deepEqual(
      eventsFromReport({ generation: 0, level: 2, seq: 0 }, { status: 'filled', filledQuantity: '1' }),
      [
        { type: 'OrderFilled', generation: 0, level: 2, seq: 0, filledQuantity: '1' },
        { type: 'OrderClosed', generation: 0, level: 2, seq: 0 },
      ],
    );
    assert.deepEqual(
      eventsFromReport(
        { generation: 0, level: 2, seq: 0 },
        { status: 'partially-filled', filledQuantity: '0.4' },
      ),
      [{ type: 'OrderFilled', generation: 0, level: 2, seq: 0, filledQuantity: '0.4' }],
    );
    assert.deepEqual(
      eventsFromReport({ generation: 0, level: 2, seq: 0 }, { status: 'open', filledQuantity: '0' }),
      [],
    );
    for (const status of ['canceled', 'expired', 'rejected', 'abandoned'])
      assert.deepEqual(
        eventsFromReport({ generation: 4, level: 1, seq: 3 }, { status, filledQuantity: '0' }),
        [{ type: 'OrderClosed', generation: 4, level: 1, seq: 3 }],
      );
  });
});

describe('grid contingencies', () => {
  test('each live resting order whose fill the plan answers gets its replacement, keyed in the plan', () => {
    // Long grid at mid 160: buys at 125 (L1) and 100 (L0). A filled L1 buy is sold at 150 (L2); a filled
    // L0 buy would be sold at L1, which its neighbour still holds, so it has no contingency.
    const { state: grid } = startGrid(gridParams(), rules, '160');
    const live = liveOrders(grid, { [orderKey(0, 1, 0)]: 'KA', [orderKey(0, 0, 0)]: 'KB' });
    const planned = planContingencies(grid, gridParams(), live);
    assert.deepEqual(
      planned.map(({ trigger, key, replacement }) => [trigger, key, replacement.side, replacement.price]),
      [['KA', '0/2/0', 'sell', '150']],
    );
  });

  test('none while suspended, when the params turn them off, or for orders without an id', () => {
    const { state: grid } = startGrid(gridParams(), rules, '160');
    const live = liveOrders(grid, { [orderKey(0, 1, 0)]: 'KA' });
    assert.deepEqual(planContingencies({ ...grid, suspended: true }, gridParams(), live), []);
    assert.deepEqual(planContingencies(grid, gridParams({ replaceFromWatch: false }), live), []);
    assert.equal(planContingencies(grid, gridParams(), live).length, 1);
  });
});
