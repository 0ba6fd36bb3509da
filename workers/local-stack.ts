import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ConnectorFactory } from '../connectors/exchange-connector';
import { openDatabase, type Database } from '../db/database';
import { obtainBinary, temporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { findFreePort } from '../temporal/port-check';
import { bundleWorkflows, createKeelWorker } from './worker';

export interface LocalStack {
  client: Client;
  database: Database;
  /** Stops the worker, then the connections, PostgreSQL and the dev server, and removes the directory. */
  stop(): Promise<void>;
}

/**
 * A throwaway Keel for benchmarks and scripts: a file-backed dev server and PostgreSQL (DATABASE_URL, else
 * an embedded one) in a temporary directory, and one worker on `taskQueue` trading through `connectors`.
 */
export async function startLocalStack(options: {
  name: string;
  taskQueue: string;
  connectors: ConnectorFactory;
  dynamicConfig?: Record<string, unknown>;
  maxCachedWorkflows?: number;
  /** False: watches poll the venue even where the account has a private order stream. */
  orderStreams?: boolean;
}): Promise<LocalStack> {
  const dir = mkdtempSync(join(tmpdir(), `keel-${options.name}-`));
  chmodSync(dir, 0o755); // an embedded PostgreSQL runs as user postgres and must reach its data dir
  const server = await startDevServer({
    binary: await obtainBinary(temporalCli),
    grpcPort: await findFreePort(),
    uiPort: 0,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    ...(options.dynamicConfig ? { dynamicConfig: options.dynamicConfig } : {}),
  });
  const database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: dir,
    embeddedPort: await findFreePort(),
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createKeelWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: options.taskQueue,
    // The in-process simulator: a call is over when it returns, so absence is proven at once.
    deps: {
      pool: database.pool,
      connectors: options.connectors,
      settleWindowMs: () => 0,
      ...(options.orderStreams === false && { orderFeeds: false as const }),
    },
    workflowBundle: await bundleWorkflows(),
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  return {
    client: new Client({ connection, namespace: 'default' }),
    database,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      await database.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
