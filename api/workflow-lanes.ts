import pLimit, { type LimitFunction } from 'p-limit';

/**
 * The server admits only a few in-flight updates per workflow (history.maxInFlightUpdates, 10 by default)
 * and answers more with RESOURCE_EXHAUSTED: each process keeps its own calls to one workflow below that.
 */
export const MAX_IN_FLIGHT_UPDATES = 8;

/** This process's queues of calls to one workflow, each dropped once idle. */
function perWorkflow(concurrency: number) {
  const lanes = new Map<string, LimitFunction>();
  return <T>(workflowId: string, call: () => Promise<T>): Promise<T> => {
    let lane = lanes.get(workflowId);
    if (!lane) {
      lane = pLimit(concurrency);
      lanes.set(workflowId, lane);
    }
    const used = lane;
    return used(call).finally(() => {
      if (used.activeCount === 0 && used.pendingCount === 0 && lanes.get(workflowId) === used)
        lanes.delete(workflowId);
    });
  };
}

/** Updates to one workflow: at most MAX_IN_FLIGHT_UPDATES run at once, the rest wait. */
export const inFlightUpdateLane = perWorkflow(MAX_IN_FLIGHT_UPDATES);

/**
 * Queries to one workflow, one at a time. While a workflow is busy (a burst of updates), two concurrent
 * queries to it took 1.8 s at p50 where the same two in sequence took 53 ms (bench/api-reads.ts).
 */
export const queryLane = perWorkflow(1);
