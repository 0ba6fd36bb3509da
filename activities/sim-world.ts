import { ConnectorError, type ExchangeConnector } from '../connectors/exchange-connector';
import { SimExchange, VENUE_NAMES, defaultVenueConfig, type SimExchangeOptions } from '../connectors/sim';
import type { VenueName as SimVenueName } from '../connectors/sim/ids';
import { createSimConnector } from '../connectors/sim-connector';
import type { ConnectorFactory } from './market-snapshot';

const SIM_VENUES: readonly string[] = ['binance', 'bybit', 'okx', 'mexc'];

/** Connectors onto one in-process simulated exchange, one per venue market and account, built once. */
export function simConnectorFactory(exchange: SimExchange): ConnectorFactory {
  const cache = new Map<string, ExchangeConnector>();
  return (venue, market, account) => {
    if (!SIM_VENUES.includes(venue))
      throw new ConnectorError(
        'unknown-symbol',
        `the simulator has no venue ${venue} (it has ${SIM_VENUES.join(', ')})`,
      );
    const key = `${venue}/${market}/${account}`;
    let connector = cache.get(key);
    if (!connector) {
      connector = createSimConnector({ exchange, venue: venue as SimVenueName, market, account });
      cache.set(key, connector);
    }
    return connector;
  };
}

/** Credits `account` on every sim venue: quote and base assets of every listed symbol, and perp margin. */
export function fundSimAccount(exchange: SimExchange, account: string, amount = '1000000000'): void {
  for (const venue of exchange.venues.values()) {
    const assets = new Set<string>();
    for (const instrument of venue.spot.instruments()) {
      assets.add(instrument.base);
      assets.add(instrument.quote);
    }
    for (const asset of assets) venue.deposit('spot', account, asset, amount);
    venue.deposit('perp', account, 'USDT', amount);
  }
}

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
  fundSimAccount(exchange, options.account ?? 'keel');
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    exchange.step(Math.max(0, now - last));
    last = now;
  }, options.tickMs ?? 100);
  timer.unref();
  return { exchange, connectors: simConnectorFactory(exchange), stop: () => clearInterval(timer) };
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
  fundSimAccount(exchange, account);
  return { exchange, connectors: simConnectorFactory(exchange) };
}

/**
 * Another participant crossing the book with an IOC limit order from account `taker`: how tests, benches
 * and scripts make Keel's resting orders fill.
 */
export function takerOrder(
  market: ReturnType<SimExchange['market']>,
  order: { symbol: string; side: 'buy' | 'sell'; price: string; quantity?: string },
) {
  return market.placeOrder({ account: 'taker', type: 'limit', quantity: '1', timeInForce: 'IOC', ...order });
}
