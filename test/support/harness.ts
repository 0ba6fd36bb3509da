import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type LogEntry, type WorkflowBundle } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { ActivityDependencies } from '../../activities';
import { buildApp, type ApiDependencies } from '../../api/app';
import { ensureOrchestrator, type OrchestratorRef } from '../../api/orchestrator';
import { ensureRisk, type RiskRef } from '../../api/risk';
import { installRuntime } from '../../workers/runtime';
import {
  bundleWorkflows,
  clientCodecOptions,
  createKeelWorker,
  type KeelWorker,
  keelDataConverter,
} from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testEnvironment, uniqueName } from './test-env';
export { createSimWorld } from '../../workers/sim-world';

/**
 * The one way a test process gets Temporal: the runtime, Keel's workflow bundle, and `startHarness` (for
 * one test file: a database of its own, a real worker on a task queue, a client, the control API).
 */

/** Every log line the SDK (and workflow `log.*`) emitted at WARN or above in this test process. */
export const capturedLogs: LogEntry[] = [];

let runtimeInstalled = false;
/**
 * Installs the Temporal runtime once per test process, logging into `capturedLogs` (not the console); with
 * `sdkMetricsAddress`, serving the SDK's Prometheus metrics there (call it before anything else does).
 */
export function installTestRuntime(options: { sdkMetricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  installRuntime(
    'WARN',
    (entry) => {
      capturedLogs.push(entry);
    },
    options.sdkMetricsAddress,
  );
  runtimeInstalled = true;
}

let keelBundle: WorkflowBundle | undefined;
/** Keel's workflows, bundled once for the whole run by `npm test`. */
export function keelWorkflowBundle(): WorkflowBundle {
  keelBundle ??= { code: readFileSync(testEnvironment().workflowBundlePath, 'utf8') };
  return keelBundle;
}

const testBundles = new Map<string, Promise<WorkflowBundle>>();
/** A test-only workflows module, bundled once per test process. */
function testWorkflowBundle(path: string): Promise<WorkflowBundle> {
  let bundle = testBundles.get(path);
  if (!bundle) {
    bundle = bundleWorkflows(path);
    testBundles.set(path, bundle);
  }
  return bundle;
}

/**
 * What a worker runs: Keel's workflows and activities with `deps` (the pool defaults to the harness's
 * database), or a test-only `workflows` module (a path) with its `activities`.
 */
export type WorkerSpec = { deps?: Partial<ActivityDependencies> } | { workflows: string; activities: object };

export interface HarnessOptions {
  /** The Temporal server; the run's dev server by default. */
  address?: string;
  /** A migrated database of the test file's own, named after this prefix (dropped on stop); or one to use. */
  database?: string | TestDatabase;
  /** The worker's task queue: a fresh one by default; a given one lets a restarted worker continue. */
  taskQueue?: string;
  /** What the worker runs (Keel's workflows and activities by default); false for no worker. */
  worker?: WorkerSpec | false;
  /** Starts this root orchestrator (idempotently, as `workers/main.ts` does) and the control API for it. */
  orchestrator?: OrchestratorRef;
  /** Starts this risk workflow (as `workers/main.ts` does); the control API, if any, steers it. */
  risk?: RiskRef;
  /** Encrypts payloads on the worker and the client, and serves `/codec` on the control API. */
  payloadCodec?: PayloadCodec;
  /** More of the control API's dependencies: the venue configuration, a log to capture, a shorter wait. */
  api?: Pick<
    ApiDependencies,
    | 'venues'
    | 'logLevel'
    | 'logStream'
    | 'manualOrderWaitMs'
    | 'market'
    | 'klineIntervalSeconds'
    | 'temporalUiUrl'
    | 'liveStatusIntervalMs'
  >;
}

/** A worker a test runs: Keel's (with its venue queues), or the SDK's own for test workflows. */
export type TestWorker = Pick<KeelWorker, 'run' | 'runUntil' | 'shutdown'>;

export interface Harness {
  client: Client;
  /** The task queue of the harness's worker. */
  taskQueue: string;
  /** Another worker on the harness's server (on a fresh task queue by default), not yet running. */
  createWorker(spec?: WorkerSpec, taskQueue?: string): Promise<{ worker: TestWorker; taskQueue: string }>;
  /** Stops what was started, in reverse order; stopping twice does nothing more. */
  stop(): Promise<void>;
}

/** A harness with what `O` asked for: `database`, the running `worker` (unless false), the API `app`. */
export type StartedHarness<O extends HarnessOptions> = Harness &
  (O extends { database: string | TestDatabase } ? { database: TestDatabase } : unknown) &
  (O extends { worker: false } ? unknown : { worker: TestWorker }) &
  (O extends { orchestrator: OrchestratorRef } ? { app: FastifyInstance } : unknown);

export const TEST_API_TOKEN = 'test-token-' + 'x'.repeat(24);
export const authHeader = { authorization: `Bearer ${TEST_API_TOKEN}` };
/** The read token (KEEL_API_READ_TOKEN) of the harness's API: reads, never mutations. */
export const TEST_API_READ_TOKEN = 'test-read-token-' + 'y'.repeat(24);
export const readAuthHeader = { authorization: `Bearer ${TEST_API_READ_TOKEN}` };

/**
 * Starts, for one test file, in this order: its database (if asked), a real worker on the task queue, a
 * client, and the control API with the root orchestrator (if asked). `stop()` stops them in reverse.
 */
export async function startHarness<const O extends HarnessOptions>(options: O): Promise<StartedHarness<O>> {
  installTestRuntime();
  const address = options.address ?? testEnvironment().temporalAddress;
  const taskQueue = options.taskQueue ?? uniqueName('test-queue');
  const stops: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Every step runs even when one fails; the first failure is reported.
      const failures: unknown[] = [];
      for (const step of stops.reverse()) await step().catch((error: unknown) => failures.push(error));
      const [first] = failures;
      if (failures.length > 0) throw first instanceof Error ? first : new Error(String(first));
    })());

  try {
    let database: TestDatabase | undefined;
    if (typeof options.database === 'string') {
      const created = await createTestDatabase(options.database);
      stops.push(() => created.drop());
      database = created;
    } else database = options.database;

    // One connection for every worker of the harness, opened with the first.
    let workerConnection: Promise<NativeConnection> | undefined;
    const connectWorkers = () =>
      (workerConnection ??= NativeConnection.connect({ address }).then((connection) => {
        stops.push(() => connection.close());
        return connection;
      }));
    const createWorker = async (spec: WorkerSpec = {}, queue = uniqueName('test-queue')) => {
      const common = { connection: await connectWorkers(), namespace: 'default', taskQueue: queue };
      if ('workflows' in spec) {
        const workflowBundle = await testWorkflowBundle(spec.workflows);
        return {
          worker: await Worker.create({
            ...common,
            workflowBundle,
            dataConverter: keelDataConverter,
            activities: spec.activities,
          }),
          taskQueue: queue,
        };
      }
      const pool = spec.deps?.pool ?? database?.pool;
      if (!pool) throw new Error('a Keel worker needs a pool: give the harness a database, or deps.pool');
      const deps = { ...spec.deps, pool };
      return {
        worker: await createKeelWorker({
          ...common,
          deps,
          workflowBundle: keelWorkflowBundle(),
          ...(options.payloadCodec && { payloadCodec: options.payloadCodec }),
        }),
        taskQueue: queue,
      };
    };

    let worker: TestWorker | undefined;
    if (options.worker !== false) {
      const started = (await createWorker(options.worker, taskQueue)).worker;
      const running = started.run();
      stops.push(async () => {
        started.shutdown();
        await running;
      });
      worker = started;
    }

    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: 'default',
      ...clientCodecOptions(options.payloadCodec),
    });

    if (options.risk) await ensureRisk(client, taskQueue, options.risk);
    let app: FastifyInstance | undefined;
    if (options.orchestrator) {
      if (!database) throw new Error('the control API needs a database: give the harness one');
      await ensureOrchestrator(client, taskQueue, options.orchestrator);
      const api = await buildApp({
        temporal: client,
        pool: database.pool,
        taskQueue,
        orchestrator: options.orchestrator,
        ...(options.risk ? { risk: options.risk } : {}),
        ...(options.api ?? {}),
        ...(options.payloadCodec && {
          codec: { codec: options.payloadCodec, corsOrigin: 'http://127.0.0.1:8233' },
        }),
        apiToken: TEST_API_TOKEN,
        readToken: TEST_API_READ_TOKEN,
      });
      stops.push(() => api.close());
      app = api;
    }

    return { client, taskQueue, createWorker, stop, database, worker, app } as StartedHarness<O>;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A root of its own for one test: distinct workflow id and child id prefix on the shared server. */
export function testOrchestratorRef(
  name: string,
  input: {
    shardCount?: number;
    shardMaxHistoryEvents?: number;
    maxHistoryEvents?: number;
    shardLivenessCheckMs?: number;
    maxUpdatesPerRun?: number;
  } = {},
): OrchestratorRef {
  const id = uniqueName(name).replace(/_/g, '-');
  return { workflowId: `${id}-orchestrator`, input: { ...input, idPrefix: `${id}-` } };
}

/** Executions (every run) matching a visibility `query`. */
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

/** A risk workflow of its own for one test (breaker settings as the test needs them). */
export function testRiskRef(name: string, input: RiskRef['input'] = {}): RiskRef {
  return { workflowId: `${uniqueName(name).replace(/_/g, '-')}-risk`, input };
}
