import {
  ApplicationFailure,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { ScannerTrackingActivities } from '../../../activities/scanner-tracking';
import { ScannerDirectionKey, ScannerOutcomeKey, SymbolKey } from '../../../temporal/search-attributes';
import {
  TrackerInputSchema,
  trackerStateQuery,
  type TrackerInputArg,
  type TrackerResult,
  type TrackerState,
} from './tracker-messages';

/** A killed worker's sampling attempt is given up (and retried elsewhere) this soon after its last heartbeat. */
export const SAMPLING_HEARTBEAT_TIMEOUT_MS = 5_000;

/**
 * The tracker of one (symbol, direction): started by the spread engine when the spread opens, under
 * `trackerWorkflowId(symbol, direction)`, so at most one runs per pair. Its history stays a handful of
 * events whatever the horizon: one long heartbeating activity samples every `intervalMs` and writes the
 * samples to PostgreSQL (a retried attempt resumes after the last written one); the workflow then records
 * the outcome — CONVERGED, EXPIRED or FEED_DOWN — and closes, so the pair may be tracked again at once.
 */
export async function spreadTrackerWorkflow(arg: TrackerInputArg): Promise<TrackerResult> {
  const parsed = TrackerInputSchema.safeParse(arg);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `bad tracker input: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')}`,
      'BadTrackerInput',
    );
  const input = parsed.data;
  const { workflowId, runId } = workflowInfo();
  const trackingId = `${workflowId}/${runId}`;
  const openedAt = Date.now();
  const state: TrackerState = {
    trackingId,
    symbol: input.symbol,
    direction: input.direction,
    openedAt,
    phase: 'sampling',
    samples: null,
    missed: null,
    lastSpreadBps: null,
    outcome: null,
  };
  setHandler(trackerStateQuery, () => state);
  upsertSearchAttributes([
    { key: SymbolKey, value: input.symbol },
    { key: ScannerDirectionKey, value: input.direction },
  ]);

  const { sampleSpread } = proxyActivities<ScannerTrackingActivities>({
    ...(input.samplingTaskQueue && { taskQueue: input.samplingTaskQueue }),
    // Each attempt may run the whole horizon; a dead one is noticed by its missing heartbeat.
    startToCloseTimeout: input.horizonMs + 60_000,
    heartbeatTimeout: SAMPLING_HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', backoffCoefficient: 2 },
  });
  const { closeSpreadTracking } = proxyActivities<ScannerTrackingActivities>({
    startToCloseTimeout: '20 seconds',
    retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
  });

  const sampled = await sampleSpread({
    trackingId,
    symbol: input.symbol,
    direction: input.direction,
    spot: input.spot,
    perp: input.perp,
    entryBps: input.entryBps,
    exitBps: input.exitBps,
    intervalMs: input.intervalMs,
    horizonMs: input.horizonMs,
    feedDownMs: input.feedDownMs,
    batchSize: input.batchSize,
    flushMs: input.flushMs,
  });
  state.phase = 'closing';
  state.lastSpreadBps = sampled.lastSpreadBps;
  state.outcome = sampled.outcome;
  const closed = await closeSpreadTracking({
    trackingId,
    outcome: sampled.outcome,
    closedAt: sampled.endedAt,
  });
  Object.assign(state, { phase: 'closed', samples: closed.samples, missed: closed.missed });
  upsertSearchAttributes([{ key: ScannerOutcomeKey, value: closed.outcome }]);
  return {
    trackingId,
    outcome: closed.outcome,
    samples: closed.samples,
    missed: closed.missed,
    lastSpreadBps: sampled.lastSpreadBps,
    closedAt: sampled.endedAt,
    ...(sampled.feedError !== undefined && { feedError: sampled.feedError }),
  };
}
