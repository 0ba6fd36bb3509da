import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { processRegistry } from '../../metrics/registry';
import { createStateMetrics } from '../../metrics/state-metrics';
import type { ApiDependencies } from '../app';

/**
 * `GET /metrics`, Prometheus's text format: this process's order-path counters and latencies, venue calls
 * and Node process metrics, then what Keel holds now, read from the ledger and Temporal at each scrape.
 * A read like any other: with a token set, Prometheus presents it (`authorization` in its scrape config).
 */
export const metricsRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const state = createStateMetrics({ pool: deps.pool, temporal: deps.temporal });
  app.get(
    '/metrics',
    { schema: { tags: ['metrics'], summary: 'Prometheus metrics (text exposition format)' } },
    async (_request, reply) => {
      await state.refresh();
      const text = `${await processRegistry.metrics()}\n${await state.registry.metrics()}`;
      return reply.type(processRegistry.contentType).send(text);
    },
  );
};
