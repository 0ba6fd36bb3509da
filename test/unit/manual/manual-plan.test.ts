import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ManualCommandSchema, ManualParamsSchema } from '../../../workflows/strategies/manual/manual-params';
import {
  applyReport,
  refuseCommand,
  replacementFor,
  type ManualOrder,
} from '../../../workflows/strategies/manual/manual-plan';

const resting = (overrides: Partial<ManualOrder> = {}): ManualOrder => ({
  clientOrderId: 'K0000000000001000000000001',
  side: 'buy',
  type: 'limit',
  price: '99.5',
  quantity: '2',
  status: 'open',
  filledQuantity: '0',
  ...overrides,
});
const ID = resting().clientOrderId;
const command = (input: unknown) => ManualCommandSchema.parse(input);
/** Why the schema refuses `input`, as one line per issue (`path: message`). */
const issues = (input: unknown) => {
  const parsed = ManualCommandSchema.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('manual command schema', () => {
  test('a limit order with a price, and a market order without one, are taken as given', () => {
    assert.deepEqual(
      command({
        kind: 'place',
        side: 'sell',
        type: 'limit',
        price: '101.25',
        quantity: '0.5',
        postOnly: true,
      }),
      { kind: 'place', side: 'sell', type: 'limit', price: '101.25', quantity: '0.5', postOnly: true },
    );
    assert.equal(command({ kind: 'place', side: 'buy', type: 'market', quantity: '1' }).kind, 'place');
  });

  const refused: Array<[string, unknown, RegExp]> = [
    [
      'a price that is not a decimal',
      { kind: 'place', side: 'buy', type: 'limit', price: '1e3', quantity: '1' },
      /^price: must be a non-negative decimal/,
    ],
    [
      'a negative quantity',
      { kind: 'place', side: 'buy', type: 'limit', price: '1', quantity: '-1' },
      /^quantity: must be a non-negative decimal/,
    ],
    [
      'a zero quantity',
      { kind: 'place', side: 'buy', type: 'limit', price: '1', quantity: '0' },
      /^quantity: must be above zero/,
    ],
    [
      'a zero price',
      { kind: 'place', side: 'buy', type: 'limit', price: '0.000', quantity: '1' },
      /^price: must be above zero/,
    ],
    [
      'a limit order without a price',
      { kind: 'place', side: 'buy', type: 'limit', quantity: '1' },
      /^price: a limit order needs a price/,
    ],
    [
      'a market order with a price',
      { kind: 'place', side: 'buy', type: 'market', price: '1', quantity: '1' },
      /^price: a market order takes no price/,
    ],
    [
      'a post-only market order',
      { kind: 'place', side: 'buy', type: 'market', quantity: '1', postOnly: true },
      /^postOnly: a market order cannot be post-only/,
    ],
    [
      'a number instead of a decimal string',
      { kind: 'place', side: 'buy', type: 'limit', price: 100, quantity: '1' },
      /^price: /,
    ],
    [
      'an unknown field',
      { kind: 'place', side: 'buy', type: 'limit', price: '1', quantity: '1', leverage: 5 },
      /leverage/,
    ],
    [
      'an amend that changes nothing',
      { kind: 'amend', clientOrderId: ID },
      /an amend needs a new price or quantity/,
    ],
    [
      'a cancel of an id no venue accepts',
      { kind: 'cancel', clientOrderId: 'not-an-id' },
      /^clientOrderId: must be 1-28 letters or digits/,
    ],
    ['an unknown command', { kind: 'replace', clientOrderId: ID }, /^kind: /],
  ];
  for (const [name, input, expected] of refused)
    test(`refuses ${name}, naming the field`, () => {
      const found = issues(input);
      assert.ok(
        found.some((issue) => expected.test(issue)),
        `${JSON.stringify(found)} should match ${expected}`,
      );
    });

  test('params default to a 15 s refresh and refuse anything else', () => {
    assert.deepEqual(ManualParamsSchema.parse({}), { refreshMs: 15_000 });
    assert.equal(ManualParamsSchema.safeParse({ refreshMs: 10 }).success, false);
    assert.equal(ManualParamsSchema.safeParse({ levels: 3 }).success, false);
  });
});

describe('manual plan: which commands the strategy takes', () => {
  test('a new order is always taken (the order path and the venue judge it)', () => {
    assert.equal(
      refuseCommand(command({ kind: 'place', side: 'buy', type: 'market', quantity: '1' }), []),
      undefined,
    );
  });

  test('amending or cancelling an order it does not hold is refused as not found, naming what it holds', () => {
    const other = resting({ clientOrderId: 'K0000000000001000000000009' });
    assert.deepEqual(refuseCommand(command({ kind: 'cancel', clientOrderId: ID }), [other]), {
      reason: 'not-found',
      message: `${ID} is not an open order of the manual strategy (open: ${other.clientOrderId})`,
    });
    assert.match(
      refuseCommand(command({ kind: 'amend', clientOrderId: ID, price: '1' }), [])?.message ?? '',
      /\(open: none\)$/,
    );
    assert.equal(refuseCommand(command({ kind: 'cancel', clientOrderId: ID }), [resting()]), undefined);
  });

  test('an amend must change something, and cannot shrink the order to what already filled', () => {
    const order = resting({ status: 'partially-filled', filledQuantity: '0.5' });
    const same = refuseCommand(
      command({ kind: 'amend', clientOrderId: ID, price: '99.50', quantity: '2.0' }),
      [order],
    );
    assert.deepEqual(same, { reason: 'invalid', message: `the amend changes nothing on ${ID}` });
    assert.match(
      refuseCommand(command({ kind: 'amend', clientOrderId: ID, quantity: '0.5' }), [order])?.message ?? '',
      /has already filled 0\.5: its new quantity must be above that/,
    );
    assert.equal(
      refuseCommand(command({ kind: 'amend', clientOrderId: ID, quantity: '0.6' }), [order]),
      undefined,
    );
    assert.equal(
      refuseCommand(command({ kind: 'amend', clientOrderId: ID, price: '99' }), [order]),
      undefined,
    );
  });
});

describe('manual plan: amend is cancel, then a replacement', () => {
  const canceled = (filledQuantity: string) => ({ clientOrderId: ID, status: 'canceled', filledQuantity });

  test('the replacement keeps side, type and flags, at the new price, for what is left of the new total', () => {
    const order = resting({ postOnly: true, timeInForce: 'GTC' });
    assert.deepEqual(replacementFor(order, { price: '98' }, canceled('0')), {
      order: { side: 'buy', type: 'limit', price: '98', quantity: '2', postOnly: true, timeInForce: 'GTC' },
    });
    assert.deepEqual(replacementFor(order, { quantity: '3' }, canceled('0.75')), {
      order: {
        side: 'buy',
        type: 'limit',
        price: '99.5',
        quantity: '2.25',
        postOnly: true,
        timeInForce: 'GTC',
      },
    });
  });

  test('nothing is placed when the order filled first, or its new total has already filled', () => {
    const filled = replacementFor(
      resting(),
      { price: '98' },
      { clientOrderId: ID, status: 'filled', filledQuantity: '2' },
    );
    assert.ok(
      'none' in filled && /filled before it could be amended/.test(filled.none),
      JSON.stringify(filled),
    );
    const full = replacementFor(resting(), { quantity: '1' }, canceled('1'));
    assert.ok('none' in full && /its whole new quantity/.test(full.none), JSON.stringify(full));
    const stillOpen = replacementFor(
      resting(),
      { price: '98' },
      { clientOrderId: ID, status: 'open', filledQuantity: '0' },
    );
    assert.ok('none' in stillOpen && /did not cancel/.test(stillOpen.none), JSON.stringify(stillOpen));
  });

  test('property: a replacement plus what filled is exactly the new total, and never more', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (totalMilli, filledMilli) => {
          const total = (totalMilli / 1000).toFixed(3);
          const filled = (filledMilli / 1000).toFixed(3);
          const next = replacementFor(resting({ quantity: '5' }), { quantity: total }, canceled(filled));
          if (filledMilli >= totalMilli) return 'none' in next;
          return (
            'order' in next && Math.round(Number(next.order.quantity) * 1000) + filledMilli === totalMilli
          );
        },
      ),
    );
  });
});

describe('manual plan: reports on resting orders', () => {
  test('a partial fill is recorded; a close drops the order; other orders are left alone', () => {
    const other = resting({ clientOrderId: 'K0000000000001000000000009' });
    const open = [resting(), other];
    const partial = applyReport(open, {
      clientOrderId: ID,
      status: 'partially-filled',
      filledQuantity: '0.4',
    });
    assert.deepEqual(partial, [{ ...resting(), status: 'partially-filled', filledQuantity: '0.4' }, other]);
    for (const status of ['filled', 'canceled', 'expired', 'rejected'])
      assert.deepEqual(applyReport(partial, { clientOrderId: ID, status, filledQuantity: '0.4' }), [other]);
    assert.deepEqual(
      applyReport(open, { clientOrderId: 'Kunknown', status: 'filled', filledQuantity: '1' }),
      open,
    );
  });
});
