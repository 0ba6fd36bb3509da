import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { StartupError } from '../../config/startup-error';
import { findFreePort, isPortFree } from '../port-check';
import type { ServicePorts } from './settings';

export interface ServerProcessOptions {
  binary: string;
  configFile: string;
  logFile: string;
  host: string;
  ports: ServicePorts;
  readyTimeoutMs?: number;
}

/** A running server process; the same shape as the dev server's handle (temporal/dev-server.ts). */
export interface ServerProcess {
  address: string;
  pid: number;
  /** Graceful stop: SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
  /** Crash on purpose (tests of durability). */
  kill(): Promise<void>;
  /** Resolves when the process has exited, however. */
  exited: Promise<void>;
}

/**
 * Membership ports go into the `cluster_membership` table, whose `rpc_port` column is a SMALLINT on
 * PostgreSQL: a port above 32767 stops the server at start ("value … is out of range for type smallint").
 */
export const MAX_MEMBERSHIP_PORT = 32767;

/** A port free right now in 20000..32767, below Linux's ephemeral range and within the membership limit. */
async function findFreeLowPort(host: string, taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20000 + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT - 20000 + 1));
    if (!taken.has(port) && (await isPortFree(port, host))) return port;
  }
  throw new StartupError(`no free port between 20000 and ${MAX_MEMBERSHIP_PORT} on ${host}`);
}

/**
 * Distinct ports free right now: gRPC and HTTP ports anywhere, membership ports at most 32767;
 * `frontendGrpc` is kept when given (the one clients were told).
 */
export async function findFreeServicePorts(host: string, frontendGrpc?: number): Promise<ServicePorts> {
  const taken = new Set<number>(frontendGrpc ? [frontendGrpc] : []);
  const any = async () => {
    let port = await findFreePort(host);
    while (taken.has(port)) port = await findFreePort(host);
    taken.add(port);
    return port;
  };
  const low = async () => {
    const port = await findFreeLowPort(host, taken);
    taken.add(port);
    return port;
  };
  return {
    frontendGrpc: frontendGrpc ?? (await any()),
    frontendHttp: await any(),
    historyGrpc: await any(),
    matchingGrpc: await any(),
    workerGrpc: await any(),
    frontendMembership: await low(),
    historyMembership: await low(),
    matchingMembership: await low(),
    workerMembership: await low(),
  };
}

/** `server --config-file … --allow-no-auth start`; `--allow-no-auth` states what the config does anyway. */
export function serverArgs(configFile: string): string[] {
  return ['--config-file', configFile, '--allow-no-auth', 'start'];
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

async function assertPortsFree(host: string, ports: ServicePorts): Promise<void> {
  for (const [name, port] of Object.entries(ports as unknown as Record<string, number>)) {
    if (!(await isPortFree(port, host))) {
      throw new StartupError(
        `port ${port} (Temporal server ${name}) on ${host} is already in use: stop what holds it, or set ` +
          `TEMPORAL_SERVER_GRPC_PORT / TEMPORAL_SERVER_INTERNAL_PORTS to free ports.`,
      );
    }
  }
}

/** Polls the frontend's GetSystemInfo until it answers, the process dies, or time runs out. */
async function waitUntilAnswering(
  address: string,
  child: ChildProcess,
  options: ServerProcessOptions,
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new StartupError(
        `the Temporal server exited at start (code ${child.exitCode ?? child.signalCode}): ` +
          `${lastLines(options.logFile, 3) || 'no output'} (log: ${options.logFile})`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
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
    `the Temporal server did not answer on ${address} within ${timeoutMs} ms ` +
      `(${lastError instanceof Error ? lastError.message : String(lastError)}; log: ${options.logFile})`,
  );
}

/** Starts the server with its config file and resolves once the frontend answers. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  await assertPortsFree(options.host, options.ports);
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const child = spawn(options.binary, serverArgs(options.configFile), { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `${options.host}:${options.ports.frontendGrpc}`;
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      if (!(await waitForExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    log.end();
  };
  try {
    await waitUntilAnswering(address, child, options);
  } catch (error) {
    await stopWith('SIGKILL');
    throw error;
  }
  return {
    address,
    pid: child.pid ?? -1,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    exited,
  };
}
