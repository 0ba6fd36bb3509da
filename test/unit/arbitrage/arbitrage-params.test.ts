import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ArbitrageParamsSchema,
  roundTripFeesBps,
  thresholdsNeverTrade,
} from '../../../workflows/strategies/arbitrage/arbitrage-params';
import { perpPerp, perpPerpInput, refusal, spotPerp, spotPerpInput } from './arbitrage-fixtures';

describe('arbitrage params: shape and defaults', () => {
  test('defaults: fees by market, taker legs, less-liquid first, unwind, leverage 1, horizon 8 h', () => {
    const params = ArbitrageParamsSchema.parse({ ...spotPerpInput(), priceSource: undefined });
    assert.deepEqual(params.long.fees, { makerBps: 10, takerBps: 10 });
    assert.deepEqual(params.short.fees, { makerBps: 2, takerBps: 5 });
    assert.deepEqual(params.execution, {
      firstLeg: 'less-liquid',
      long: 'taker',
      short: 'taker',
      legTimeoutMs: 5000,
      maxSlippageBps: 10,
      onSecondLegFailure: 'unwind',
    });
    assert.deepEqual(params.margin, {
      leverage: 1,
      minHeadroomPct: 50,
      reduceBelowPct: 30,
      exitBelowPct: 15,
      checkIntervalMs: 10_000,
    });
    assert.equal(params.priceSource, 'depth');
    assert.equal(params.fundingHorizonHours, 8);
    assert.equal(params.pollIntervalMs, 1000);
    assert.equal(params.quoteWaitMs, 30_000);
    assert.equal(params.long.account, undefined);
  });

  test('a fee given for one side keeps the market default for the other', () => {
    const params = spotPerp({ short: { venue: 'binance', market: 'perp', fees: { takerBps: 4 } } });
    assert.deepEqual(params.short.fees, { makerBps: 2, takerBps: 4 });
  });

  const shapes: Array<[string, unknown, RegExp]> = [
    [
      'spot-perp with a perp long leg',
      spotPerpInput({ long: { venue: 'binance', market: 'perp' } }),
      /^long\.market: spot-perp buys spot/,
    ],
    [
      'spot-perp with a spot short leg',
      spotPerpInput({ short: { venue: 'binance', market: 'spot' } }),
      /^short\.market: spot-perp sells the perp/,
    ],
    [
      'spot-perp across two venues',
      spotPerpInput({ short: { venue: 'okx', market: 'perp' } }),
      /^short\.venue: spot-perp trades on one venue: must be binance/,
    ],
    [
      'perp-perp on one venue',
      perpPerpInput({ short: { venue: 'binance', market: 'perp' } }),
      /^short\.venue: perp-perp trades across two venues/,
    ],
    [
      'perp-perp with a spot leg',
      perpPerpInput({ long: { venue: 'binance', market: 'spot' } }),
      /^long\.market: perp-perp: must be perp/,
    ],
    [
      'an unknown venue',
      spotPerpInput({ long: { venue: 'kraken', market: 'spot' } as never }),
      /^long\.venue/,
    ],
    ['a zero size', spotPerpInput({ size: '0' }), /^size: must be above 0/],
    ['a size in exponent form', spotPerpInput({ size: '1e-3' }), /^size: must be a non-negative decimal/],
    ['leverage 21', spotPerpInput({ margin: { leverage: 21 } }), /^margin\.leverage/],
    ['leverage 0', spotPerpInput({ margin: { leverage: 0 } }), /^margin\.leverage/],
    [
      'reduce above the entry headroom',
      spotPerpInput({ margin: { minHeadroomPct: 50, reduceBelowPct: 60 } }),
      /^margin\.reduceBelowPct: must not exceed minHeadroomPct/,
    ],
    [
      'exit above reduce',
      spotPerpInput({ margin: { reduceBelowPct: 30, exitBelowPct: 40 } }),
      /^margin\.exitBelowPct: must not exceed reduceBelowPct/,
    ],
    [
      'a negative taker fee',
      spotPerpInput({ long: { venue: 'binance', market: 'spot', fees: { takerBps: -1 } } }),
      /^long\.fees\.takerBps/,
    ],
  ];
  for (const [name, input, expected] of shapes) {
    test(`refused: ${name}`, () => {
      assert.ok(
        refusal(input).some((line) => expected.test(line)),
        `${refusal(input).join('; ')} should match ${expected}`,
      );
    });
  }

  test('the entry threshold must be above the exit threshold', () => {
    for (const exitThresholdBps of [40, 50]) {
      assert.deepEqual(refusal(spotPerpInput({ entryThresholdBps: 40, exitThresholdBps })), [
        'exitThresholdBps: must be below entryThresholdBps',
      ]);
    }
  });
});

describe('arbitrage params: thresholds that can never trade', () => {
  test('round-trip fees: both legs, entry and exit, at the liquidity the policy gives each leg', () => {
    // takers: 2 × (spot 10 + perp 5) = 30; maker long leg: 2 × (spot maker 10 + perp taker 5) = 30;
    // perp-perp makers: 2 × (2 + 2) = 8; perp-perp takers: 2 × (5 + 5) = 20.
    assert.equal(roundTripFeesBps(spotPerp()), 30);
    assert.equal(roundTripFeesBps(spotPerp({ execution: { long: 'maker' } })), 30);
    assert.equal(
      roundTripFeesBps(perpPerp({ entryThresholdBps: 9, execution: { long: 'maker', short: 'maker' } })),
      8,
    );
    assert.equal(roundTripFeesBps(perpPerp()), 20);
  });

  // [case, input, refused with (or undefined when accepted)]
  const cases: Array<[string, ReturnType<typeof spotPerpInput>, RegExp | undefined]> = [
    [
      'spot-perp takers: 30 bps of fees, entry 30 is not above them',
      spotPerpInput({ entryThresholdBps: 30 }),
      /entry threshold 30 bps can never trade at a profit: it must be above the round-trip fees of 30 bps \(long spot taker 10 bps and short perp taker 5 bps, each paid on entry and on exit\)/,
    ],
    ['spot-perp takers: entry 30.5 is above 30', spotPerpInput({ entryThresholdBps: 30.5 }), undefined],
    [
      'perp-perp makers: 2 × (2 + 2) = 8 bps, entry 8 refused',
      perpPerpInput({ entryThresholdBps: 8, execution: { long: 'maker', short: 'maker' } }),
      /entry threshold 8 bps .* round-trip fees of 8 bps \(long perp maker 2 bps and short perp maker 2 bps/,
    ],
    [
      'perp-perp makers: entry 9 is above 8',
      perpPerpInput({ entryThresholdBps: 9, execution: { long: 'maker', short: 'maker' } }),
      undefined,
    ],
    [
      'a positive exit counts: 20 bps of fees + exit 5 = 25, entry 25 refused',
      perpPerpInput({ entryThresholdBps: 25, exitThresholdBps: 5 }),
      /must be above 25 bps: the round-trip fees of 20 bps .* plus the exit threshold 5 bps/,
    ],
    [
      'a positive exit counts: entry 25.01 is above 25',
      perpPerpInput({ entryThresholdBps: 25.01, exitThresholdBps: 5 }),
      undefined,
    ],
    [
      'a negative exit is not counted: fees 30 + max(-20, 0) = 30, entry 30 still refused',
      spotPerpInput({ entryThresholdBps: 30, exitThresholdBps: -20 }),
      /must be above the round-trip fees of 30 bps/,
    ],
    [
      'custom fees: 2 × (4 + 2) = 12 bps, entry 12 refused',
      spotPerpInput({
        entryThresholdBps: 12,
        long: { venue: 'binance', market: 'spot', fees: { takerBps: 4 } },
        short: { venue: 'binance', market: 'perp', fees: { takerBps: 2 } },
      }),
      /round-trip fees of 12 bps/,
    ],
    [
      'no float noise: 2 × (0.7 + 0.1) is 1.6 bps (1.5999999999999999 in binary), entry 1.6 refused',
      spotPerpInput({
        entryThresholdBps: 1.6,
        long: { venue: 'binance', market: 'spot', fees: { takerBps: 0.7 } },
        short: { venue: 'binance', market: 'perp', fees: { takerBps: 0.1 } },
      }),
      /entry threshold 1.6 bps .* round-trip fees of 1.6 bps/,
    ],
    [
      'maker rebates: 2 × (-1 + -1) = -4 bps, entry 0 over exit -10 is above it',
      perpPerpInput({
        entryThresholdBps: 0,
        exitThresholdBps: -10,
        long: { venue: 'binance', market: 'perp', fees: { makerBps: -1 } },
        short: { venue: 'bybit', market: 'perp', fees: { makerBps: -1 } },
        execution: { long: 'maker', short: 'maker' },
      }),
      undefined,
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      const parsed = ArbitrageParamsSchema.safeParse(input);
      if (expected === undefined) {
        assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
        assert.equal(thresholdsNeverTrade(parsed.data), undefined);
        return;
      }
      assert.equal(parsed.success, false);
      const lines = refusal(input);
      assert.equal(lines.length, 1, lines.join('; '));
      assert.match(lines[0] ?? '', /^entryThresholdBps: /);
      assert.match(lines[0] ?? '', expected);
    });
  }
});
