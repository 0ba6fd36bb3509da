import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddSymbolSchema, PauseResumeSchema } from '../../../workflows/orchestrator/messages';
import { SymbolConfigSchema } from '../../../workflows/symbol/symbol-config';

describe('symbol configuration', () => {
  test('fills defaults, including the strategy params', () => {
    const config = SymbolConfigSchema.parse({
      venues: [{ venue: 'binance' }],
      strategies: [{ name: 'quote', params: { quantity: '0.5' } }],
    });
    assert.deepEqual(config.venues, [{ venue: 'binance', market: 'spot', account: 'keel', live: false }]);
    assert.equal(config.onFailure, 'cancel-orders');
    assert.deepEqual(config.risk, { maxOpenOrders: 20, maxOrderNotional: '10000' });
    assert.deepEqual(config.strategies[0]?.params, {
      levels: 2,
      halfSpreadBps: 10,
      levelStepBps: 10,
      quantity: '0.5',
      requoteIntervalMs: 60_000,
    });
    // Parsing is idempotent: the shard and symbol workflows re-validate what the root stored.
    assert.deepEqual(SymbolConfigSchema.parse(config), config);
  });

  test('refuses unknown strategies, bad params, bad venues and unknown keys with a path', () => {
    const cases: Array<[unknown, string]> = [
      [{ venues: [{ venue: 'binance' }], strategies: [{ name: 'martingale' }] }, 'strategies.0.name'],
      [
        { venues: [{ venue: 'binance' }], strategies: [{ name: 'quote', params: { quantity: 1 } }] },
        'strategies.0.params.quantity',
      ],
      [{ venues: [{ venue: 'nasdaq' }] }, 'venues.0.venue'],
      [{ venues: [] }, 'venues'],
      [{ venues: [{ venue: 'okx' }], extra: true }, ''],
      [{ venues: [{ venue: 'okx' }], strategies: [{ name: 'idle', venue: 2 }] }, 'strategies.0.venue'],
    ];
    for (const [input, path] of cases) {
      const parsed = SymbolConfigSchema.safeParse(input);
      assert.equal(parsed.success, false, JSON.stringify(input));
      assert.ok(
        parsed.error?.issues.some((issue) => issue.path.join('.') === path),
        `${path}: ${parsed.error?.message}`,
      );
    }
  });

  test('messages validate symbols and accept a bare global pause', () => {
    assert.equal(
      AddSymbolSchema.safeParse({ symbol: 'btc-usdt', config: { venues: [{ venue: 'okx' }] } }).success,
      false,
    );
    assert.deepEqual(PauseResumeSchema.parse(undefined), {});
    assert.deepEqual(PauseResumeSchema.parse({ symbol: 'BTC-USDT' }), { symbol: 'BTC-USDT' });
    assert.equal(PauseResumeSchema.safeParse({ symbol: 5 }).success, false);
  });

  test('a global pause or resume takes nothing or a plain object: an empty byte array is refused', () => {
    assert.deepEqual(PauseResumeSchema.parse(undefined), {});
    assert.deepEqual(PauseResumeSchema.parse(null), {});
    assert.deepEqual(PauseResumeSchema.parse({ symbol: 'BTC-USDT' }), { symbol: 'BTC-USDT' });
    assert.equal(PauseResumeSchema.safeParse(new Uint8Array()).success, false);
    assert.equal(PauseResumeSchema.safeParse([]).success, false);
  });
});
