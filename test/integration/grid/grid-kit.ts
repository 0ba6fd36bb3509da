import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { OrchestratorRef } from '../../../api/orchestrator';
import type { ConnectorFactory } from '../../../connectors/exchange-connector';
import type { MarketKind } from '../../../domain/venues';
import type { SimExchange } from '../../../sim/exchange';
import type { GridParamsInput } from '../../../workflows/strategies/grid/grid-params';
import { authHeader, startHarness } from '../../support/harness';

/**
 * What the grid's integration tests share: a long grid on levels 90, 95, 100, 105, 110 trading Keel's
 * simulated account, the harness it runs on, and Keel's resting orders as the venue shows them.
 */
export const gridParams = (overrides: Partial<GridParamsInput> = {}): GridParamsInput => ({
  mode: 'long',
  lowerPrice: '90',
  upperPrice: '110',
  levels: 5,
  orderSize: { unit: 'base', amount: '1' },
  maxInventory: '10',
  pollMs: 100,
  watchMs: 2000,
  ...overrides,
});

/** A symbol running one grid on binance `market`, account `keel`. */
export const gridConfig = (market: MarketKind, params: GridParamsInput) => ({
  venues: [{ venue: 'binance' as const, market, account: 'keel' }],
  strategies: [{ name: 'grid', params }],
});

/** A database of the file's own, a worker trading through `connectors`, and the control API with a root. */
export const startGridHarness = (
  database: string,
  connectors: ConnectorFactory,
  orchestrator: OrchestratorRef,
) =>
  startHarness({
    database,
    // In-process simulator: a call is over when it returns, so absence is proven at once.
    worker: { deps: { connectors, settleWindowMs: () => 0 } },
    orchestrator,
  });

type SimMarket = ReturnType<SimExchange['market']>;

/** Keel's resting orders on a simulator market, as `side price`, sorted. */
export const resting = (market: SimMarket, symbol: string): string[] =>
  market
    .openOrders('keel', symbol)
    .map((order) => `${order.side} ${Number(order.price)}`)
    .sort();

/** A check for waitFor: Keel's resting orders are exactly `expected` (in any order). */
export const restingAre = (market: SimMarket, symbol: string, expected: string[]) => () =>
  JSON.stringify(resting(market, symbol)) === JSON.stringify([...expected].sort());

/** Adds `symbol` through the control API, as an operator would. */
export async function addThroughApi(
  app: FastifyInstance,
  symbol: string,
  config: ReturnType<typeof gridConfig>,
) {
  const added = await app.inject({
    method: 'POST',
    url: '/symbols',
    headers: authHeader,
    payload: { symbol, config },
  });
  assert.equal(added.statusCode, 201, added.body);
}
