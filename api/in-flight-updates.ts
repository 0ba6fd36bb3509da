import pLimit, { type LimitFunction } from 'p-limit';

/**
 * The server admits only a few in-flight updates per workflow (history.maxInFlightUpdates, 10 by default)
 * and answers more with RESOURCE_EXHAUSTED: each process keeps its own calls to one workflow below that.
 */
export const MAX_IN_FLIGHT_UPDATES = 8;

const limits = new Map<string, LimitFunction>();

/** This process's queue for updates to `workflowId`: at most MAX_IN_FLIGHT_UPDATES run at once, the rest wait. */
export function inFlightUpdateLimit(workflowId: string): LimitFunction {
  let limit = limits.get(workflowId);
  if (!limit) {
    limit = pLimit(MAX_IN_FLIGHT_UPDATES);
    limits.set(workflowId, limit);
  }
  return limit;
}
