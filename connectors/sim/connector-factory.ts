import type { SimExchange } from '../../sim';
import { VENUE_NAMES, type VenueName } from '../../sim/ids';
import { ConnectorError, type ConnectorFactory, type ExchangeConnector } from '../exchange-connector';
import { createSimConnector } from './in-process-connector';

const isSimVenue = (venue: string): venue is VenueName => (VENUE_NAMES as readonly string[]).includes(venue);

/** Connectors onto one in-process simulated exchange, one per venue market and account, built once. */
export function simConnectorFactory(exchange: SimExchange): ConnectorFactory {
  const cache = new Map<string, ExchangeConnector>();
  return (venue, market, account) => {
    if (!isSimVenue(venue))
      throw new ConnectorError(
        'unknown-symbol',
        `the simulator has no venue ${venue} (it has ${VENUE_NAMES.join(', ')})`,
      );
    const key = `${venue}/${market}/${account}`;
    let connector = cache.get(key);
    if (!connector) {
      connector = createSimConnector({ exchange, venue, market, account });
      cache.set(key, connector);
    }
    return connector;
  };
}
