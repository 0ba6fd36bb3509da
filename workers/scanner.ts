import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createSpreadEngineActivities, universeOf } from '../activities/scanner-engine';
import { createScannerTrackingActivities } from '../activities/scanner-tracking';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import { MarketDataHub } from '../connectors/market-data-hub';
import { latestScannerSnapshotHead } from '../db/scanner-snapshots';
import {
  DiscoveryAlreadyRunningError,
  ensureDiscoverySchedule,
  runDiscoveryNow,
} from '../scanner/discovery-schedule';
import { trackerStarter } from '../scanner/tracker-starter';
import {
  SCANNER_TASK_QUEUE,
  SPREAD_ENGINE_WORKFLOW_ID,
  type spreadEngineWorkflow,
} from '../workflows/scanner/engine-workflow';
import { workerDataConverter } from './worker';

/** Activity slots of the scanner's worker: the engine plus this many trackers sampling at once. */
export const SCANNER_ACTIVITY_SLOTS = 500;

export interface ScannerOptions {
  client: Client;
  connection: NativeConnection;
  namespace: string;
  /** Keel's main task queue: discovery and the trackers run there. */
  taskQueue: string;
  pool: Pool;
  connectors: ConnectorFactory;
  /** The account quotes and instruments are read with. */
  account: string;
  /** How often discovery runs (`6h`). */
  discoveryEvery: string;
  /** The payload codec of every other worker (KEEL_CODEC_KEYS), if any. */
  payloadCodec?: PayloadCodec | undefined;
}

/**
 * The spread scanner in `npm start` (KEEL_SCANNER=on): a worker on the scanner's task queue for the
 * engine's activity, discovery's schedule (and a run now when no snapshot exists yet), and the engine's
 * workflow, started once (an existing one is kept). Returns how to stop its worker.
 */
export async function startScanner(options: ScannerOptions) {
  const { client, taskQueue, pool } = options;
  const hub = new MarketDataHub({
    connectorFor: (source) => options.connectors(source.venue, source.market, options.account),
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: SCANNER_TASK_QUEUE,
    dataConverter: workerDataConverter(options.payloadCodec),
    // The engine and every tracker's sampling each hold a slot for hours: room for hundreds of trackers
    // (bench/scanner-trackers.ts: 200 at 200 ms), apart from the main worker's slots.
    maxConcurrentActivityTaskExecutions: SCANNER_ACTIVITY_SLOTS,
    activities: {
      ...createSpreadEngineActivities({
        hub,
        loadUniverse: (version) => universeOf(pool, version),
        latestVersion: async () => (await latestScannerSnapshotHead(pool))?.version,
        quoteRepublishMs: (source) => {
          // A source this Keel cannot reach has no habit to read; its feed reports the failure itself.
          try {
            return options.connectors(source.venue, source.market, options.account).capabilities
              .quoteRepublishMs;
          } catch {
            return undefined;
          }
        },
        startTracker: trackerStarter(client, {
          taskQueue,
          account: options.account,
          samplingTaskQueue: SCANNER_TASK_QUEUE,
        }),
      }),
      ...createScannerTrackingActivities({ pool, connectors: options.connectors }),
    },
  });
  const running = worker.run();

  const settings = { account: options.account };
  await ensureDiscoverySchedule(client, { taskQueue, every: options.discoveryEvery, settings });
  await client.workflow.start<typeof spreadEngineWorkflow>('spreadEngineWorkflow', {
    workflowId: SPREAD_ENGINE_WORKFLOW_ID,
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{}],
  });
  // The engine waits for a snapshot; discovery signals it once one is saved.
  if (!(await latestScannerSnapshotHead(pool)))
    await runDiscoveryNow(client, { taskQueue, settings }).catch((error: unknown) => {
      if (!(error instanceof DiscoveryAlreadyRunningError)) throw error;
    });

  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
