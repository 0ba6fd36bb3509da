import type { ConnectorFactory } from '../connectors/exchange-connector';
import { simConnectorFactory } from '../connectors/sim/connector-factory';
import type { Side } from '../domain/trading';
import { SimExchange, VENUE_NAMES, defaultVenueConfig, runInRealTime, type SimExchangeOptions } from '../sim';

export interface LocalSimWorld {
  exchange: SimExchange;
  connectors: ConnectorFactory;
  stop(): void;
}

/**
 * `npm start`'s exchange: the simulator in-process with its synthetic market and bots, its clock stepped
 * by a real-time timer, and Keel's default account funded.
 */
export function startLocalSimWorld(
  options: SimExchangeOptions & { account?: string; tickMs?: number } = {},
): LocalSimWorld {
  const exchange = new SimExchange({ synthetic: true, startTime: Date.now(), ...options });
  exchange.fundAccount(options.account ?? 'keel');
  const stop = runInRealTime(exchange, options.tickMs);
  return { exchange, connectors: simConnectorFactory(exchange), stop };
}

/**
 * An in-process simulated exchange listing `symbols` on every venue (spot: tick 0.01, lot 0.001, min
 * notional 5; perp alike), with account `keel` funded. Quiet market: books hold only our orders.
 */
export function createSimWorld(symbols: string[], account = 'keel') {
  const spec = { tickSize: '0.01', lotSize: '0.001', minQty: '0.001', maxQty: '1000000', minNotional: '5' };
  const venues = VENUE_NAMES.map((name) => {
    const config = defaultVenueConfig(name);
    return {
      ...config,
      spot: { ...config.spot, instruments: symbols.map((symbol) => ({ symbol, ...spec })) },
      perp: {
        ...config.perp,
        instruments: symbols.map((symbol) => ({
          symbol,
          ...spec,
          maintenanceMarginPpm: 5000,
          maxLeverage: 50,
        })),
      },
    };
  });
  const exchange = new SimExchange({ venues });
  exchange.fundAccount(account);
  return { exchange, connectors: simConnectorFactory(exchange) };
}

/**
 * Another participant crossing the book with an IOC limit order from account `taker`: how tests, benches
 * and scripts make Keel's resting orders fill.
 */
export function takerOrder(
  market: ReturnType<SimExchange['market']>,
  order: { symbol: string; side: Side; price: string; quantity?: string },
) {
  return market.placeOrder({ account: 'taker', type: 'limit', quantity: '1', timeInForce: 'IOC', ...order });
}
