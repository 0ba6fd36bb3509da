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
import type { createSpreadEngineActivities, SpreadEngineProgress } from '../../activities/scanner-engine';

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
}

/** A new discovery snapshot: the engine moves to it (discovery signals this after each save). */
export const useSnapshotSignal = defineSignal<[number]>('useSnapshot');
export const pauseEngineSignal = defineSignal('pauseEngine');
export const resumeEngineSignal = defineSignal('resumeEngine');
export const spreadEngineStateQuery = defineQuery<SpreadEngineState>('spreadEngineState');

/**
 * Keeps the spread engine running (activities/scanner-engine.ts) on the scanner's task queue: paused and
 * resumed by signal, moved to each new discovery snapshot by cancelling the run and starting one on the new
 * snapshot, which is how a diff reaches the engine without restarting anything else.
 */
export async function spreadEngineWorkflow(arg: SpreadEngineWorkflowInput = {}): Promise<void> {
  const parsed = SpreadEngineWorkflowInputSchema.safeParse(arg);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `bad spread engine settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'InvalidSpreadEngineSettings',
    );
  const input = parsed.data;
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
  };
  let wanted = input.version;
  setHandler(useSnapshotSignal, (version) => {
    if (wanted === undefined || version > wanted) wanted = version;
  });
  setHandler(pauseEngineSignal, () => void (state.paused = true));
  setHandler(resumeEngineSignal, () => void (state.paused = false));
  setHandler(spreadEngineStateQuery, () => state);

  while (!workflowInfo().continueAsNewSuggested) {
    await condition(() => !state.paused && (state.problem === undefined || wanted !== state.version));
    state.version = wanted;
    state.problem = undefined;
    const running = state.version;
    const scope = new CancellationScope();
    const run = scope.run(() =>
      runSpreadEngine({
        ...(running === undefined ? {} : { version: running }),
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
    await condition(() => ended || state.paused || wanted !== running);
    if (!ended) scope.cancel();
    await outcome;
  }
  await continueAsNew<typeof spreadEngineWorkflow>({
    ...arg,
    ...(wanted === undefined ? {} : { version: wanted }),
  });
}
