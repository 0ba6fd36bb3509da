import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { performanceSnapshotWorkflow } from '../workflows';

export const PERFORMANCE_SCHEDULE_ID = 'keel-performance-snapshots';

/**
 * The performance snapshots on a Temporal Schedule: one run every `everyMs` (seed 003 snapshots every
 * 60 s), a run skipped while the previous one still goes, none caught up after a long outage (a late
 * snapshot would carry a time it does not describe). Brought in line with `everyMs` at every start; an
 * operator's pause is kept.
 */
export async function ensurePerformanceSchedule(
  client: Client,
  options: { taskQueue: string; everyMs: number; scheduleId?: string },
): Promise<void> {
  const scheduleId = options.scheduleId ?? PERFORMANCE_SCHEDULE_ID;
  const parts = {
    spec: { intervals: [{ every: options.everyMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'performanceSnapshotWorkflow',
      workflowId: scheduleId,
      taskQueue: options.taskQueue,
      args: [] as [],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  };
  try {
    await client.schedule.create({ scheduleId, ...parts });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(scheduleId)
      .update<typeof performanceSnapshotWorkflow>((previous) => ({ ...parts, state: previous.state }));
  }
}
