import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { GapRow, SampleRow, TrackingRow } from '../db/scanner-trackings';
import {
  DISCOVERY_NOW_WORKFLOW_ID,
  DiscoveryAlreadyRunningError,
  runDiscoveryNow,
} from '../scanner/discovery-schedule';
import { directionNamed } from '../workflows/scanner/discovery/sources';
import type { PairDiscoveryInput } from '../workflows/scanner/discovery-workflow';
import {
  pauseEngineSignal,
  resumeEngineSignal,
  SPREAD_ENGINE_WORKFLOW_ID,
  spreadEngineStateQuery,
  type SpreadEngineState,
} from '../workflows/scanner/engine-workflow';
import { ControlRefused, TEMPORAL_READ_TIMEOUT_MS, temporalUnavailable } from './orchestrator';

/**
 * The spread scanner's operator surface apart from HTTP: forcing a discovery run, steering and reading the
 * spread engine workflow (each Temporal call bounded by the API's read deadline), and the export of a
 * tracking as a text file.
 */

/** Which scanner workflows the API steers: production uses the defaults, tests their own. */
export interface ScannerRef {
  /** The spread engine workflow; production `scanner-spread-engine`. */
  engineWorkflowId: string;
  /**
   * The on-demand discovery run's workflow id; production `scanner-pair-discovery-now`, so a run the
   * worker started at start-up and one asked through the API refuse each other alike.
   */
  discoveryWorkflowId: string;
  /** Where discovery runs: the API's task queue when absent. */
  discoveryTaskQueue?: string;
  /** The discovery workflow's input (settings, account); defaults when absent. */
  discoverySettings?: PairDiscoveryInput;
}

export const defaultScannerRef: ScannerRef = {
  engineWorkflowId: SPREAD_ENGINE_WORKFLOW_ID,
  discoveryWorkflowId: DISCOVERY_NOW_WORKFLOW_ID,
};

export function scannerControl(
  client: Client,
  ref: ScannerRef,
  options: { taskQueue: string; readTimeoutMs?: number | undefined },
) {
  const readTimeoutMs = options.readTimeoutMs ?? TEMPORAL_READ_TIMEOUT_MS;
  /** One deadline on every Temporal call `read` makes; no answer in time is a 503 saying so. */
  const within = <T>(read: () => Promise<T>): Promise<T> =>
    client.withDeadline(Date.now() + readTimeoutMs, read).catch((error: unknown) => {
      const unavailable = temporalUnavailable(error, readTimeoutMs);
      throw unavailable ? new ControlRefused(503, unavailable) : error;
    });
  const noEngine = (detail: string) =>
    new ControlRefused(
      404,
      `no spread engine is running (workflow ${ref.engineWorkflowId} ${detail}); start spreadEngineWorkflow`,
    );
  /** The engine's handle once it is known to be running; a 404 naming its state otherwise. */
  const runningEngine = async () => {
    const handle = client.workflow.getHandle(ref.engineWorkflowId);
    const description = await handle.describe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) throw noEngine('not found');
      throw error;
    });
    if (description.status.name !== 'RUNNING') throw noEngine(description.status.name.toLowerCase());
    return handle;
  };

  return {
    /** Starts a discovery run now under the on-demand id; a second one while it runs is refused with 409. */
    async runDiscoveryNow(): Promise<{ workflowId: string; runId: string }> {
      try {
        const handle = await within(() =>
          runDiscoveryNow(client, {
            taskQueue: ref.discoveryTaskQueue ?? options.taskQueue,
            workflowId: ref.discoveryWorkflowId,
            ...(ref.discoverySettings && { settings: ref.discoverySettings }),
          }),
        );
        return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
      } catch (error) {
        if (error instanceof DiscoveryAlreadyRunningError)
          throw new ControlRefused(409, `${error.message}; wait for it to finish`);
        throw error;
      }
    },
    /** The running engine's query state. */
    engineState: (): Promise<SpreadEngineState & { workflowId: string }> =>
      within(async () => {
        const handle = await runningEngine();
        return { workflowId: ref.engineWorkflowId, ...(await handle.query(spreadEngineStateQuery)) };
      }),
    /** Signals pauseEngine or resumeEngine to the running engine. */
    signalEngine: (action: 'pause' | 'resume'): Promise<{ workflowId: string; signal: string }> =>
      within(async () => {
        const handle = await runningEngine();
        const signal = action === 'pause' ? pauseEngineSignal : resumeEngineSignal;
        await handle.signal(signal).catch((error: unknown) => {
          // It closed between the two calls.
          if (error instanceof WorkflowNotFoundError) throw noEngine('closed');
          throw error;
        });
        return { workflowId: ref.engineWorkflowId, signal: signal.name };
      }),
  };
}

/** `scanner-track:<symbol>:<direction>/<run id>`: the tracker's workflow id and the run. */
export function trackingParts(id: string): { workflowId: string; runId: string } {
  const slash = id.lastIndexOf('/');
  return slash < 0
    ? { workflowId: id, runId: '' }
    : { workflowId: id.slice(0, slash), runId: id.slice(slash + 1) };
}

/**
 * A tracking as a text file, after seed 004's tracker output: the tracker writes each tracking to a text
 * file, a line per 200 ms sample, names spelled out only there (ids everywhere else), and the tracking ends
 * CONVERGED or EXPIRED. The seed fixes no layout, so this one is Keel's, tab-separated, one record per line,
 * the first field saying what the line is:
 *
 *   TRACKING  id= symbol= direction= direction_id= spot= perp= opened_at= entry_bps= exit_bps= interval_ms=
 *   S  seq  at  spot_bid  spot_ask  perp_bid  perp_ask  spread_bps      (one per sample, in slot order)
 *   GAP  from_seq  to_seq  missed  reason  from_at  to_at               (in slot order among the samples)
 *   CLOSED  outcome= closed_at= samples= gaps=                           (last line, once it has closed)
 *
 * Times are ISO 8601 UTC with milliseconds, prices the exact decimals stored, spreads in bps as stored.
 * A tracking still running has no CLOSED line: the file so far.
 */
export function renderTrackingExport(row: TrackingRow, samples: SampleRow[], gaps: GapRow[]): string {
  const direction = directionNamed(row.direction);
  const lines = [
    [
      'TRACKING',
      `id=${row.id}`,
      `symbol=${row.symbol}`,
      `direction=${row.direction}`,
      `direction_id=${direction?.id ?? ''}`,
      `spot=${direction?.spot.name ?? ''}`,
      `perp=${direction?.perp.name ?? ''}`,
      `opened_at=${row.opened_at.toISOString()}`,
      `entry_bps=${row.entry_bps}`,
      `exit_bps=${row.exit_bps}`,
      `interval_ms=${row.interval_ms}`,
    ].join('\t'),
  ];
  const gapLine = (gap: GapRow) =>
    [
      'GAP',
      gap.from_seq,
      gap.to_seq,
      gap.missed,
      gap.reason,
      gap.from_at.toISOString(),
      gap.to_at.toISOString(),
    ].join('\t');
  const sampleLine = (sample: SampleRow) =>
    [
      'S',
      sample.seq,
      sample.at.toISOString(),
      sample.spot_bid,
      sample.spot_ask,
      sample.perp_bid,
      sample.perp_ask,
      sample.spread_bps,
    ].join('\t');
  // Samples and gaps never share a slot, so slot order is one order for both.
  const records = [
    ...samples.map((sample) => ({ seq: sample.seq, line: sampleLine(sample) })),
    ...gaps.map((gap) => ({ seq: gap.from_seq, line: gapLine(gap) })),
  ].sort((a, b) => a.seq - b.seq);
  for (const record of records) lines.push(record.line);
  if (row.closed_at && row.outcome)
    lines.push(
      [
        'CLOSED',
        `outcome=${row.outcome}`,
        `closed_at=${row.closed_at.toISOString()}`,
        `samples=${row.samples ?? samples.length}`,
        `gaps=${row.gaps ?? gaps.reduce((n, gap) => n + gap.missed, 0)}`,
      ].join('\t'),
    );
  return lines.join('\n') + '\n';
}
