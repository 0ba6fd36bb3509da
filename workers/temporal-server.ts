import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { KeelConfig } from '../config/keel-config';
import { StartupError } from '../config/startup-error';
import { obtainBinary, temporalCli, defaultCacheBinDir } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';

export interface TemporalServer {
  address: string;
  uiUrl: string | undefined;
  /** Stops the dev server if Keel started it; a server given by TEMPORAL_ADDRESS is left running. */
  stop(): Promise<void>;
}

/** The server at TEMPORAL_ADDRESS, or a dev server Keel starts with its state under the data dir. */
export async function provideTemporalServer(config: KeelConfig): Promise<TemporalServer> {
  if (config.TEMPORAL_ADDRESS) {
    const connection = await Connection.connect({
      address: config.TEMPORAL_ADDRESS,
      connectTimeout: 5000,
    }).catch((error: unknown) => {
      throw new StartupError(
        `cannot reach Temporal at TEMPORAL_ADDRESS=${config.TEMPORAL_ADDRESS}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    try {
      await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    } finally {
      await connection.close();
    }
    return { address: config.TEMPORAL_ADDRESS, uiUrl: undefined, stop: async () => undefined };
  }
  const binary = await obtainBinary(temporalCli, {
    env: { ...process.env, ...(config.TEMPORAL_CLI ? { TEMPORAL_CLI: config.TEMPORAL_CLI } : {}) },
    cacheBinDir: defaultCacheBinDir(),
  });
  const server = await startDevServer({
    binary,
    grpcPort: config.TEMPORAL_GRPC_PORT,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFile: join(config.dataDir, 'temporal', 'dev-server.db'),
    logFile: join(config.dataDir, 'logs', 'temporal-dev-server.log'),
    namespace: config.TEMPORAL_NAMESPACE,
  });
  return { address: server.address, uiUrl: server.uiUrl, stop: () => server.stop() };
}
