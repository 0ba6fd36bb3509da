import { ConnectorError, type ExchangeConnector } from '../connectors/exchange-connector';
import { createSimConnector, type SimVenueName } from '../connectors/sim-connector';
import { SimExchange, type SimExchangeOptions } from '../connectors/sim';
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
