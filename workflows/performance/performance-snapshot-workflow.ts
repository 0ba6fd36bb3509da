import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities';

const { takePerformanceSnapshot } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * One performance snapshot (started by the `keel-performance-snapshots` schedule): every symbol and
 * strategy's position, PnL, fees and volume as of this run's start, recorded once.
 */
export async function performanceSnapshotWorkflow(): Promise<{ books: number; moved: number }> {
  return takePerformanceSnapshot(workflowInfo().startTime.toISOString());
}
