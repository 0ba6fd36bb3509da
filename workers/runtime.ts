import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * Installs the Temporal runtime of this process (before any worker or connection exists): the SDK logs
 * at `level` and above, to the console or to `log`; with `metricsAddress` (`host:port`) the SDK's own
 * worker and client metrics are served for Prometheus at `http://<metricsAddress>/metrics`. It reacts to
 * no signal, because Keel stops its own parts in order (API, worker, connections, database, server).
 */
export function installRuntime(
  level: LogLevel,
  log?: (entry: LogEntry) => void,
  metricsAddress?: string,
): void {
  Runtime.install({
    logger: new DefaultLogger(level, log),
    shutdownSignals: [],
    ...(metricsAddress && {
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } },
      },
    }),
  });
}
