import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultVenuesConfig } from '../../config/venues';
import { riskOverview } from '../../db/risk';
import { venueHealth } from '../../db/risk-observations';
import { accountHealth, orderStreams } from '../../db/venue-accounts';
import { venueTaskQueue } from '../../domain/venue-task-queue';
import { temporalApi } from '../../temporal/proto';
import { shardForSymbol } from '../../workflows/orchestrator/shard-routing';
import type { ApiDependencies } from '../app';
import { orchestratorControl, temporalUnavailable } from '../orchestrator';
import { riskControl } from '../risk';
import { downTooLong, pollingWorkers, unhealthyAccounts } from '../venues';

const CheckSchema = z.object({
  ok: z.boolean(),
  detail: z.string().optional(),
  /** How long the check took to answer, ms (a slow component shows here before it fails). */
  latencyMs: z.number().optional(),
});
type Check = z.infer<typeof CheckSchema>;

/** Each task queue a worker must poll, by kind of task: how many pollers, and which. */
const WorkersCheckSchema = CheckSchema.extend({
  taskQueues: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['workflow', 'activity']),
      pollers: z.number(),
      /** Temporal identities of the pollers (the first 20). */
      identities: z.array(z.string()),
      /** When a poller last asked for a task, ms ago (null: none). */
      lastPollAgoMs: z.number().nullable(),
    }),
  ),
});
type WorkersCheck = z.infer<typeof WorkersCheckSchema>;

/** The venues check, with each configured account and each venue's recent call latency and errors. */
const VenuesCheckSchema = CheckSchema.extend({
  accounts: z.array(
    z.object({ venue: z.string(), account: z.string(), state: z.string(), checkedAt: z.string().nullable() }),
  ),
  /** Every worker's calls to each venue over the last 5 minutes (activities/venue-calls.ts records them). */
  calls: z.array(
    z.object({
      venue: z.string(),
      calls: z.number(),
      errors: z.number(),
      p50Ms: z.number(),
      p99Ms: z.number(),
      lastOk: z.boolean(),
    }),
  ),
});
type VenuesCheck = z.infer<typeof VenuesCheckSchema>;
const VENUE_CALL_WINDOW_MS = 5 * 60_000;

/** A protobuf timestamp (seconds as a Long) in ms since the epoch. */
const timestampMs = (ts: { seconds?: { toString(): string } | number | null; nanos?: number | null }) =>
  Number(ts.seconds?.toString() ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);

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
    latencyMs: z.number().optional(),
  }),
  z.object({ ok: z.literal(false), detail: z.string(), latencyMs: z.number().optional() }),
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
    workers: WorkersCheckSchema,
    symbols: SymbolsCheckSchema,
    orchestrator: OrchestratorCheckSchema,
    risk: RiskCheckSchema,
    venues: VenuesCheckSchema,
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
  const venuesCheck = async (): Promise<VenuesCheck> => {
    const [health, calls, workers] = await Promise.all([
      accountHealth(deps.pool),
      venueHealth(deps.pool, VENUE_CALL_WINDOW_MS),
      pollingWorkers(deps.temporal, deps.taskQueue),
    ]);
    const unhealthy = unhealthyAccounts(venues, health);
    const down = downTooLong(await orderStreams(deps.pool, workers));
    const accounts = venues.venues.flatMap((setup) =>
      setup.accounts.map((account) => {
        const row = health.find((entry) => entry.venue === setup.venue && entry.account === account.name);
        return {
          venue: setup.venue,
          account: account.name,
          state: row?.state ?? 'unchecked',
          checkedAt: row?.checked_at.toISOString() ?? null,
        };
      }),
    );
    const seen = { accounts, calls };
    if (unhealthy.length === 0 && down.length === 0)
      return {
        ok: true,
        detail: accounts.length === 0 ? 'the in-process simulator' : `${accounts.length} accounts ok`,
        ...seen,
      };
    const problems = [
      ...unhealthy.map((row) => `${row.venue}/${row.account}: ${row.state} (${row.detail})`),
      ...down.map(
        (row) =>
          `${row.venue}/${row.market}/${row.account}: order stream down in ${row.worker} since ${row.changed_at.toISOString()} (${row.detail}); its watches poll`,
      ),
    ];
    return { ok: false, detail: problems.join('; '), ...seen };
  };

  /**
   * The task queues Keel's workers must poll: the main one for both kinds, each venue's order queue (orders
   * to a venue nobody polls for wait unseen), each extra one for activities.
   */
  const queues = [
    { name: deps.taskQueue, type: 'workflow' as const },
    { name: deps.taskQueue, type: 'activity' as const },
    ...venues.venues.map(({ venue }) => ({
      name: venueTaskQueue(deps.taskQueue, venue),
      type: 'activity' as const,
    })),
    ...(deps.activityTaskQueues ?? []).map((name) => ({ name, type: 'activity' as const })),
  ];
  const workersCheck = async (): Promise<WorkersCheck> => {
    const now = Date.now();
    const taskQueues = await Promise.all(
      queues.map(async ({ name, type }) => {
        const response = await deps.temporal.workflowService.describeTaskQueue({
          namespace: deps.temporal.options.namespace,
          taskQueue: { name, kind: temporalApi.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType:
            type === 'workflow'
              ? temporalApi.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
              : temporalApi.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        const pollers = response.pollers ?? [];
        const lastPolls = pollers.flatMap((poller) =>
          poller.lastAccessTime ? [timestampMs(poller.lastAccessTime)] : [],
        );
        return {
          name,
          type,
          pollers: pollers.length,
          identities: pollers.slice(0, 20).flatMap((poller) => (poller.identity ? [poller.identity] : [])),
          lastPollAgoMs: lastPolls.length > 0 ? Math.max(0, now - Math.max(...lastPolls)) : null,
        };
      }),
    );
    const idle = taskQueues.filter((queue) => queue.pollers === 0);
    return {
      ok: idle.length === 0,
      detail:
        idle.length === 0
          ? taskQueues.map((queue) => `${queue.pollers} ${queue.type} pollers on ${queue.name}`).join(', ')
          : `no worker polls ${idle.map((queue) => `${queue.name} for ${queue.type} tasks`).join(', ')}`,
      taskQueues,
    };
  };

  /** A check with the time it took; every check starts when the report does, so they overlap. */
  const timed = async <C extends Check>(check: Promise<C>): Promise<C> => {
    const started = performance.now();
    const result = await check;
    return { ...result, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  };
  /** Two checks answered by one read (the orchestrator's status): both took its time. */
  const timedPair = async <A extends Check, B extends Check>(pair: Promise<[A, B]>): Promise<[A, B]> => {
    const started = performance.now();
    const [a, b] = await pair;
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return [
      { ...a, latencyMs },
      { ...b, latencyMs },
    ];
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
      const [temporalCheck, postgresCheck, workers, [orchestrator, symbols], risk, venuesState] =
        await control.within(() =>
          Promise.all([
            timed(
              deps.temporal.workflowService
                .getSystemInfo({})
                .then((info): Check => ({ ok: true, detail: `server ${info.serverVersion}` }))
                .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
            ),
            timed(checkPostgres()),
            timed(
              workersCheck().catch((error: unknown): WorkersCheck => ({
                ok: false,
                detail: reason(error),
                taskQueues: [],
              })),
            ),
            timedPair(
              orchestratorCheck().catch((error: unknown): [OrchestratorCheck, SymbolsCheck] => [
                { ok: false, detail: reason(error) },
                { ok: false, detail: `unknown: ${reason(error)}`, unhealthy: [] },
              ]),
            ),
            timed(
              bounded(
                () =>
                  riskCheck().catch((error: unknown): RiskCheck => ({
                    ok: false,
                    detail: reason(error),
                    states: [],
                  })),
                (detail) => ({ ok: false, detail, states: [] }),
              ),
            ),
            timed(
              bounded(
                () =>
                  venuesCheck().catch((error: unknown): VenuesCheck => ({
                    ok: false,
                    detail: reason(error),
                    accounts: [],
                    calls: [],
                  })),
                (detail) => ({ ok: false, detail, accounts: [], calls: [] }),
              ),
            ),
          ]),
        );
      const checks = {
        temporal: temporalCheck,
        postgres: postgresCheck,
        workers,
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
