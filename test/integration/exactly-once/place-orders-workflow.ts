import { proxyActivities } from '@temporalio/workflow';
import type { PlaceOrderInput, PlacementResult } from '../../../activities/place-order-once';

// Test-only workflow: places orders one after another, as a strategy would, under Temporal's retries.
const { placeOrderOnce } = proxyActivities<{
  placeOrderOnce(input: PlaceOrderInput): Promise<PlacementResult>;
}>({
  startToCloseTimeout: '5 seconds',
  retry: {
    initialInterval: '20 milliseconds',
    backoffCoefficient: 1.5,
    maximumInterval: '300 milliseconds',
    nonRetryableErrorTypes: ['ClientOrderIdConflict'],
  },
});

export async function placeOrdersWorkflow(orders: PlaceOrderInput[]): Promise<PlacementResult[]> {
  const results: PlacementResult[] = [];
  for (const order of orders) results.push(await placeOrderOnce(order));
  return results;
}
