import { proxyActivities } from '@temporalio/workflow';
import type { WatchInput, WatchResult } from '../../../activities/order-watch';

// Test-only workflow: one long-running, heartbeating watch, as a strategy's event loop would run it.
const { watchOrders } = proxyActivities<{ watchOrders(input: WatchInput): Promise<WatchResult> }>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '3 seconds',
});

export async function watchWorkflow(input: WatchInput): Promise<WatchResult> {
  return watchOrders(input);
}
