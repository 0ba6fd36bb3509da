import type { ExchangeConnector } from '../../connectors/exchange-connector';
import { createSimHttpConnector } from '../../connectors/sim/http-connector';
import { connectPool } from '../../db/pool';
import type { MarketKind } from '../../domain/venues';
import type { VenueName as SimVenueName } from '../../sim/ids';
import { startHarness } from './harness';

/**
 * A Keel worker in a process of its own, so a test can SIGKILL it mid-activity. It trades on the
 * networked simulator at KEEL_CHAOS_SIM_URL. Prints `ready` once polling.
 */
const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const pool = await connectPool(env('KEEL_CHAOS_DATABASE_URL'));
const connectors = new Map<string, ExchangeConnector>();
/** Both short (the venue's default recvWindow is 5 s), so proving an order absent (the settle window below) takes little. */
const requestTimeoutMs = 1000;
const recvWindowMs = 1000;

function connectorFor(venue: SimVenueName, market: MarketKind, account: string): ExchangeConnector {
  const key = `${venue}/${market}/${account}`;
  let connector = connectors.get(key);
  if (!connector) {
    connector = createSimHttpConnector({
      baseUrl: env('KEEL_CHAOS_SIM_URL'),
      venue,
      market,
      account,
      requestTimeoutMs,
      recvWindowMs,
    });
    connectors.set(key, connector);
  }
  return connector;
}

const harness = await startHarness({
  address: env('KEEL_CHAOS_TEMPORAL'),
  taskQueue: env('KEEL_CHAOS_TASK_QUEUE'),
  worker: {
    deps: {
      pool,
      connectors: (venue, market, account) => connectorFor(venue as SimVenueName, market, account),
      // The venue executes a request within its expiry of being sent, or never; with this window a request
      // may leave up to requestTimeoutMs after its send was claimed (later it is dropped unsent).
      settleWindowMs: (venue) =>
        connectorFor(venue as SimVenueName, 'spot', 'keel').requestExpiryMs + requestTimeoutMs,
    },
  },
});
process.on('SIGTERM', () => void harness.stop().then(() => pool.end()));
console.log('ready');
