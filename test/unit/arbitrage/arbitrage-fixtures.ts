import {
  ArbitrageParamsSchema,
  type ArbitrageParamsInput,
} from '../../../workflows/strategies/arbitrage/arbitrage-params';

/**
 * Spot-perp on binance, 1 BTC, entry 40 bps, exit 0, default fees (spot taker 10, perp taker 5: round trip
 * 2 × (10 + 5) = 30 bps), horizon 8 h, priced at the touch unless overridden.
 */
export const spotPerpInput = (overrides: Partial<ArbitrageParamsInput> = {}): ArbitrageParamsInput => ({
  kind: 'spot-perp',
  long: { venue: 'binance', market: 'spot' },
  short: { venue: 'binance', market: 'perp' },
  size: '1',
  entryThresholdBps: 40,
  exitThresholdBps: 0,
  priceSource: 'touch',
  ...overrides,
});

/** Perp-perp, long binance, short bybit, entry 30, exit 0: round trip 2 × (5 + 5) = 20 bps. */
export const perpPerpInput = (overrides: Partial<ArbitrageParamsInput> = {}): ArbitrageParamsInput => ({
  kind: 'perp-perp',
  long: { venue: 'binance', market: 'perp' },
  short: { venue: 'bybit', market: 'perp' },
  size: '1',
  entryThresholdBps: 30,
  exitThresholdBps: 0,
  priceSource: 'touch',
  ...overrides,
});

export const spotPerp = (overrides: Partial<ArbitrageParamsInput> = {}) =>
  ArbitrageParamsSchema.parse(spotPerpInput(overrides));

export const perpPerp = (overrides: Partial<ArbitrageParamsInput> = {}) =>
  ArbitrageParamsSchema.parse(perpPerpInput(overrides));

/** Every issue of a refused input, as `path: message` lines. */
export function refusal(input: unknown): string[] {
  const parsed = ArbitrageParamsSchema.safeParse(input);
  if (parsed.success) throw new Error('expected the params to be refused');
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}
