import { proxyActivities } from '@temporalio/workflow';
import type { PlaceOrderInput, PlacementResult } from '../../../activities/place-order-once';

export interface SteadyPlacementInput {
  /** Where Keel's activities run: the task queue the worker processes under test poll. */
  activityTaskQueue: string;
  /** Every order alike but for its client order id: `${idPrefix}${n}`. */
  order: Omit<PlaceOrderInput, 'clientOrderId'>;
  idPrefix: string;
  /** How long to keep placing, on workflow time. */
  forMs: number;
}

/**
 * Test-only workflow: places orders one after another, each as soon as the last was answered, for a
 * while, through Keel's own placeOrderOnce activity on another task queue (so the worker processes under
 * test run the placements, not the process running this workflow). No timers between placements: the
 * dev server fires timers up to a second late.
 */
export async function steadyPlacementWorkflow(input: SteadyPlacementInput): Promise<PlacementResult[]> {
  const { placeOrderOnce } = proxyActivities<{
    placeOrderOnce(order: PlaceOrderInput): Promise<PlacementResult>;
  }>({
    taskQueue: input.activityTaskQueue,
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '50 milliseconds',
      backoffCoefficient: 1.5,
      maximumInterval: '500 milliseconds',
      nonRetryableErrorTypes: ['ClientOrderIdConflict'],
    },
  });
  const until = Date.now() + input.forMs;
  const results: PlacementResult[] = [];
  while (Date.now() < until)
    results.push(
      await placeOrderOnce({ ...input.order, clientOrderId: `${input.idPrefix}${results.length}` }),
    );
  return results;
}
