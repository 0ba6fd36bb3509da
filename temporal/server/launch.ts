import { Connection } from '@temporalio/client';
import type { ServerBinaries } from './binaries';
import { writeServerConfig, type ConfigFiles } from './config-file';
import { prepareNamespace, type NamespaceSetup } from './namespace';
import { startServerProcess, type ServerProcess } from './process';
import { setupSchemas, type SchemaSetupResult } from './schema';
import type { TemporalServerSettings } from './settings';

export interface LaunchOptions {
  binaries: ServerBinaries;
  /** Drop and recreate both databases first. */
  fresh?: boolean;
  /** Skip the (idempotent) schema step, e.g. when restarting a server that just ran. */
  skipSchema?: boolean;
  readyTimeoutMs?: number;
  /** Wait for the services' namespace caches after registering (default true; see prepareNamespace). */
  settle?: boolean;
}

export interface LaunchedServer extends ServerProcess {
  files: ConfigFiles;
  schema: SchemaSetupResult | undefined;
  namespace: NamespaceSetup;
  /** Milliseconds per step. */
  timings: { schemaMs: number; startMs: number; namespaceMs: number };
}

/**
 * The PostgreSQL-backed Temporal server, ready for Keel: schemas set up, config written, the process
 * started and answering, the namespace and Keel's search attributes registered.
 */
export async function launchTemporalServer(
  settings: TemporalServerSettings,
  options: LaunchOptions,
): Promise<LaunchedServer> {
  let mark = Date.now();
  const lap = () => {
    const now = Date.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  const schema = options.skipSchema
    ? undefined
    : await setupSchemas(options.binaries.sqlTool, settings.postgres, { fresh: options.fresh ?? false });
  const schemaMs = lap();
  const files = writeServerConfig(settings);
  const server = await startServerProcess({
    binary: options.binaries.server,
    configFile: files.configFile,
    logFile: files.logFile,
    host: settings.host,
    ports: settings.ports,
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  const startMs = lap();
  try {
    const connection = await Connection.connect({ address: server.address, connectTimeout: 5000 });
    try {
      const namespace = await prepareNamespace(connection, settings.namespace, settings.retentionHours, {
        settle: options.settle ?? true,
      });
      return { ...server, files, schema, namespace, timings: { schemaMs, startMs, namespaceMs: lap() } };
    } finally {
      await connection.close();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
}
