/**
 * The activity task queue of a venue's order path, beside the workflow task queue its workflows run on:
 * `keel@binance` for `keel`. Each deployment (each test, too) has its own set, and Temporal's rate limit on
 * it holds for every worker polling it.
 */
export const venueTaskQueue = (workflowQueue: string, venue: string) => `${workflowQueue}@${venue}`;
