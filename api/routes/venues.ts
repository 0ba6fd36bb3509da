import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultVenuesConfig } from '../../config/venues';
import type { ApiDependencies } from '../app';
import { pollingWorkers, venueQueueView, venuesView } from '../venues';

const VenueViewSchema = z.object({
  venue: z.string(),
  kind: z.enum(['sim', 'sim-http', 'ccxt', 'paper']),
  markets: z.array(z.string()),
  sandbox: z.boolean().optional(),
  emulated: z.boolean().optional(),
  url: z.string().optional(),
  /** Paper: the recordings replayed (`market SYMBOL`) and how much faster than recorded. */
  replay: z.array(z.string()).optional(),
  speed: z.number().optional(),
  /**
   * Its order path's activity task queue: Temporal paces every worker polling it together to `rateLimit`
   * calls per second; `pollers` are the workers polling it now (none: its orders wait).
   */
  taskQueue: z.object({ name: z.string(), rateLimit: z.number(), pollers: z.array(z.string()) }),
  accounts: z.array(
    z.object({
      name: z.string(),
      credentials: z.enum(['env', 'file', 'none']),
      health: z.string(),
      detail: z.string(),
      checkedAt: z.string().nullable(),
      /** The request budget the worker keeps to for this account. */
      rateLimit: z.string(),
      /**
       * Its private order stream in each worker polling now, per market: `down` means that worker's
       * watches poll the venue until it is back. Empty where no watch has run or the venue has none.
       */
      orderStreams: z.array(
        z.object({
          market: z.string(),
          worker: z.string(),
          state: z.enum(['live', 'down']),
          /** `subscribed`, or why it ended: a connector error kind, `error` or `closed`. */
          detail: z.string(),
          since: z.string(),
        }),
      ),
    }),
  ),
});

/** `GET /venues`: the configured venues, their markets and accounts (never a credential), with health. */
export const venueRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const venues = deps.venues ?? defaultVenuesConfig();
  app.get(
    '/venues',
    {
      schema: {
        tags: ['venues'],
        summary:
          "Configured venues, markets and accounts with each account's start-up check (ok, bad-credentials, unreachable, error), the venue's order queue with its rate limit and pollers, and each account's order streams in the workers running now",
        response: { 200: z.object({ source: z.string(), venues: z.array(VenueViewSchema) }) },
      },
    },
    async () => {
      const [workers, queues] = await Promise.all([
        pollingWorkers(deps.temporal, deps.taskQueue),
        Promise.all(venues.venues.map((setup) => venueQueueView(deps.temporal, deps.taskQueue, setup))),
      ]);
      return { source: venues.source, venues: await venuesView(venues, deps.pool, workers, queues) };
    },
  );
};
