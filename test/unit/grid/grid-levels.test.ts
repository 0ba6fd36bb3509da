import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  gridLevelPrices,
  levelQuantity,
  levelViolation,
  validateGrid,
} from '../../../workflows/strategies/grid/grid-levels';
import { GridParamsSchema, type GridParamsInput } from '../../../workflows/strategies/grid/grid-params';
import { gridParams } from './grid-fixtures';

const rules = { tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', minNotional: '5' };

describe('grid levels', () => {
  test('arithmetic: 100..200 in 5 levels is a step of (200-100)/4 = 25', () => {
    assert.deepEqual(gridLevelPrices(gridParams({}), rules), ['100', '125', '150', '175', '200']);
  });

  test('geometric: 100..800 in 4 levels doubles each step, since (800/100)^(1/3) = 2', () => {
    assert.deepEqual(
      gridLevelPrices(gridParams({ upperPrice: '800', levels: 4, spacing: 'geometric' }), rules),
      ['100', '200', '400', '800'],
    );
  });

  test('geometric: 100..121 in 3 levels has ratio sqrt(1.21) = 1.1, so the middle is 110', () => {
    assert.deepEqual(
      gridLevelPrices(gridParams({ upperPrice: '121', levels: 3, spacing: 'geometric' }), rules),
      ['100', '110', '121'],
    );
  });

  test('levels are rounded to the nearest tick: 100..101 in 4 levels, tick 0.25', () => {
    // Raw 100, 100.333.., 100.666.., 101 → nearest quarter: 100, 100.25, 100.75, 101.
    const prices = gridLevelPrices(gridParams({ upperPrice: '101', levels: 4 }), {
      ...rules,
      tickSize: '0.25',
    });
    assert.deepEqual(prices, ['100', '100.25', '100.75', '101']);
  });

  test('two levels on one tick are refused: 100..102 in 5 levels with tick 1', () => {
    // Raw 100, 100.5, 101, 101.5, 102 → 100, 101 (half rounds up), 101: a collision.
    assert.throws(
      () => gridLevelPrices(gridParams({ upperPrice: '102' }), { ...rules, tickSize: '1' }),
      /same tick/,
    );
  });

  test('quote-sized orders: 50 USDT at 30000 is 0.001666.. BTC, rounded down to the 0.0001 lot = 0.0016', () => {
    const quoteSized = gridParams({ orderSize: { unit: 'quote', amount: '50' } });
    assert.equal(levelQuantity(quoteSized, rules, '30000'), '0.0016');
  });

  test('base-sized orders are rounded down to the lot: 0.12345 with lot 0.001 is 0.123', () => {
    assert.equal(
      levelQuantity(
        gridParams({ orderSize: { unit: 'base', amount: '0.12345' } }),
        { ...rules, lotSize: '0.001' },
        '100',
      ),
      '0.123',
    );
  });

  test('min quantity and min notional are checked per level', () => {
    assert.equal(levelViolation(rules, '30000', '0.0002'), undefined); // 6 USDT ≥ 5
    assert.match(levelViolation(rules, '30000', '0.0001') ?? '', /notional 3 .* below the minimum 5/); // 3 USDT < 5
    assert.match(
      levelViolation({ ...rules, minQuantity: '0.001' }, '30000', '0.0005') ?? '',
      /below the minimum 0.001/,
    );
  });

  test('validateGrid lists every level the venue would refuse', () => {
    // 0.04 base at 100 and 125 is 4 and 5 USDT: only the 100 level is below the 5 USDT minimum.
    const problems = validateGrid(gridParams({ orderSize: { unit: 'base', amount: '0.04' } }), rules);
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /at 100 is below/);
    assert.deepEqual(validateGrid(gridParams({}), rules), []);
  });

  test('the schema refuses inverted bounds, zero sizes and too few levels', () => {
    const bad = (input: Partial<GridParamsInput>) =>
      !GridParamsSchema.safeParse({ ...gridParams({}), ...input }).success;
    assert.ok(bad({ lowerPrice: '200', upperPrice: '100' }));
    assert.ok(bad({ lowerPrice: '0' }));
    assert.ok(bad({ orderSize: { unit: 'base', amount: '0' } }));
    assert.ok(bad({ levels: 1 }));
    assert.ok(bad({ lowerPrice: '-5' }));
    assert.ok(bad({ maxInventory: 'NaN' }));
  });
});
