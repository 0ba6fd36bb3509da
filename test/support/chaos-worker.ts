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
const requestTimeoutMs = 2000;
const harness = await startHarness({
  address: env('KEEL_CHAOS_TEMPORAL'),
  taskQueue: env('KEEL_CHAOS_TASK_QUEUE'),
  worker: {
    deps: {
      pool,
      connectors: (venue, market: MarketKind, account) => {
        const key = `${venue}/${market}/${account}`;
        let connector = connectors.get(key);
        if (!connector) {
          connector = createSimHttpConnector({
            baseUrl: env('KEEL_CHAOS_SIM_URL'),
            venue: venue as SimVenueName,
            market,
            account,
            requestTimeoutMs,
          });
          connectors.set(key, connector);
        }
        return connector;
      },
      // A request may arrive up to its timeout after it was sent: only then does absence prove anything.
      settleWindowMs: () => requestTimeoutMs + 1000,
    },
  },
});
process.on('SIGTERM', () => void harness.stop().then(() => pool.end()));
console.log('ready');
