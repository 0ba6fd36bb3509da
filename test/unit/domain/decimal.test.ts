import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  abs,
  add,
  compare,
  decimalPlaces,
  divide,
  divideExact,
  divideRounded,
  fromFixed,
  fromScaled,
  isDecimal,
  isMultipleOf,
  midpoint,
  multiply,
  negate,
  roundToStep,
  sign,
  subtract,
  toFixed,
  toScaled,
  toScaledExact,
  type Rounding,
} from '../../../domain/decimal';

describe('decimal strings', () => {
  test('exact arithmetic, signed, without trailing zeros', () => {
    assert.equal(add('0.1', '0.2'), '0.3');
    assert.equal(subtract('1', '1.25'), '-0.25');
    assert.equal(multiply('-1.5', '0.2'), '-0.3');
    assert.equal(midpoint('99.98', '100.02'), '100');
    assert.equal(midpoint('1', '2'), '1.5');
    assert.equal(negate('-0.50'), '0.5');
    assert.equal(abs('-3'), '3');
    assert.equal(sign('-0.001'), -1);
    assert.equal(sign('0.000'), 0);
    assert.equal(compare('1.10', '1.1'), 0);
    assert.equal(compare('-2', '1'), -1);
    assert.equal(isMultipleOf('0.03', '0.01'), true);
    assert.equal(isMultipleOf('0.035', '0.01'), false);
    assert.equal(decimalPlaces('0.0100'), 2);
  });

  test('division rounds only as asked, or answers only when exact', () => {
    assert.equal(divide('2', '3', 4, 'down'), '0.6666');
    assert.equal(divide('2', '3', 4, 'half-up'), '0.6667');
    assert.equal(divide('-2', '3', 4, 'floor'), '-0.6667');
    assert.equal(divide('-2', '3', 4, 'ceil'), '-0.6666');
    assert.equal(divideExact('1', '4'), '0.25');
    assert.equal(divideExact('1', '3'), undefined);
    assert.equal(divideExact('1', '0'), undefined);
    assert.throws(() => divide('1', '0', 2, 'down'), RangeError);
  });

  test('parsing: plain decimals only; exact scaling refuses what it cannot hold', () => {
    for (const bad of ['', '1.', '.5', '1e3', '+1', '1,5', ' 1', 'NaN']) {
      assert.equal(isDecimal(bad), false, bad);
      assert.throws(() => toFixed(bad), RangeError, bad);
    }
    assert.equal(isDecimal('-1'), true);
    assert.equal(isDecimal('-1', { unsigned: true }), false);
    assert.equal(toScaledExact('1.50', 1), 15n);
    assert.equal(toScaledExact('1.55', 1), undefined);
    assert.equal(toScaledExact('-1', 2, { unsigned: true }), undefined);
    assert.equal(toScaled('1.55', 1, 'half-up'), 16n);
    assert.equal(toScaled('-1.55', 1, 'down'), -15n);
  });

  test('fixed point round-trips decimal strings of up to 12 places, signed', () => {
    for (const value of ['0', '1', '0.1', '60000.5', '0.000000000001', '123456789.123456789', '-2.5'])
      assert.equal(fromFixed(toFixed(value)), value);
    assert.equal(toFixed('0.0000000000019'), 1n);
    assert.equal(toFixed('0.0000000000019', 'half-up'), 2n);
    assert.equal(fromScaled(-5n, 3), '-0.005');
  });
});

describe('rounding modes', () => {
  const table: Array<[bigint, bigint, Rounding, bigint]> = [
    [7n, 2n, 'down', 3n],
    [7n, 2n, 'up', 4n],
    [7n, 2n, 'floor', 3n],
    [7n, 2n, 'ceil', 4n],
    [7n, 2n, 'half-up', 4n],
    [-7n, 2n, 'down', -3n],
    [-7n, 2n, 'up', -4n],
    [-7n, 2n, 'floor', -4n],
    [-7n, 2n, 'ceil', -3n],
    [-7n, 2n, 'half-up', -4n],
    [5n, 3n, 'half-up', 2n],
    [4n, 3n, 'half-up', 1n],
    [7n, -2n, 'floor', -4n],
    [6n, 2n, 'up', 3n],
  ];
  for (const [a, b, rounding, expected] of table)
    test(`${a} / ${b} rounded ${rounding} is ${expected}`, () =>
      assert.equal(divideRounded(a, b, rounding), expected));

  test('each mode lands on one of the two neighbours, on the side it names', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.boolean(),
        (a, magnitude, negativeDivisor) => {
          const b = negativeDivisor ? -magnitude : magnitude;
          const floor = divideRounded(a, b, 'floor');
          const ceil = divideRounded(a, b, 'ceil');
          // floor ≤ a/b < floor + 1, in integers: multiply through by b, flipping for a negative b.
          const within = (q: bigint) =>
            b > 0n ? q * b <= a && a < (q + 1n) * b : q * b >= a && a > (q + 1n) * b;
          assert.ok(within(floor));
          assert.equal(ceil, floor * b === a ? floor : floor + 1n);
          const negativeQuotient = a !== 0n && a < 0n !== b < 0n;
          assert.equal(divideRounded(a, b, 'down'), negativeQuotient ? ceil : floor);
          assert.equal(divideRounded(a, b, 'up'), negativeQuotient ? floor : ceil);
          const nearest = divideRounded(a, b, 'half-up');
          assert.ok(nearest === floor || nearest === ceil);
        },
      ),
    );
  });

  test('roundToStep lands on the step grid', () => {
    assert.equal(roundToStep(1234n, 100n, 'half-up'), 1200n);
    assert.equal(roundToStep(1250n, 100n, 'half-up'), 1300n);
    assert.equal(roundToStep(1299n, 100n, 'down'), 1200n);
  });
});

describe('properties', () => {
  const decimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }))
    .map(([units, places]) => fromScaled(units, places));

  test('add and subtract are inverse; compare agrees with subtract', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        assert.equal(compare(subtract(add(a, b), b), a), 0);
        assert.equal(compare(a, b), sign(subtract(a, b)));
      }),
    );
  });

  test('a midpoint lies between its ends; a product divided back is the factor', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const mid = midpoint(a, b);
        assert.equal(compare(add(subtract(mid, a), subtract(mid, b)), '0'), 0);
        if (sign(b) !== 0) assert.equal(compare(divideExact(multiply(a, b), b, 36) ?? 'x', a), 0);
      }),
    );
  });
});
