import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileInput, ReconcileResult } from '../../../activities/order-reconcile';
import type { WatchInput, WatchResult } from '../../../activities/order-watch';

// Test-only workflows: one long-running, heartbeating watch, as a strategy's event loop would run it;
// one reconcile, as a strategy runs it before acting.
const { watchOrders } = proxyActivities<{ watchOrders(input: WatchInput): Promise<WatchResult> }>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '3 seconds',
});

export async function watchWorkflow(input: WatchInput): Promise<WatchResult> {
  return watchOrders(input);
}

const { reconcileOrders } = proxyActivities<{
  reconcileOrders(input: ReconcileInput): Promise<ReconcileResult>;
}>({ startToCloseTimeout: '1 minute' });

export async function reconcileWorkflow(input: ReconcileInput): Promise<ReconcileResult> {
  return reconcileOrders(input);
}
