import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';
import type { DeploymentVersion } from '../config/deployment-version';
import { defaultVenuesConfig, type VenuesConfig } from '../config/venues';
import type { OrderBudget } from '../db/venue-order-budget';
import { venueTaskQueue } from '../domain/venue-task-queue';
import type { Venue } from '../domain/venues';

const workflowsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'workflows');
export const workflowsPath = join(workflowsDir, 'index.ts');

/**
 * Keel's data converter: the default encoding, but a payload that cannot be decoded reaches the workflow as
 * an `UndecodablePayload` marker (workflows/undecodable-payload.ts) its handlers drop, instead of failing
 * the workflow task (docs/temporal.md). Workers load it, and every workflow bundle must contain it.
 */
export const keelDataConverter = { payloadConverterPath: join(workflowsDir, 'payload-converter.ts') };

/** A client's options for the payload codec (encryption), where one is configured. */
export const clientCodecOptions = (codec: PayloadCodec | undefined) =>
  codec ? { dataConverter: { payloadCodecs: [codec] } } : {};

/** A worker's data converter: Keel's, and the payload codec (encryption) where one is configured. */
export const workerDataConverter = (codec: PayloadCodec | undefined) => ({
  ...keelDataConverter,
  payloadCodecs: codec ? [codec] : [],
});

/**
 * Bundles workflows once (Keel's by default; tests and benches pass their own), always with Keel's payload
 * converter; tests share one bundle across many workers because bundling takes seconds.
 */
export async function bundleWorkflows(path = workflowsPath): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: path, ...keelDataConverter, logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** A venue's order-path activity queue: its name comes from the workflow queue, its pace from the venue. */
export interface VenueQueue {
  venue: Venue;
  /** Order-path calls per second the whole fleet sends the venue (Temporal's task-queue rate limit). */
  rateLimit: number;
}

/** The venue queues of a venue configuration (every venue it names, at its rate limit). */
export const venueQueuesOf = (venues: VenuesConfig): VenueQueue[] =>
  venues.venues.map(({ venue, rateLimit }) => ({ venue, rateLimit }));

export interface KeelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Where Keel's workflows run, and every activity but the venues' order paths. */
  taskQueue: string;
  /**
   * The venues whose order-path queues (`venueTaskQueue`) this worker polls, each at its rate limit; by
   * default the built-in venue configuration's. An empty list polls none (a fleet may split them off).
   */
  venueQueues?: readonly VenueQueue[];
  /** Whether it polls `taskQueue` (default true); false: only the venue queues. */
  pollWorkflowQueue?: boolean;
  deps: ActivityDependencies;
  workflowBundle?: WorkflowBundle;
  /** Workflows kept in memory between tasks (SDK default: sized from available memory). */
  maxCachedWorkflows?: number;
  /** Encrypts what the worker sends the server and decrypts what it reads (KEEL_CODEC_KEYS). */
  payloadCodec?: PayloadCodec;
  /** How the worker names itself to Temporal (the SDK's pid@host by default). */
  identity?: string;
  /** How long a stopping worker lets its activities finish before cancelling them (the SDK's 0 by default). */
  shutdownGraceTime?: string;
  /** Its worker deployment version (KEEL_WORKER_DEPLOYMENT_VERSION): set, it uses worker versioning. */
  deploymentVersion?: DeploymentVersion | undefined;
}

/**
 * Worker versioning for a deployment version. Keel's workflows run for months (a symbol continues as new
 * forever), so they auto-upgrade: each moves to the current version at its next workflow task, and code
 * changes that would alter a replay are guarded with `patched()` (the replay tier checks them).
 */
export const versioningOf = (version: DeploymentVersion | undefined) =>
  version
    ? {
        workerDeploymentOptions: {
          version,
          useWorkerVersioning: true as const,
          defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
        },
      }
    : {};

/**
 * One Keel worker: the SDK's worker on the workflow queue, and an activity-only one on each venue's order
 * queue (an SDK worker polls one queue). They run, and stop, together.
 */
export class KeelWorker {
  constructor(readonly workers: readonly Worker[]) {}

  /** Runs every part until shut down; if one fails, the others are stopped and its error thrown. */
  async run(): Promise<void> {
    const results = await Promise.allSettled(
      this.workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          this.shutdown();
          throw error;
        }),
      ),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  shutdown(): void {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** Runs until `until` settles, then shuts down and waits for every part to stop. */
  async runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    const stopped = running.then(() => {
      throw new Error('the worker stopped before what it ran for finished');
    });
    try {
      return await Promise.race([typeof until === 'function' ? until() : until, stopped]);
    } finally {
      stopped.catch(() => undefined);
      this.shutdown();
      await running;
    }
  }
}

export async function createKeelWorker(options: KeelWorkerOptions): Promise<KeelWorker> {
  const venueQueues = options.venueQueues ?? venueQueuesOf(defaultVenuesConfig());
  // Orders take turns from their venue's budget, named like its queue: a replacement a watch places is
  // paced with the activities Temporal paces.
  const orderBudget = (venue: Venue): OrderBudget | undefined => {
    const queue = venueQueues.find((entry) => entry.venue === venue);
    return queue && { name: venueTaskQueue(options.taskQueue, venue), perSecond: queue.rateLimit };
  };
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    // One set of activities (and order streams) serves every queue the worker polls.
    activities: createActivities({ orderBudget, ...options.deps }),
    dataConverter: workerDataConverter(options.payloadCodec),
    ...(options.identity && { identity: options.identity }),
    ...(options.shutdownGraceTime && { shutdownGraceTime: options.shutdownGraceTime }),
    ...versioningOf(options.deploymentVersion),
  };
  const workers = await Promise.all([
    ...(options.pollWorkflowQueue === false
      ? []
      : [
          Worker.create({
            ...common,
            taskQueue: options.taskQueue,
            ...(options.maxCachedWorkflows === undefined
              ? {}
              : { maxCachedWorkflows: options.maxCachedWorkflows }),
            ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
          }),
        ]),
    ...venueQueues.map(({ venue, rateLimit }) =>
      Worker.create({
        ...common,
        taskQueue: venueTaskQueue(options.taskQueue, venue),
        maxTaskQueueActivitiesPerSecond: rateLimit,
      }),
    ),
  ]);
  return new KeelWorker(workers);
}
