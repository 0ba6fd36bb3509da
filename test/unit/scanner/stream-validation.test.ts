import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  StreamValidationSettingsSchema,
  batchesOf,
  classifySymbol,
  screenValidated,
  soundMid,
  summarizeValidation,
  symbolsToValidate,
  verdictsOf,
  type StreamOutcomes,
} from '../../../workflows/scanner/discovery/stream-validation';

describe('stream validation: classifying what a stream showed', () => {
  test('a sound quote is valid, with its exact mid', () => {
    assert.deepEqual(classifySymbol({ quotes: 3, top: ['100.1', '100.2'] }), { valid: true, mid: '100.15' });
    assert.deepEqual(classifySymbol({ quotes: 1, top: ['7', '7'] }), { valid: true, mid: '7' });
    assert.equal(soundMid('0.00000001', '0.00000003'), '0.00000002');
  });

  test('only unsound quotes (crossed, zero, negative, not a decimal) are invalid_prices', () => {
    for (const top of [
      ['101', '100'],
      ['0', '100'],
      ['100', '0'],
      ['-1', '100'],
      ['NaN', '1'],
    ] as const)
      assert.deepEqual(classifySymbol({ quotes: 2, top: [top[0], top[1]] }), {
        valid: false,
        reason: 'invalid_prices',
      });
  });

  test('nothing in time is no_data; a refused subscription is rejected, with the venue message', () => {
    assert.deepEqual(classifySymbol(undefined), { valid: false, reason: 'no_data' });
    assert.deepEqual(classifySymbol({ quotes: 0 }), { valid: false, reason: 'no_data' });
    assert.deepEqual(classifySymbol({ quotes: 0, rejected: 'X-USDT is not listed' }), {
      valid: false,
      reason: 'rejected',
      detail: 'X-USDT is not listed',
    });
  });

  test('settings: seed defaults, the key named when bad, unknown keys refused', () => {
    const d = StreamValidationSettingsSchema.parse({});
    assert.deepEqual(d, {
      enabled: true,
      batchSize: { binance: 200, okx: 100, bybit: 50, mexc: 30 },
      collectMs: 30_000,
      idleMs: 10_000,
      batchTimeoutMs: 90_000,
    });
    const bad = StreamValidationSettingsSchema.safeParse({
      batchSize: { mexc: 0 },
      collectMs: 60_000,
      batchTimeoutMs: 50_000,
      colectMs: 1,
    });
    assert.equal(bad.success, false);
    const paths = bad.error?.issues.map((i) => i.path.join('.')) ?? [];
    assert.ok(paths.includes('batchSize.mexc'), String(paths));
    assert.ok(
      paths.some((p) => p === '' || p === 'colectMs'),
      String(paths),
    );
    const order = StreamValidationSettingsSchema.safeParse({ collectMs: 60_000, batchTimeoutMs: 50_000 });
    assert.deepEqual(
      order.error?.issues.map((i) => i.path.join('.')),
      ['batchTimeoutMs'],
    );
  });

  test('batches keep order and size', () => {
    assert.deepEqual(batchesOf([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(batchesOf([], 30), []);
  });
});

describe('stream validation: screening pairs', () => {
  // Directions 0 okx-spot>mexc-perp and 1 okx-spot>bybit-perp.
  const universe = {
    symbols: ['A-USDT', 'B-USDT', 'C-USDT'],
    directions: [
      { id: 0, name: 'okx-spot>mexc-perp', symbolIds: [0, 1, 2] },
      { id: 1, name: 'okx-spot>bybit-perp', symbolIds: [0, 1] },
    ],
  };
  const settings = { maxPriceRatio: '1.5', denylist: [] };

  test('each source subscribes to the symbols its directions use', () => {
    assert.deepEqual(symbolsToValidate(universe), {
      'okx-spot': ['A-USDT', 'B-USDT', 'C-USDT'],
      'mexc-perp': ['A-USDT', 'B-USDT', 'C-USDT'],
      'bybit-perp': ['A-USDT', 'B-USDT'],
    });
  });

  test('a pair needs both legs valid; the mids run the price check; a failed source holds out as no_data', () => {
    const wanted = symbolsToValidate(universe);
    const outcomes: StreamOutcomes = {
      'okx-spot': {
        status: 'validated',
        observed: {
          'A-USDT': { quotes: 1, top: ['10', '10.2'] },
          'B-USDT': { quotes: 1, top: ['5', '5'] },
          'C-USDT': { quotes: 2, top: ['3', '2'] },
        },
      },
      'mexc-perp': {
        status: 'validated',
        observed: {
          'A-USDT': { quotes: 1, top: ['10000', '10200'] },
          'B-USDT': { quotes: 1, top: ['5', '5.1'] },
          'C-USDT': { quotes: 0, rejected: 'unknown symbol' },
        },
      },
      'bybit-perp': { status: 'failed', reason: 'boom (3 attempts)' },
    };
    const verdicts = verdictsOf(wanted, outcomes);
    const s = screenValidated(universe, settings, verdicts);
    assert.equal(s.priceCheck, 'run');
    assert.deepEqual(
      s.directions.map((d) => d.symbolIds),
      [[1], []],
    );
    assert.deepEqual(s.unchecked, []);
    assert.deepEqual(s.heldOut, [
      {
        symbol: 'A-USDT',
        symbolId: 0,
        direction: 'okx-spot>mexc-perp',
        directionId: 0,
        reason: 'price_disagreement',
        spotMid: '10.1',
        perpMid: '10100',
        ratio: '1000',
      },
      {
        symbol: 'C-USDT',
        symbolId: 2,
        direction: 'okx-spot>mexc-perp',
        directionId: 0,
        reason: 'invalid_prices',
        legs: [
          { source: 'okx-spot', reason: 'invalid_prices' },
          { source: 'mexc-perp', reason: 'rejected', detail: 'unknown symbol' },
        ],
      },
      ...[0, 1].map((symbolId) => ({
        symbol: universe.symbols[symbolId],
        symbolId,
        direction: 'okx-spot>bybit-perp',
        directionId: 1,
        reason: 'no_data',
        legs: [
          {
            source: 'bybit-perp',
            reason: 'no_data',
            detail: 'validation of bybit-perp failed: boom (3 attempts)',
          },
        ],
      })),
    ]);
    const summary = summarizeValidation(wanted, outcomes, verdicts);
    assert.deepEqual(
      summary
        .filter((x) => x.status !== 'not_needed')
        .map((x) => [x.source, x.status, x.valid, x.noData, x.invalidPrices, x.rejected]),
      [
        ['bybit-perp', 'failed', 0, 2, 0, 0],
        ['mexc-perp', 'validated', 2, 0, 0, 1],
        ['okx-spot', 'validated', 2, 0, 1, 0],
      ],
    );
  });

  test('switched off: only the denylist, price check not run', () => {
    const s = screenValidated(universe, settings);
    assert.equal(s.priceCheck, 'not_run');
    assert.equal(s.heldOut.length, 0);
  });
});
