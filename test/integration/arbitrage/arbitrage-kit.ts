import type { SimExchange } from '../../../sim';
import type { ArbitrageParamsInput } from '../../../workflows/strategies/arbitrage/arbitrage-params';

/**
 * The arbitrage tests' setup: a perp-perp long on binance and short on bybit, 2 units, entering at 30 bps
 * and exiting at 5 bps at the touch, the long leg first, polled every 200 ms.
 */
export const perpPerpParams = (overrides: Partial<ArbitrageParamsInput> = {}): ArbitrageParamsInput => ({
  kind: 'perp-perp',
  long: { venue: 'binance', market: 'perp' },
  // The simulator's taker fees: binance perp 500 ppm, bybit perp 550 ppm.
  short: { venue: 'bybit', market: 'perp', fees: { takerBps: 5.5 } },
  size: '2',
  entryThresholdBps: 30,
  exitThresholdBps: 5,
  fundingHorizonHours: 0,
  priceSource: 'touch',
  execution: { firstLeg: 'long' },
  pollIntervalMs: 200,
  ...overrides,
});

/** The market maker (account `mm`, funded by the caller) quotes one book, replacing what it showed. */
export function quoteBook(
  market: ReturnType<SimExchange['market']>,
  symbol: string,
  bid: string,
  ask: string,
  bidSize = '10',
): void {
  market.cancelAll('mm', symbol);
  market.placeOrder({ account: 'mm', symbol, side: 'buy', type: 'limit', price: bid, quantity: bidSize });
  market.placeOrder({ account: 'mm', symbol, side: 'sell', type: 'limit', price: ask, quantity: '10' });
}
