import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  abs,
  add,
  compare,
  fromScaled,
  multiply,
  sign,
  subtract,
  toScaledExact,
} from '../../../domain/decimal';
import {
  preTradeDenial,
  reducesPosition,
  RiskLimitsSchema,
  strictestState,
  tightestLimits,
  withOrder,
  worstCasePosition,
  type OrderToCheck,
  type RiskLimits,
  type RiskPicture,
  type RiskRule,
  type SymbolBook,
  type TradingState,
} from '../../../domain/risk';
import type { Side } from '../../../domain/trading';

const flat: SymbolBook = { position: '0', openBuy: '0', openSell: '0' };

/** An ACTIVE, flat picture of a market at 100 with nothing live; `over` changes what a case needs. */
const picture = (over: Partial<RiskPicture> = {}): RiskPicture => ({
  state: 'ACTIVE',
  book: flat,
  markPrice: '100',
  referencePrice: '100',
  openOrders: 0,
  ordersLastSecond: 0,
  accountExposure: '0',
  totalExposure: '0',
  ...over,
});

const order = (side: Side, quantity: string, price: string | undefined = '100'): OrderToCheck => ({
  symbol: 'BTC-USDT',
  side,
  quantity,
  price,
});
const buy = (quantity: string, price?: string) => order('buy', quantity, price);
const sell = (quantity: string, price?: string) => order('sell', quantity, price);
const market = (side: Side, quantity: string): OrderToCheck => ({ symbol: 'BTC-USDT', side, quantity });

const book = (position: string, openBuy = '0', openSell = '0'): SymbolBook => ({
  position,
  openBuy,
  openSell,
});

/** Asserts the denial's rule and that its detail names every given number (or phrase). */
function assertDenied(
  denial: ReturnType<typeof preTradeDenial>,
  rule: RiskRule,
  mentions: string[] = [],
): void {
  assert.ok(denial, `expected a ${rule} denial, the order passed`);
  assert.equal(denial.rule, rule, denial.detail);
  for (const text of mentions)
    assert.ok(denial.detail.includes(text), `detail ${JSON.stringify(denial.detail)} lacks ${text}`);
}

interface Case {
  order: OrderToCheck;
  picture?: Partial<RiskPicture>;
}

/**
 * One rule at its limit: `below` and `at` pass, `above` is denied by that rule with `mentions` in its
 * detail. For the count rules (maxOpenOrders, maxOrdersPerSecond) the code denies when the count so far
 * is already at the limit, so "at" is the order that makes the count equal to the limit.
 */
interface Boundary {
  name: string;
  rule: RiskRule;
  limits: RiskLimits;
  below: Case;
  at: Case;
  above: Case;
  mentions: string[];
}

const boundaries: Boundary[] = [
  {
    name: 'maxOrderQuantity 1.5',
    rule: 'maxOrderQuantity',
    limits: { maxOrderQuantity: '1.5' },
    below: { order: buy('1.499') },
    at: { order: buy('1.5') },
    above: { order: buy('1.501') },
    mentions: ['1.501', '1.5'],
  },
  {
    name: 'maxOrderNotional 1000, at price 100',
    rule: 'maxOrderNotional',
    limits: { maxOrderNotional: '1000' },
    below: { order: buy('9.999') },
    at: { order: buy('10') },
    above: { order: buy('10.001') },
    mentions: ['100 × 10.001', '1000.1', 'above 1000'],
  },
  {
    name: 'maxOrderNotional 1000, a market order valued at the reference price 100',
    rule: 'maxOrderNotional',
    limits: { maxOrderNotional: '1000' },
    below: { order: market('sell', '9.999') },
    at: { order: market('sell', '10') },
    above: { order: market('sell', '10.001') },
    mentions: ['100 × 10.001', '1000.1', 'above 1000'],
  },
  {
    name: 'priceBand 50 bps above the reference 100',
    rule: 'priceBand',
    limits: { priceBandBps: 50 },
    below: { order: buy('1', '100.499') },
    at: { order: buy('1', '100.5') },
    above: { order: buy('1', '100.501') },
    mentions: ['100.501', '50 bps', 'reference 100'],
  },
  {
    name: 'priceBand 50 bps below the reference 100',
    rule: 'priceBand',
    limits: { priceBandBps: 50 },
    below: { order: sell('1', '99.501') },
    at: { order: sell('1', '99.5') },
    above: { order: sell('1', '99.499') },
    mentions: ['99.499', '50 bps', 'reference 100'],
  },
  {
    name: 'maxOpenOrders 3 (1, 2 and 3 live before the order: it would make 2, 3 and 4)',
    rule: 'maxOpenOrders',
    limits: { maxOpenOrders: 3 },
    below: { order: buy('1'), picture: { openOrders: 1 } },
    at: { order: buy('1'), picture: { openOrders: 2 } },
    above: { order: buy('1'), picture: { openOrders: 3 } },
    mentions: ['BTC-USDT', 'holds 3 live orders', 'the limit is 3'],
  },
  {
    name: 'maxOrdersPerSecond 10 (8, 9 and 10 in the last second: the order would be the 9th, 10th, 11th)',
    rule: 'maxOrdersPerSecond',
    limits: { maxOrdersPerSecond: 10 },
    below: { order: buy('1'), picture: { ordersLastSecond: 8 } },
    at: { order: buy('1'), picture: { ordersLastSecond: 9 } },
    above: { order: buy('1'), picture: { ordersLastSecond: 10 } },
    mentions: ['placed 10 orders', 'the limit is 10'],
  },
  {
    name: 'maxPosition 5, long: position 2 with 1 open to buy, buying 2 more',
    rule: 'maxPosition',
    limits: { maxPosition: '5' },
    below: { order: buy('1.999'), picture: { book: book('2', '1') } },
    at: { order: buy('2'), picture: { book: book('2', '1') } },
    above: { order: buy('2.001'), picture: { book: book('2', '1') } },
    mentions: ['position 2', 'open buys 1', 'sells 0', 'reach 5.001', 'buy of 2.001', 'limit is 5'],
  },
  {
    name: 'maxPosition 5, short: position -2 with 1 open to sell, selling 2 more',
    rule: 'maxPosition',
    limits: { maxPosition: '5' },
    below: { order: sell('1.999'), picture: { book: book('-2', '0', '1') } },
    at: { order: sell('2'), picture: { book: book('-2', '0', '1') } },
    above: { order: sell('2.001'), picture: { book: book('-2', '0', '1') } },
    mentions: ['position -2', 'sells 1', 'reach 5.001', 'sell of 2.001', 'limit is 5'],
  },
  {
    name: 'maxPosition 5, crossing zero: long 2 selling 7',
    rule: 'maxPosition',
    limits: { maxPosition: '5' },
    below: { order: sell('6.999'), picture: { book: book('2') } },
    at: { order: sell('7'), picture: { book: book('2') } },
    above: { order: sell('7.001'), picture: { book: book('2') } },
    mentions: ['position 2', 'reach 5.001', 'sell of 7.001', 'limit is 5'],
  },
  {
    name: 'maxAccountExposure 2000, 1000 now, buying at 100',
    rule: 'maxAccountExposure',
    limits: { maxAccountExposure: '2000' },
    below: { order: buy('9.999'), picture: { accountExposure: '1000' } },
    at: { order: buy('10'), picture: { accountExposure: '1000' } },
    above: { order: buy('10.001'), picture: { accountExposure: '1000' } },
    mentions: ['reach 2000.1', 'now 1000', 'limit is 2000'],
  },
  {
    name: 'maxTotalExposure 3000, 2000 now (the account limit 5000 is far)',
    rule: 'maxTotalExposure',
    limits: { maxAccountExposure: '5000', maxTotalExposure: '3000' },
    below: { order: sell('9.999'), picture: { accountExposure: '1000', totalExposure: '2000' } },
    at: { order: sell('10'), picture: { accountExposure: '1000', totalExposure: '2000' } },
    above: { order: sell('10.001'), picture: { accountExposure: '1000', totalExposure: '2000' } },
    mentions: ['reach 3000.1', 'now 2000', 'limit is 3000'],
  },
  {
    name: 'reducing: REDUCING, long 5 with 1 open to sell, selling down to zero',
    rule: 'reducing',
    limits: {},
    below: { order: sell('3.999'), picture: { state: 'REDUCING', book: book('5', '0', '1') } },
    at: { order: sell('4'), picture: { state: 'REDUCING', book: book('5', '0', '1') } },
    above: { order: sell('4.001'), picture: { state: 'REDUCING', book: book('5', '0', '1') } },
    mentions: ['REDUCING', 'sell 4.001', 'position of 5', 'open buys 0', 'sells 1'],
  },
  {
    name: 'reducing: REDUCING, short 5 with 1 open to buy, buying up to zero',
    rule: 'reducing',
    limits: {},
    below: { order: buy('3.999'), picture: { state: 'REDUCING', book: book('-5', '1') } },
    at: { order: buy('4'), picture: { state: 'REDUCING', book: book('-5', '1') } },
    above: { order: buy('4.001'), picture: { state: 'REDUCING', book: book('-5', '1') } },
    mentions: ['REDUCING', 'buy 4.001', 'position of -5', 'open buys 1'],
  },
];

describe('risk: every rule at, just below and just above its limit', () => {
  for (const { name, rule, limits, below, at, above, mentions } of boundaries) {
    test(`${name}: just below passes`, () =>
      assert.equal(preTradeDenial(below.order, picture(below.picture), limits), undefined));
    test(`${name}: at the limit passes`, () =>
      assert.equal(preTradeDenial(at.order, picture(at.picture), limits), undefined));
    test(`${name}: just above is denied by ${rule}, with the numbers`, () =>
      assertDenied(preTradeDenial(above.order, picture(above.picture), limits), rule, mentions));
  }

  test('maxOpenOrders and maxOrdersPerSecond 0 deny every new order', () => {
    assertDenied(preTradeDenial(buy('1'), picture(), { maxOpenOrders: 0 }), 'maxOpenOrders');
    assertDenied(preTradeDenial(buy('1'), picture(), { maxOrdersPerSecond: 0 }), 'maxOrdersPerSecond');
  });

  test('no limits at all: any order passes while ACTIVE', () =>
    assert.equal(
      preTradeDenial(buy('1000000', '123456'), picture({ book: book('-7', '3', '9') }), {}),
      undefined,
    ));
});

describe('risk: trading states', () => {
  test('HALTED denies everything, reducing orders included, and says who halted it', () => {
    const halted = picture({ state: 'HALTED', stateReason: 'operator: venue outage', book: book('5') });
    for (const o of [buy('1'), sell('1'), sell('5'), market('sell', '0.001')])
      assertDenied(preTradeDenial(o, halted, {}), 'halted', ['HALTED', 'operator: venue outage']);
  });

  test('REDUCING lets through a sell that keeps a long position at or above zero', () => {
    const reducing = picture({ state: 'REDUCING', book: book('5') });
    assert.equal(preTradeDenial(sell('2'), reducing, {}), undefined);
    assert.equal(preTradeDenial(sell('5'), reducing, {}), undefined);
    assert.equal(preTradeDenial(market('sell', '5'), reducing, {}), undefined);
  });

  test('REDUCING lets through a buy that keeps a short position at or below zero', () => {
    const reducing = picture({ state: 'REDUCING', book: book('-5') });
    assert.equal(preTradeDenial(buy('2'), reducing, {}), undefined);
    assert.equal(preTradeDenial(buy('5'), reducing, {}), undefined);
  });

  test('REDUCING denies an order that crosses zero or adds to the position, or any order when flat', () => {
    const long = picture({ state: 'REDUCING', stateReason: 'daily loss', book: book('5') });
    assertDenied(preTradeDenial(sell('5.001'), long, {}), 'reducing', ['daily loss', 'position of 5']);
    assertDenied(preTradeDenial(buy('0.001'), long, {}), 'reducing', ['buy 0.001']);
    const short = picture({ state: 'REDUCING', book: book('-5') });
    assertDenied(preTradeDenial(buy('5.001'), short, {}), 'reducing');
    assertDenied(preTradeDenial(sell('0.001'), short, {}), 'reducing');
    const none = picture({ state: 'REDUCING' });
    assertDenied(preTradeDenial(buy('0.001'), none, {}), 'reducing', ['position of 0']);
    assertDenied(preTradeDenial(sell('0.001'), none, {}), 'reducing');
  });

  test('REDUCING counts the sells already live: together they must not cross zero', () => {
    const reducing = picture({ state: 'REDUCING', book: book('5', '0', '5') });
    assertDenied(preTradeDenial(sell('0.001'), reducing, {}), 'reducing', ['sells 5']);
    // Live buys on the other side do not make a sell any less reducing.
    const withBuys = picture({ state: 'REDUCING', book: book('5', '3', '0') });
    assert.equal(preTradeDenial(sell('5'), withBuys, {}), undefined);
  });

  test('strictestState: HALTED over REDUCING over ACTIVE, whatever the order; none is ACTIVE', () => {
    const table: Array<[TradingState[], TradingState]> = [
      [[], 'ACTIVE'],
      [['ACTIVE'], 'ACTIVE'],
      [['ACTIVE', 'REDUCING', 'ACTIVE'], 'REDUCING'],
      [['REDUCING', 'ACTIVE'], 'REDUCING'],
      [['HALTED', 'REDUCING'], 'HALTED'],
      [['ACTIVE', 'REDUCING', 'HALTED', 'ACTIVE'], 'HALTED'],
    ];
    for (const [states, expected] of table) assert.equal(strictestState(states), expected, states.join());
  });
});

describe('risk: reducing orders and the position and exposure limits', () => {
  // Long 10 at 100 (exposure 1000) after the operator lowered every limit below it.
  const over = picture({ book: book('10'), accountExposure: '1000', totalExposure: '1000' });
  const lowered: RiskLimits = { maxPosition: '5', maxAccountExposure: '500', maxTotalExposure: '500' };

  test('a reducing order passes even when the position is already over the limits', () => {
    assert.equal(preTradeDenial(sell('3'), over, lowered), undefined);
    assert.equal(preTradeDenial(sell('10'), over, lowered), undefined);
    const short = picture({ book: book('-10'), accountExposure: '1000', totalExposure: '1000' });
    assert.equal(preTradeDenial(buy('4'), short, lowered), undefined);
  });

  test('an order that adds to it, or crosses zero, is still held to them', () => {
    assertDenied(preTradeDenial(buy('0.001'), over, lowered), 'maxPosition', ['reach 10.001', 'limit is 5']);
    assertDenied(preTradeDenial(sell('10.001'), over, lowered), 'maxPosition', ['reach 10', 'limit is 5']);
    const { maxPosition: _, ...exposureOnly } = lowered;
    assertDenied(preTradeDenial(buy('0.001'), over, exposureOnly), 'maxAccountExposure', [
      'reach 1000.1',
      'limit is 500',
    ]);
  });

  test('a reducing order is still held to the size, notional, band and count limits', () => {
    assertDenied(preTradeDenial(sell('3'), over, { maxOrderQuantity: '2' }), 'maxOrderQuantity');
    assertDenied(preTradeDenial(sell('3'), over, { maxOrderNotional: '200' }), 'maxOrderNotional');
    assertDenied(preTradeDenial(sell('3', '90'), over, { priceBandBps: 100 }), 'priceBand');
    assertDenied(
      preTradeDenial(sell('3'), picture({ ...over, openOrders: 2 }), { maxOpenOrders: 2 }),
      'maxOpenOrders',
    );
  });

  test('reducesPosition: whatever else on its side fills first, never past zero', () => {
    assert.equal(reducesPosition(book('5'), sell('5')), true);
    assert.equal(reducesPosition(book('5', '0', '2'), sell('3')), true);
    assert.equal(reducesPosition(book('5', '0', '2'), sell('3.001')), false);
    assert.equal(reducesPosition(book('-5', '2'), buy('3')), true);
    assert.equal(reducesPosition(book('-5', '2'), buy('3.001')), false);
    assert.equal(reducesPosition(book('5'), buy('0.001')), false);
    assert.equal(reducesPosition(flat, sell('0.001')), false);
  });

  test('worstCasePosition is the larger of every buy filling and every sell filling', () => {
    assert.equal(worstCasePosition(book('1', '2', '5')), '4');
    assert.equal(worstCasePosition(book('-1', '6', '0')), '5');
    assert.equal(worstCasePosition(flat), '0');
    assert.deepEqual(withOrder(book('1', '2', '5'), buy('0.5')), book('1', '2.5', '5'));
    assert.deepEqual(withOrder(book('1', '2', '5'), sell('0.5')), book('1', '2', '5.5'));
  });
});

describe('risk: prices', () => {
  test('a market order without a reference price is denied by the limit that needs a price, named', () => {
    const blind = picture({ referencePrice: undefined });
    for (const [limits, rule] of [
      [{ maxOrderNotional: '1000' }, 'maxOrderNotional'],
      [{ maxAccountExposure: '1000' }, 'maxAccountExposure'],
      [{ maxTotalExposure: '1000' }, 'maxTotalExposure'],
    ] satisfies Array<[RiskLimits, RiskRule]>)
      assertDenied(preTradeDenial(market('buy', '1'), blind, limits), rule, ['no price']);
  });

  test('a reducing market order without a reference price still passes the exposure limits', () =>
    assert.equal(
      preTradeDenial(
        market('sell', '1'),
        picture({ referencePrice: undefined, book: { position: '3', openBuy: '0', openSell: '0' } }),
        { maxAccountExposure: '1', maxTotalExposure: '1' },
      ),
      undefined,
    ));

  test('a market order without a reference price passes when no limit needs a price', () =>
    assert.equal(
      preTradeDenial(market('buy', '1'), picture({ referencePrice: undefined }), { maxPosition: '5' }),
      undefined,
    ));

  test('a limit order with no (or a zero) reference price is denied by the price band', () => {
    for (const referencePrice of [undefined, '0'])
      assertDenied(
        preTradeDenial(buy('1'), picture({ referencePrice }), { priceBandBps: 100 }),
        'priceBand',
        ['no reference price'],
      );
  });

  test('the price band applies to limit prices only; a market order trades at the market', () =>
    assert.equal(preTradeDenial(market('buy', '1'), picture(), { priceBandBps: 1 }), undefined));

  test("exposure revalues the symbol at the order's price when it is above the mark", () => {
    // Long 1 marked at 100 (exposure 100); buying 1 at 110 values both at 110: 220.
    const held = picture({ book: book('1'), accountExposure: '100' });
    assert.equal(preTradeDenial(buy('1', '110'), held, { maxAccountExposure: '220' }), undefined);
    assertDenied(
      preTradeDenial(buy('1', '110'), held, { maxAccountExposure: '219.999' }),
      'maxAccountExposure',
      ['reach 220'],
    );
    // Below the mark, the mark stays: 2 × 100 = 200.
    assert.equal(preTradeDenial(buy('1', '90'), held, { maxAccountExposure: '200' }), undefined);
    assertDenied(
      preTradeDenial(buy('1', '90'), held, { maxAccountExposure: '199.999' }),
      'maxAccountExposure',
      ['reach 200'],
    );
  });
});

describe('risk: limits', () => {
  test('tightestLimits takes the smallest of each field, decimals compared as numbers', () => {
    assert.deepEqual(
      tightestLimits(
        { maxPosition: '10', maxOpenOrders: 5, maxAccountExposure: '0.10' },
        undefined,
        { maxPosition: '9', maxOrderQuantity: '0.5', maxAccountExposure: '0.09' },
        { maxOpenOrders: 3, maxPosition: '9.5', priceBandBps: 20, maxOrderQuantity: undefined },
      ),
      {
        maxPosition: '9',
        maxOpenOrders: 3,
        maxAccountExposure: '0.09',
        maxOrderQuantity: '0.5',
        priceBandBps: 20,
      },
    );
    assert.deepEqual(tightestLimits({ maxPosition: '9' }, { maxPosition: '10' }), { maxPosition: '9' });
    assert.deepEqual(tightestLimits({ maxOrdersPerSecond: 0 }, { maxOrdersPerSecond: 10 }), {
      maxOrdersPerSecond: 0,
    });
    assert.deepEqual(tightestLimits({ maxOrderNotional: '0' }, { maxOrderNotional: '1' }), {
      maxOrderNotional: '0',
    });
    assert.deepEqual(tightestLimits(), {});
    assert.deepEqual(tightestLimits(undefined, {}), {});
  });

  test('RiskLimitsSchema accepts a full set', () => {
    const full = {
      maxOrderQuantity: '1.5',
      maxOrderNotional: '1000',
      maxPosition: '5',
      maxAccountExposure: '20000',
      maxTotalExposure: '50000.25',
      maxOpenOrders: 0,
      maxOrdersPerSecond: 10,
      priceBandBps: 1,
    };
    assert.deepEqual(RiskLimitsSchema.parse(full), full);
    assert.deepEqual(RiskLimitsSchema.parse({}), {});
  });

  test('RiskLimitsSchema refuses a negative limit, an unknown field, a fractional count and a zero band', () => {
    for (const bad of [
      { maxPosition: '-1' },
      { maxOrderNotional: '-1' },
      { maxOpenOrders: -1 },
      { maxPositon: '5' },
      { maxOpenOrders: 1.5 },
      { maxOrdersPerSecond: 2.5 },
      { priceBandBps: 0 },
      { maxPosition: 5 },
    ])
      assert.equal(RiskLimitsSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties: a simulated ledger of one account in a few symbols, each at a constant price.

/** A positive decimal with up to 3 places, from min (default 0.001) to max. */
const decimal3 = (max: number, min = 0.001) =>
  fc
    .integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) })
    .map((n) => fromScaled(BigInt(n), 3));

const SYMBOLS = 3;

interface Live {
  symbol: number;
  side: Side;
  remaining: string;
}

type Action =
  | { kind: 'submit'; symbol: number; side: Side; quantity: string; market: boolean }
  | { kind: 'fill'; pick: number; full: boolean; amount: number }
  | { kind: 'cancel'; pick: number };

const actions = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('submit' as const),
        symbol: fc.nat(SYMBOLS - 1),
        side: fc.constantFrom<Side>('buy', 'sell'),
        quantity: decimal3(3),
        market: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('fill' as const),
        pick: fc.nat(),
        full: fc.boolean(),
        amount: fc.nat(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  ),
  { maxLength: 60, size: 'large' },
);

class Ledger {
  readonly books: SymbolBook[];
  readonly live: Live[] = [];

  constructor(
    readonly prices: string[],
    positions: string[] = prices.map(() => '0'),
  ) {
    this.books = positions.map((position) => ({ position, openBuy: '0', openSell: '0' }));
  }

  exposure(): string {
    return this.books.reduce((sum, b, i) => add(sum, multiply(worstCasePosition(b), this.prices[i]!)), '0');
  }

  picture(symbol: number, state: TradingState): RiskPicture {
    const exposure = this.exposure();
    return {
      state,
      book: this.books[symbol]!,
      markPrice: this.prices[symbol],
      referencePrice: this.prices[symbol],
      openOrders: 0,
      ordersLastSecond: 0,
      accountExposure: exposure,
      totalExposure: exposure,
    };
  }

  /** Applies one action; answers whether a submitted order passed the check (undefined for others). */
  apply(action: Action, limits: RiskLimits, state: TradingState): boolean | undefined {
    if (action.kind === 'submit') {
      const { symbol, side, quantity } = action;
      const price = action.market ? undefined : this.prices[symbol];
      const toCheck: OrderToCheck = { symbol: `S${symbol}`, side, quantity, price };
      if (preTradeDenial(toCheck, this.picture(symbol, state), limits)) return false;
      this.books[symbol] = withOrder(this.books[symbol]!, toCheck);
      this.live.push({ symbol, side, remaining: quantity });
      return true;
    }
    if (this.live.length === 0) return undefined;
    const index = action.pick % this.live.length;
    const order = this.live[index]!;
    const b = this.books[order.symbol]!;
    const open = order.side === 'buy' ? 'openBuy' : 'openSell';
    if (action.kind === 'cancel') {
      this.books[order.symbol] = { ...b, [open]: subtract(b[open], order.remaining) };
      this.live.splice(index, 1);
      return undefined;
    }
    const units = toScaledExact(order.remaining, 3)!;
    const quantity = action.full ? order.remaining : fromScaled(1n + (BigInt(action.amount) % units), 3);
    this.books[order.symbol] = {
      ...b,
      position: order.side === 'buy' ? add(b.position, quantity) : subtract(b.position, quantity),
      [open]: subtract(b[open], quantity),
    };
    order.remaining = subtract(order.remaining, quantity);
    if (compare(order.remaining, '0') === 0) this.live.splice(index, 1);
    return undefined;
  }

  /** The books agree with the live orders they were built from. */
  assertConsistent(): void {
    this.books.forEach((b, i) => {
      const mine = this.live.filter((o) => o.symbol === i);
      const sum = (side: Side) =>
        mine.filter((o) => o.side === side).reduce((s, o) => add(s, o.remaining), '0');
      assert.equal(compare(b.openBuy, sum('buy')), 0);
      assert.equal(compare(b.openSell, sum('sell')), 0);
    });
  }
}

describe('risk: no sequence of orders passes a position or exposure limit (property)', () => {
  const limitsArb = fc.record({
    maxPosition: decimal3(10, 1),
    maxAccountExposure: decimal3(2000, 100),
    maxTotalExposure: decimal3(2000, 100),
  });
  const pricesArb = fc.array(decimal3(100, 1), { minLength: SYMBOLS, maxLength: SYMBOLS });

  test('from flat, |position| and the worst case stay within maxPosition, exposure within its limits', () => {
    let passed = 0;
    let denied = 0;
    fc.assert(
      fc.property(limitsArb, pricesArb, actions, (limits, prices, script) => {
        const ledger = new Ledger(prices);
        for (const action of script) {
          const outcome = ledger.apply(action, limits, 'ACTIVE');
          if (outcome === true) passed++;
          if (outcome === false) denied++;
          ledger.assertConsistent();
          ledger.books.forEach((b, i) => {
            assert.ok(compare(abs(b.position), limits.maxPosition) <= 0, `S${i} position ${b.position}`);
            const worst = worstCasePosition(b);
            assert.ok(compare(worst, limits.maxPosition) <= 0, `S${i} worst case ${worst}`);
          });
          const exposure = ledger.exposure();
          assert.ok(compare(exposure, limits.maxAccountExposure) <= 0, `account exposure ${exposure}`);
          assert.ok(compare(exposure, limits.maxTotalExposure) <= 0, `total exposure ${exposure}`);
        }
      }),
      { numRuns: 500 },
    );
    // Not vacuous: the limits both let orders through and stopped some.
    assert.ok(passed > 1000, `only ${passed} orders passed`);
    assert.ok(denied > 1000, `only ${denied} orders denied`);
  });

  test('REDUCING from any position: no sequence of orders and fills grows it or flips its sign', () => {
    let passed = 0;
    fc.assert(
      fc.property(
        pricesArb,
        fc.array(
          fc.tuple(decimal3(10), fc.boolean()).map(([q, short]) => (short ? `-${q}` : q)),
          { minLength: SYMBOLS, maxLength: SYMBOLS },
        ),
        actions,
        (prices, positions, script) => {
          const ledger = new Ledger(prices, positions);
          for (const action of script) {
            const before = ledger.books.map((b) => b.position);
            if (ledger.apply(action, {}, 'REDUCING')) passed++;
            ledger.books.forEach((b, i) => {
              assert.ok(compare(abs(b.position), abs(before[i]!)) <= 0, `S${i} grew to ${b.position}`);
              assert.ok(sign(b.position) * sign(positions[i]!) >= 0, `S${i} crossed zero to ${b.position}`);
              // Whatever else fills, it cannot get past zero either.
              const far =
                sign(positions[i]!) > 0 ? subtract(b.position, b.openSell) : add(b.position, b.openBuy);
              assert.ok(sign(far) * sign(positions[i]!) >= 0, `S${i} could reach ${far}`);
            });
          }
        },
      ),
      { numRuns: 500 },
    );
    assert.ok(passed > 100, `only ${passed} orders passed`);
  });

  test('from any book, an order that passes keeps the worst case within the limit or does not raise it', () => {
    const signed = fc.tuple(decimal3(20), fc.boolean()).map(([q, short]) => (short ? `-${q}` : q));
    const open = fc.oneof(fc.constant('0'), decimal3(10));
    fc.assert(
      fc.property(
        fc.record({ position: fc.oneof(fc.constant('0'), signed), openBuy: open, openSell: open }),
        fc.constantFrom<Side>('buy', 'sell'),
        decimal3(10),
        decimal3(10),
        decimal3(200),
        decimal3(3000),
        decimal3(3000),
        (b, side, quantity, maxPosition, price, otherExposure, maxAccountExposure) => {
          const o: OrderToCheck = { side, quantity, price };
          const before = worstCasePosition(b);
          const after = worstCasePosition(withOrder(b, o));
          if (reducesPosition(b, o)) assert.equal(compare(after, before), 0, 'a reducing order raised it');
          const exposure = add(otherExposure, multiply(before, price));
          const limits = { maxPosition, maxAccountExposure };
          const denial = preTradeDenial(
            o,
            picture({ book: b, markPrice: price, referencePrice: price, accountExposure: exposure }),
            limits,
          );
          if (denial) return;
          assert.ok(
            compare(after, maxPosition) <= 0 || compare(after, before) <= 0,
            `worst case ${before} → ${after}`,
          );
          const next = add(otherExposure, multiply(after, price));
          assert.ok(
            compare(next, maxAccountExposure) <= 0 || compare(next, exposure) <= 0,
            `exposure ${exposure} → ${next}`,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
