import { join } from 'node:path';
import { createSpreadEngineActivities, universeOf } from '../../../activities/scanner-engine';
import type { MarketDataHub } from '../../../connectors/market-data-hub';
import { latestScannerSnapshotHead } from '../../../db/scanner-snapshots';
import { trackerStarter } from '../../../scanner/tracker-starter';
import type { SimExchange } from '../../../sim';
import type {
  PairDiscoveryInput,
  pairDiscoveryWorkflow,
} from '../../../workflows/scanner/discovery-workflow';
import { trackerLegs } from '../../../workflows/scanner/tracker/tracker-messages';
import type { Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';

/** Pair discovery run now, stream validation off (these tests set the books themselves); its version. */
export async function discoverNow(harness: Harness, input: PairDiscoveryInput = {}): Promise<number> {
  const result = await harness.client.workflow.execute<typeof pairDiscoveryWorkflow>(
    'pairDiscoveryWorkflow',
    {
      taskQueue: harness.taskQueue,
      workflowId: uniqueName('discovery'),
      args: [{ validation: { enabled: false }, ...input }],
    },
  );
  return result.version;
}

/**
 * A worker on a scanner queue of its own running the engine's workflow and activities over `hub`, its
 * trackers started on the harness's queue with `tracking`; not yet running.
 */
export async function createEngineWorker(
  harness: Harness,
  database: TestDatabase,
  hub: MarketDataHub,
  tracking: { intervalMs: number; horizonMs: number },
) {
  const scannerQueue = uniqueName('scanner');
  const { worker } = await harness.createWorker(
    {
      workflows: join(import.meta.dirname, '../../../workflows/scanner/engine-workflow.ts'),
      activities: createSpreadEngineActivities({
        hub,
        loadUniverse: (wanted) => universeOf(database.pool, wanted),
        latestVersion: async () => (await latestScannerSnapshotHead(database.pool))?.version,
        startTracker: trackerStarter(harness.client, { taskQueue: harness.taskQueue, tracking }),
      }),
    },
    scannerQueue,
  );
  return { worker, scannerQueue };
}

/** Best bid and ask of a direction's two legs; an empty string leaves that side of the book empty. */
export interface Tops {
  spot: readonly [string, string];
  perp: readonly [string, string];
}

/**
 * Keel's resting orders on the simulator make the tops of `direction`'s legs for `symbol`. The quiet
 * simulator's clock stands still, so it is brought to now first: the quotes carry a current venue time.
 */
export function setTops(exchange: SimExchange, symbol: string, direction: string, tops: Tops): void {
  exchange.clock.set(Date.now());
  const legs = trackerLegs(direction);
  for (const [leg, [bid, ask]] of [
    [legs.spot, tops.spot],
    [legs.perp, tops.perp],
  ] as const) {
    const market = exchange.market(leg.venue, leg.market);
    market.cancelAll('keel', symbol);
    for (const [side, price] of [
      ['buy', bid],
      ['sell', ask],
    ] as const)
      if (price) market.placeOrder({ account: 'keel', symbol, side, type: 'limit', price, quantity: '1' });
  }
}
