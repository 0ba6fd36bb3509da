import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BacktestReportSchema } from '../../db/backtest-report';
import { backtestRun, recentBacktestRuns, type BacktestRun } from '../../db/backtests';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { ErrorSchema } from '../schemas';

const BacktestRunSchema = z.object({
  id: z.string(),
  capture: z.string(),
  symbol: z.string(),
  market: z.string(),
  speed: z.number(),
  params: z.record(z.string(), z.unknown()),
  workflowId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  report: BacktestReportSchema,
});

const view = (run: BacktestRun) =>
  BacktestRunSchema.parse({
    ...run,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
  });

/** Finished backtest runs of the signal strategy (`npm run backtest`), each with the report it printed. */
export const backtestRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const tags = ['backtests'];

  app.get(
    '/backtests',
    {
      schema: {
        tags,
        summary: 'The latest finished backtest runs, newest first, each with its report',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ runs: z.array(BacktestRunSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => ({ runs: (await recentBacktestRuns(deps.pool, request.query.limit)).map(view) }),
  );

  app.get(
    '/backtests/:id',
    {
      schema: {
        tags,
        summary:
          "One backtest run's report: PnL, fees, trades, hit rate, adverse selection, tick → decision and decision → ack latencies",
        params: z.object({
          id: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a backtest run id such as bt-20261203140831-c6bd1e35'),
        }),
        response: { 200: BacktestRunSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const run = await backtestRun(deps.pool, request.params.id);
      if (!run) return refuse(reply, 404, `no backtest run ${request.params.id}`);
      return view(run);
    },
  );
};
