import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { StartupError } from '../config/startup-error';
import { isPortFree } from './port-check';
import { keelSearchAttributes } from './search-attributes';
import { defaultSqlitePragmas, sqlitePragmaFlags } from './sqlite-pragmas';

export interface DevServerOptions {
  binary: string;
  grpcPort: number;
  uiPort: number;
  /** Persistent store; without it the server keeps everything in memory. */
  dbFile?: string;
  /** Where the server's own log goes (it is chatty and not Keel's). */
  logFile: string;
  namespace?: string;
  sqlitePragmas?: Record<string, string>;
  headless?: boolean;
  readyTimeoutMs?: number;
  /** `--dynamic-config-value` settings (values are JSON). */
  dynamicConfig?: Record<string, unknown>;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  pid: number;
  /** Graceful stop: SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
  /** Crash on purpose (tests of durability). */
  kill(): Promise<void>;
}

const host = '127.0.0.1';

/**
 * Dynamic config Keel's dev server starts with. Eager activity execution hands an activity scheduled by a
 * workflow task straight back to the worker that completed it, skipping a matching round trip: it cut
 * the fill → replacement-order overhead from 149 ms to 48 ms (bench/grid-latency.ts, docs/temporal.md).
 */
export const defaultDynamicConfig: Record<string, unknown> = {
  'system.enableActivityEagerExecution': true,
};

async function assertPortFree(port: number, what: string, setting: string): Promise<void> {
  if (!(await isPortFree(port, host))) {
    throw new StartupError(
      `port ${port} (${what}) is already in use: stop what holds it, set ${setting} to a free port, ` +
        `or set TEMPORAL_ADDRESS to use a Temporal server that is already running.`,
    );
  }
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-count).join(' | ');
  } catch {
    return '';
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Polls the frontend until it serves the namespace, or the process dies, or time runs out. */
async function waitUntilServing(
  address: string,
  namespace: string,
  child: ChildProcess,
  options: DevServerOptions,
): Promise<void> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new StartupError(
        `the Temporal dev server exited at start (code ${child.exitCode ?? child.signalCode}): ` +
          `${lastLines(options.logFile, 3) || 'no output'} (log: ${options.logFile})`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new StartupError(
    `the Temporal dev server did not answer on ${address} within ${options.readyTimeoutMs ?? 60_000} ms ` +
      `(${lastError instanceof Error ? lastError.message : String(lastError)}; log: ${options.logFile})`,
  );
}

export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.grpcPort)];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    args.push(
      '--db-filename',
      options.dbFile,
      ...sqlitePragmaFlags(options.sqlitePragmas ?? defaultSqlitePragmas),
    );
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const [key, value] of Object.entries({ ...defaultDynamicConfig, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const [name, type] of Object.entries(keelSearchAttributes)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  args.push('--log-format', 'json', '--log-level', 'warn');
  return args;
}

/** Starts `temporal server start-dev` and resolves once it serves requests. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await assertPortFree(options.grpcPort, 'Temporal gRPC', 'TEMPORAL_GRPC_PORT');
  if (!options.headless) await assertPortFree(options.uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
  if (options.dbFile) mkdirSync(dirname(options.dbFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });

  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const child = spawn(options.binary, devServerArgs(options), { stdio: ['ignore', log, log] });
  const address = `${host}:${options.grpcPort}`;
  const stopWith = async (signal: NodeJS.Signals) => {
    if (!(child.exitCode === null && child.signalCode === null)) return;
    child.kill(signal);
    if (!(await waitForExit(child, 15_000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
    log.end();
  };
  try {
    await waitUntilServing(address, options.namespace ?? 'default', child, options);
  } catch (error) {
    await stopWith('SIGKILL');
    throw error;
  }
  return {
    address,
    uiUrl: options.headless ? undefined : `http://${host}:${options.uiPort}`,
    pid: child.pid ?? -1,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}
