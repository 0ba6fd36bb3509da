import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type {
  createSpreadEngineActivities,
  SpreadEngineMove,
  SpreadEngineProgress,
} from '../../activities/scanner-engine';

/** The one spread engine of a Keel: a fixed id, so Temporal refuses a second. */
export const SPREAD_ENGINE_WORKFLOW_ID = 'scanner-spread-engine';
/** Where the engine's activity runs: a queue of its own, so a scanner worker can be sized apart. */
export const SCANNER_TASK_QUEUE = 'keel-scanner';

export const SpreadEngineWorkflowInputSchema = z
  .object({
    /** The discovery snapshot to watch; the newest when absent. */
    version: z.int().positive().optional(),
    entryBps: z.number().positive().default(50),
    exitBps: z.number().min(0).default(10),
    reopenAfterMs: z.int().positive().default(5_000),
    taskQueue: z.string().min(1).default(SCANNER_TASK_QUEUE),
  })
  .refine((input) => input.entryBps > input.exitBps, {
    path: ['entryBps'],
    message: 'must be above exitBps',
  });
export type SpreadEngineWorkflowInput = z.input<typeof SpreadEngineWorkflowInputSchema>;

export interface SpreadEngineState {
  paused: boolean;
  /** The snapshot the engine watches (undefined: the newest, once it has one). */
  version: number | undefined;
  /** The figures of the last run that ended (a running one's are in its heartbeat details). */
  last: SpreadEngineProgress | undefined;
  /** Why the engine is not running although not paused (no snapshot yet, a failure), or undefined. */
  problem: string | undefined;
  /** The last snapshot diff applied to the running engine in place, or undefined. */
  lastMove: SpreadEngineMove | undefined;
}

/**
 * Discovery saved a snapshot: an engine not pinned to a version moves to the newest one. It carries no
 * version on purpose: the engine asks its own database, so a signal from another Keel's discovery on a
 * shared server costs a restart, never a wrong snapshot.
 */
export const snapshotSavedSignal = defineSignal('snapshotSaved');
export const pauseEngineSignal = defineSignal('pauseEngine');
export const resumeEngineSignal = defineSignal('resumeEngine');
export const spreadEngineStateQuery = defineQuery<SpreadEngineState>('spreadEngineState');

/**
 * Keeps the spread engine running (activities/scanner-engine.ts) on the scanner's task queue: paused and
 * resumed by signal, and moved to each new discovery snapshot in place (the diff applied to the running
 * engine); only when the running engine cannot be reached (it runs on another worker) is it restarted on
 * the new snapshot instead.
 */
export async function spreadEngineWorkflow(arg: SpreadEngineWorkflowInput = {}): Promise<void> {
  const parsed = SpreadEngineWorkflowInputSchema.safeParse(arg);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `bad spread engine settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'InvalidSpreadEngineSettings',
    );
  const input = parsed.data;
  const { latestSnapshotVersion } = proxyActivities<ReturnType<typeof createSpreadEngineActivities>>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '30 seconds',
  });
  const { moveSpreadEngine } = proxyActivities<ReturnType<typeof createSpreadEngineActivities>>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '30 seconds',
    // Not worth retrying for long: a restart on the new snapshot does the same job.
    retry: { maximumAttempts: 2 },
  });
  const { runSpreadEngine } = proxyActivities<ReturnType<typeof createSpreadEngineActivities>>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '10 seconds',
    // Cancelled, it unsubscribes before the next run subscribes.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['NoDiscoverySnapshot'],
    },
  });
  const state: SpreadEngineState = {
    paused: false,
    version: input.version,
    last: undefined,
    problem: undefined,
    lastMove: undefined,
  };
  let saved = 0;
  setHandler(snapshotSavedSignal, () => void (saved += 1));
  setHandler(pauseEngineSignal, () => void (state.paused = true));
  setHandler(resumeEngineSignal, () => void (state.paused = false));
  setHandler(spreadEngineStateQuery, () => state);

  // Only an engine following the newest snapshot moves when one is saved.
  const follows = input.version === undefined;
  let seen = 0;
  while (!workflowInfo().continueAsNewSuggested) {
    await condition(() => !state.paused && (state.problem === undefined || (follows && saved !== seen)));
    seen = saved;
    state.problem = undefined;
    const version = input.version ?? (await latestSnapshotVersion());
    if (version === null) {
      state.problem = 'no discovery snapshot yet: the engine starts once discovery has saved one';
      continue;
    }
    state.version = version;
    const scope = new CancellationScope();
    const run = scope.run(() =>
      runSpreadEngine({
        version,
        follow: follows,
        settings: { entryBps: input.entryBps, exitBps: input.exitBps },
        reopenAfterMs: input.reopenAfterMs,
      }),
    );
    let ended = false;
    const outcome = run.then(
      (progress) => ((state.last = progress), (ended = true)),
      (error: unknown) => {
        ended = true;
        if (!isCancellation(error)) state.problem = error instanceof Error ? error.message : String(error);
      },
    );
    for (;;) {
      await condition(() => ended || state.paused || (follows && saved !== seen));
      if (ended || state.paused) break;
      seen = saved;
      const newest = await latestSnapshotVersion();
      if (newest === null || newest === state.version) continue;
      const moved = await moveSpreadEngine({ version: newest }).catch(() => undefined);
      if (!moved?.moved) break; // then restarted on the newest
      state.version = newest;
      state.lastMove = moved.move;
    }
    if (!ended) scope.cancel();
    await outcome;
  }
  await continueAsNew<typeof spreadEngineWorkflow>(arg);
}
