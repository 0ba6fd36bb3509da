import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import type { ActivityDependencies } from '../../activities';
export { createSimWorld } from '../../workers/sim-world';
import { buildApp } from '../../api/app';
import { ensureOrchestrator, type OrchestratorRef } from '../../api/orchestrator';
import { createKeelWorker } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testEnvironment, uniqueName } from './test-env';

/** Every log line the SDK (and workflow `log.*`) emitted at WARN or above in this test process. */
export const capturedLogs: LogEntry[] = [];

let installed = false;
/** Installs the Temporal runtime once per test process, with a logger tests can read. */
export function installCapturingRuntime(): void {
  if (installed) return;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      capturedLogs.push(entry);
    }),
    shutdownSignals: [],
  });
  installed = true;
}

export interface OrchestratorWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** A real worker on a given task queue (so a restarted worker picks up where the last one stopped). */
export async function startWorkerOn(options: {
  address: string;
  taskQueue: string;
  deps: ActivityDependencies;
}): Promise<OrchestratorWorker> {
  installCapturingRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await createKeelWorker({
    connection,
    namespace: 'default',
    taskQueue: options.taskQueue,
    deps: options.deps,
    workflowBundle: { code: readFileSync(testEnvironment().workflowBundlePath, 'utf8') },
  });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export async function connectClient(address: string): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

export const TEST_API_TOKEN = 'test-token-' + 'x'.repeat(24);

/** A root of its own for one test: distinct workflow id and child id prefix on the shared server. */
export function testOrchestratorRef(
  name: string,
  input: { shardCount?: number; shardMaxHistoryEvents?: number; maxHistoryEvents?: number } = {},
): OrchestratorRef {
  const id = uniqueName(name).replace(/_/g, '-');
  return { workflowId: `${id}-orchestrator`, input: { ...input, idPrefix: `${id}-` } };
}

/** The control API wired to `ref`, with the root started idempotently as `workers/main.ts` does. */
export async function startOrchestratorApi(options: {
  client: Client;
  pool: Pool;
  taskQueue: string;
  ref: OrchestratorRef;
}): Promise<FastifyInstance> {
  await ensureOrchestrator(options.client, options.taskQueue, options.ref);
  return buildApp({
    temporal: options.client,
    pool: options.pool,
    taskQueue: options.taskQueue,
    orchestrator: options.ref,
    apiToken: TEST_API_TOKEN,
  });
}

export const authHeader = { authorization: `Bearer ${TEST_API_TOKEN}` };

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
  );
}

/** Executions (every run) whose workflow id starts with `prefix`, from visibility. */
export async function listExecutions(client: Client, query: string) {
  const executions: Array<{ workflowId: string; runId: string; status: string; type: string }> = [];
  for await (const execution of client.workflow.list({ query }))
    executions.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      status: execution.status.name,
      type: execution.type,
    });
  return executions;
}

export interface OrchestratorStack {
  database: TestDatabase;
  worker: OrchestratorWorker;
  client: Client;
  app: FastifyInstance;
  /** Stops what was started, in reverse order. */
  stop(): Promise<void>;
}

/**
 * What an orchestrator test needs: a database of its own, a real worker on `taskQueue` with those
 * dependencies, a client, and the control API with the root for `ref` started.
 */
export async function startOrchestratorStack(options: {
  databaseName: string;
  ref: OrchestratorRef;
  taskQueue: string;
  deps: Omit<ActivityDependencies, 'pool'>;
}): Promise<OrchestratorStack> {
  const env = testEnvironment();
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const database = await createTestDatabase(options.databaseName);
    stops.push(() => database.drop());
    const worker = await startWorkerOn({
      address: env.temporalAddress,
      taskQueue: options.taskQueue,
      deps: { pool: database.pool, ...options.deps },
    });
    stops.push(() => worker.stop());
    const connected = await connectClient(env.temporalAddress);
    stops.push(() => connected.close());
    const app = await startOrchestratorApi({
      client: connected.client,
      pool: database.pool,
      taskQueue: options.taskQueue,
      ref: options.ref,
    });
    stops.push(() => app.close());
    return { database, worker, client: connected.client, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
