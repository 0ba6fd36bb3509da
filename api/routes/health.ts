import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultVenuesConfig } from '../../config/venues';
import { riskOverview } from '../../db/risk';
import { orderStreams } from '../../db/venue-accounts';
import { temporalApi } from '../../temporal/proto';
import { shardForSymbol } from '../../workflows/orchestrator/shard-routing';
import type { ApiDependencies } from '../app';
import { orchestratorControl, temporalUnavailable } from '../orchestrator';
import { riskControl } from '../risk';
import { downTooLong, pollingWorkers, unhealthyAccounts } from '../venues';

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
type Check = z.infer<typeof CheckSchema>;

/** The orchestrator check: per-shard counts when the root answers, else why not. */
const OrchestratorCheckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    detail: z.string(),
    workflowId: z.string(),
    globalPaused: z.boolean(),
    droppedSignals: z.number(),
    shards: z.array(
      z.object({
        index: z.number(),
        workflowId: z.string(),
        /** Symbols the root routed to this shard. */
        symbols: z.number(),
        /** What the shard holds, counted by its children's status (starting, running, pausing, paused, stopping). */
        byStatus: z.record(z.string(), z.number()),
      }),
    ),
  }),
  z.object({ ok: z.literal(false), detail: z.string() }),
]);
type OrchestratorCheck = z.infer<typeof OrchestratorCheckSchema>;

/** Every registered symbol that is not healthy, as its shard knows it: failed or degraded, with why. */
const SymbolsCheckSchema = CheckSchema.extend({
  unhealthy: z.array(z.object({ symbol: z.string(), status: z.string(), problems: z.array(z.string()) })),
});
type SymbolsCheck = z.infer<typeof SymbolsCheckSchema>;
const UNHEALTHY = new Set(['failed', 'degraded']);

/** The risk engine: not ok while any trading state other than ACTIVE holds (kill switch, breaker, operator). */
const RiskCheckSchema = CheckSchema.extend({
  states: z.array(
    z.object({
      scope: z.string(),
      key: z.string(),
      source: z.string(),
      state: z.string(),
      reason: z.string(),
    }),
  ),
});
type RiskCheck = z.infer<typeof RiskCheckSchema>;

const StatusSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    temporal: CheckSchema,
    postgres: CheckSchema,
    workers: CheckSchema,
    symbols: SymbolsCheckSchema,
    orchestrator: OrchestratorCheckSchema,
    risk: RiskCheckSchema,
    venues: CheckSchema,
  }),
});

export const healthRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const tags = ['health'];
  const control = orchestratorControl(deps.temporal, deps.orchestrator, {
    readTimeoutMs: deps.temporalReadTimeoutMs,
  });
  /** Why a check failed: Temporal's slowness said plainly, else the error's message. */
  const reason = (error: unknown) =>
    temporalUnavailable(error, control.readTimeoutMs) ??
    (error instanceof Error ? error.message : String(error));

  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Liveness: the API process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  /** A database check bounded like Temporal's (waiting for a pooled client included): late is a failure. */
  const bounded = async <C extends Check>(
    check: () => Promise<C>,
    late: (detail: string) => C,
  ): Promise<C> => {
    const timer = new AbortController();
    const lateAnswer = sleep(control.readTimeoutMs, undefined, { signal: timer.signal }).then(
      () => late(`PostgreSQL did not answer within ${control.readTimeoutMs / 1000} s`),
      () => late('aborted'),
    );
    return Promise.race([check(), lateAnswer]).finally(() => timer.abort());
  };

  const checkPostgres = (): Promise<Check> =>
    bounded(
      () =>
        deps.pool
          .query('SELECT 1')
          .then((): Check => ({ ok: true }))
          .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
      (detail) => ({ ok: false, detail }),
    );

  /**
   * Trading states from the database (where they hold whether or not the risk workflow runs) and, when the
   * API steers one, the risk workflow's answer: breakers that cannot look are not watching.
   */
  const riskCheck = async (): Promise<RiskCheck> => {
    const { states } = await riskOverview(deps.pool);
    const listed = states.map((row) => ({
      scope: row.scope,
      key: row.scope_key,
      source: row.source,
      state: row.state,
      reason: row.reason,
    }));
    const workflow = deps.risk ? await riskControl(deps.temporal, deps.risk).status() : undefined;
    const problems = [
      ...listed.map(
        (row) => `${row.scope}${row.key ? ` ${row.key}` : ''} ${row.state} by ${row.source}: ${row.reason}`,
      ),
      ...(workflow?.lookFailing ? [`the circuit breakers cannot look: ${workflow.lookFailing}`] : []),
    ];
    return {
      ok: problems.length === 0,
      detail: problems.length === 0 ? 'every scope ACTIVE' : problems.join('; '),
      states: listed,
    };
  };

  /** Per-shard counts: symbols the root routed there, and what the shard holds by child status. */
  const orchestratorCheck = async (): Promise<[OrchestratorCheck, SymbolsCheck]> => {
    const status = await control.status();
    const held = await control.shardEntries(status);
    const unhealthy = [...held.values()]
      .filter((entry) => UNHEALTHY.has(entry.status))
      .map(({ symbol, status: symbolStatus, problems }) => ({
        symbol,
        status: symbolStatus,
        problems: problems ?? [],
      }));
    const symbols: SymbolsCheck = {
      ok: unhealthy.length === 0,
      detail:
        unhealthy.length === 0
          ? `${held.size} symbols, none failed or degraded`
          : `${unhealthy.length} of ${held.size} symbols failed or degraded: ${unhealthy
              .slice(0, 10)
              .map((entry) => `${entry.symbol} (${entry.status})`)
              .join(', ')}`,
      unhealthy: unhealthy.slice(0, 100),
    };
    const shards = status.shards.map((shard) => {
      const byStatus: Record<string, number> = {};
      for (const entry of held.values()) {
        if (!entry.workflowId || shardOf(status, entry.symbol) !== shard.index) continue;
        byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
      }
      return { ...shard, byStatus };
    });
    const orchestrator: OrchestratorCheck = {
      ok: true,
      detail: `${status.symbolCount} symbols on ${status.shardCount} shards${status.globalPaused ? ' (paused)' : ''}`,
      workflowId: status.workflowId,
      globalPaused: status.globalPaused,
      droppedSignals: status.droppedSignals,
      shards,
    };
    return [orchestrator, symbols];
  };
  const shardOf = (status: Awaited<ReturnType<typeof control.status>>, symbol: string) =>
    shardForSymbol(symbol, status.shardCount);

  const venues = deps.venues ?? defaultVenuesConfig();
  /**
   * Every configured account's start-up check, and the order streams of the workers running now: an
   * account a venue refused or could not answer, or a stream down longer than a reconnect takes (its
   * watches poll the venue meanwhile), fails this.
   */
  const venuesCheck = async (): Promise<Check> => {
    const unhealthy = await unhealthyAccounts(venues, deps.pool);
    const workers = await pollingWorkers(deps.temporal, deps.taskQueue);
    const down = downTooLong(await orderStreams(deps.pool, workers));
    const accounts = venues.venues.reduce((count, setup) => count + setup.accounts.length, 0);
    if (unhealthy.length === 0 && down.length === 0)
      return { ok: true, detail: accounts === 0 ? 'the in-process simulator' : `${accounts} accounts ok` };
    const problems = [
      ...unhealthy.map((row) => `${row.venue}/${row.account}: ${row.state} (${row.detail})`),
      ...down.map(
        (row) =>
          `${row.venue}/${row.market}/${row.account}: order stream down in ${row.worker} since ${row.changed_at.toISOString()} (${row.detail}); its watches poll`,
      ),
    ];
    return { ok: false, detail: problems.join('; ') };
  };

  app.get(
    '/status',
    {
      schema: {
        tags,
        summary:
          'Readiness: Temporal, PostgreSQL, workflow pollers, the orchestrator with per-shard counts, every failed or degraded symbol, and every trading state that is not ACTIVE, every venue account whose start-up check failed or whose order stream has been down over a minute (503 when any check fails or Temporal does not answer in time)',
        response: { 200: StatusSchema, 503: StatusSchema },
      },
    },
    async (_request, reply) => {
      // One deadline for every Temporal call of the report: a slow Temporal fails its checks, never hangs.
      const [temporalCheck, postgresCheck, workersCheck, [orchestrator, symbols], risk, venuesState] =
        await control.within(() =>
          Promise.all([
            deps.temporal.workflowService
              .getSystemInfo({})
              .then((info): Check => ({ ok: true, detail: `server ${info.serverVersion}` }))
              .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
            checkPostgres(),
            deps.temporal.workflowService
              .describeTaskQueue({
                namespace: deps.temporal.options.namespace,
                taskQueue: {
                  name: deps.taskQueue,
                  kind: temporalApi.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
                },
                taskQueueType: temporalApi.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
              })
              .then((response): Check => {
                const pollers = response.pollers?.length ?? 0;
                return { ok: pollers > 0, detail: `${pollers} workflow pollers on ${deps.taskQueue}` };
              })
              .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
            orchestratorCheck().catch((error: unknown): [OrchestratorCheck, SymbolsCheck] => [
              { ok: false, detail: reason(error) },
              { ok: false, detail: `unknown: ${reason(error)}`, unhealthy: [] },
            ]),
            bounded(
              () =>
                riskCheck().catch((error: unknown): RiskCheck => ({
                  ok: false,
                  detail: reason(error),
                  states: [],
                })),
              (detail) => ({ ok: false, detail, states: [] }),
            ),
            bounded(
              () => venuesCheck().catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
              (detail) => ({ ok: false, detail }),
            ),
          ]),
        );
      const checks = {
        temporal: temporalCheck,
        postgres: postgresCheck,
        workers: workersCheck,
        orchestrator,
        symbols,
        risk,
        venues: venuesState,
      };
      const healthy = Object.values(checks).every((check) => check.ok);
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', checks });
    },
  );
};
