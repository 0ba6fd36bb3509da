import { arbitrageStrategy } from './arbitrage/arbitrage-strategy';
import { gridStrategy } from './grid/grid-strategy';
import { idleStrategy } from './idle/idle-strategy';
import { manualStrategy } from './manual/manual-strategy';
import { quoteStrategy } from './quote/quote-strategy';
import { signalStrategy } from './signal/signal-strategy';
import type { StrategyDefinition } from './strategy-types';

/**
 * The strategy plug-in seam: name → definition. Grid, arbitrage and spread tracking register here; the
 * symbol workflow looks strategies up by the name in its configuration and drives them through their hooks.
 */
export const strategyRegistry: Readonly<Record<string, StrategyDefinition<unknown>>> = {
  [arbitrageStrategy.name]: arbitrageStrategy,
  [gridStrategy.name]: gridStrategy,
  [quoteStrategy.name]: quoteStrategy,
  [idleStrategy.name]: idleStrategy,
  [manualStrategy.name]: manualStrategy,
  [signalStrategy.name]: signalStrategy,
};

export function findStrategy(name: string): StrategyDefinition<unknown> | undefined {
  return Object.prototype.hasOwnProperty.call(strategyRegistry, name) ? strategyRegistry[name] : undefined;
}
