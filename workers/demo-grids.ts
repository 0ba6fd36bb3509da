import { setTimeout as sleep } from 'node:timers/promises';
import type { OrchestratorControl } from '../api/orchestrator';
import type { SimExchange } from '../sim';
import type { GridParamsInput } from '../workflows/strategies/grid/grid-params';
import type { SymbolConfigInput } from '../workflows/symbol/symbol-config';

const VENUE = 'binance' as const;

/** The simulator's mid for `symbol`, once its liquidity bots have filled both sides of the book. */
async function simulatorMid(
  exchange: SimExchange,
  symbol: string,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const top = exchange.market(VENUE, 'spot').top(symbol);
    if (top.bidPrice && top.askPrice) return (Number(top.bidPrice) + Number(top.askPrice)) / 2;
    await sleep(200);
  }
  return undefined;
}

/** A neutral grid ±2 % around `mid`: 11 levels (0.4 % apart), 200 USDT an order, at most ~5 orders' worth held. */
export function demoGridConfig(mid: number): SymbolConfigInput {
  const params: GridParamsInput = {
    mode: 'neutral',
    lowerPrice: (mid * 0.98).toFixed(2),
    upperPrice: (mid * 1.02).toFixed(2),
    levels: 11,
    spacing: 'arithmetic',
    orderSize: { unit: 'quote', amount: '200' },
    maxInventory: ((200 * 5) / mid).toFixed(6),
    outOfRange: 'keep',
  };
  return {
    venues: [{ venue: VENUE, market: 'spot', account: 'keel' }],
    strategies: [
      {
        name: 'grid',
        params,
      },
    ],
  };
}

/**
 * `npm start`'s demonstration: a grid on each of `symbols` against the simulator, registered through the
 * orchestrator like any operator's symbol. A symbol already registered (an earlier start) is left as it is.
 */
export async function ensureDemoGrids(
  control: OrchestratorControl,
  exchange: SimExchange,
  symbols: string[],
): Promise<string[]> {
  const started: string[] = [];
  for (const symbol of symbols) {
    if (await control.registered(symbol)) {
      started.push(`${symbol} (already running)`);
      continue;
    }
    const mid = await simulatorMid(exchange, symbol);
    if (mid === undefined) {
      console.warn(`[keel] demo grid for ${symbol} skipped: the simulator lists no two-sided book for it`);
      continue;
    }
    await control.addSymbol(symbol, demoGridConfig(mid));
    started.push(symbol);
  }
  return started;
}
