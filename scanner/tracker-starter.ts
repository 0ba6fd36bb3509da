import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  trackerLegs,
  trackerWorkflowId,
  type TrackerInputArg,
} from '../workflows/scanner/tracker/tracker-messages';
import type { spreadTrackerWorkflow } from '../workflows/scanner/tracker/tracker-workflow';

export interface TrackerStartOptions {
  /** Where the trackers run (Keel's main task queue). */
  taskQueue: string;
  /** The account the legs' quotes are read with. */
  account?: string;
  /** Where the trackers' sampling activities run (the scanner's worker); the trackers' queue when absent. */
  samplingTaskQueue?: string;
  /** Overrides of the tracker's defaults (interval, horizon, feed-down limit, batch size). */
  tracking?: Partial<
    Pick<TrackerInputArg, 'intervalMs' | 'horizonMs' | 'feedDownMs' | 'batchSize' | 'flushMs'>
  >;
}

/**
 * How the spread engine starts a tracker: a workflow whose id is derived from (symbol, direction), so while
 * one runs Temporal refuses a second (`running`), and once it closed the next start is accepted.
 */
export function trackerStarter(client: Client, options: TrackerStartOptions) {
  return async (start: {
    symbol: string;
    direction: string;
    spreadBps: number;
    exitBps: number;
  }): Promise<'started' | 'running'> => {
    const input: TrackerInputArg = {
      symbol: start.symbol,
      direction: start.direction,
      ...trackerLegs(start.direction, options.account),
      entryBps: start.spreadBps,
      exitBps: start.exitBps,
      ...(options.samplingTaskQueue && { samplingTaskQueue: options.samplingTaskQueue }),
      ...options.tracking,
    };
    try {
      await client.workflow.start<typeof spreadTrackerWorkflow>('spreadTrackerWorkflow', {
        workflowId: trackerWorkflowId(start.symbol, start.direction),
        taskQueue: options.taskQueue,
        args: [input],
      });
      return 'started';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'running';
      throw error;
    }
  };
}
