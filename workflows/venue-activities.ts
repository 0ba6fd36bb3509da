import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { venueTaskQueue } from '../domain/venue-task-queue';

/** An exchange activity's input: one venue call, or several calls to one venue. */
type VenueBound = { venue: string } | ReadonlyArray<{ venue: string }>;
type ExchangeActivity = (input: VenueBound) => Promise<unknown>;
const isBatch = (input: VenueBound): input is ReadonlyArray<{ venue: string }> => Array.isArray(input);

function venueOf(input: VenueBound): string | undefined {
  if (!isBatch(input)) return input.venue;
  const venues = new Set(input.map((item) => item.venue));
  if (venues.size > 1)
    throw new TypeError(`one activity calls one venue, not ${[...venues].join(' and ')}: split the calls`);
  return input[0]?.venue;
}

/**
 * Exchange activities `names` of `A`, each call sent to the activity task queue of the venue its input names
 * (`venueTaskQueue`), where Temporal paces the whole fleet to the venue's rate limit. A call naming no venue
 * (an empty batch) runs on the workflow's own queue.
 */
export function venueActivities<A, K extends keyof A & string>(
  options: ActivityOptions,
  names: readonly K[],
): Pick<A, K> {
  const byQueue = new Map<string, Record<string, ExchangeActivity>>();
  const proxiesFor = (venue: string | undefined) => {
    const own = workflowInfo().taskQueue;
    const taskQueue = venue === undefined ? own : venueTaskQueue(own, venue);
    let proxies = byQueue.get(taskQueue);
    if (!proxies)
      byQueue.set(
        taskQueue,
        (proxies = proxyActivities<Record<string, ExchangeActivity>>({ ...options, taskQueue })),
      );
    return proxies;
  };
  const routed = (name: K) => (input: VenueBound) => proxiesFor(venueOf(input))[name]!(input);
  return Object.fromEntries(names.map((name) => [name, routed(name)])) as Pick<A, K>;
}
