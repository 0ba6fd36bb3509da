import type { FastifyPluginAsync } from 'fastify';
import { temporalApi } from '../../temporal/proto';
import { shardForSymbol } from '../../workflows/orchestrator/shard-routing';
import type { ApiDependencies } from '../app';
import { orchestratorControl } from '../orchestrator';

interface Check {
  ok: boolean;
  detail?: string;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const healthRoutes: FastifyPluginAsync<ApiDependencies> = async (app, deps) => {
  app.get('/health', async () => ({ status: 'ok' }));

  const control = orchestratorControl(deps.temporal, deps.orchestrator);
  /** Per-shard counts: symbols the root routed there, and what the shard holds by child status. */
  const orchestratorCheck = async () => {
    const status = await control.status();
    const held = await control.shardEntries(status);
    const shards = status.shards.map((shard) => {
      const byStatus: Record<string, number> = {};
      for (const entry of held.values()) {
        if (!entry.workflowId || shardOf(status, entry.symbol) !== shard.index) continue;
        byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
      }
      return { ...shard, byStatus };
    });
    return {
      ok: true,
      detail: `${status.symbolCount} symbols on ${status.shardCount} shards${status.globalPaused ? ' (paused)' : ''}`,
      workflowId: status.workflowId,
      globalPaused: status.globalPaused,
      droppedSignals: status.droppedSignals,
      shards,
    };
  };
  const shardOf = (status: Awaited<ReturnType<typeof control.status>>, symbol: string) =>
    shardForSymbol(symbol, status.shardCount);

  app.get('/status', async (_request, reply) => {
    const [temporalCheck, postgresCheck, workersCheck, orchestrator] = await Promise.all([
      deps.temporal.workflowService
        .getSystemInfo({})
        .then((info): Check => ({ ok: true, detail: `server ${info.serverVersion}` }))
        .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
      deps.pool
        .query('SELECT 1')
        .then((): Check => ({ ok: true }))
        .catch((error: unknown): Check => ({ ok: false, detail: reason(error) })),
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
      orchestratorCheck().catch((error: unknown) => ({ ok: false, detail: reason(error) })),
    ]);
    const checks = { temporal: temporalCheck, postgres: postgresCheck, workers: workersCheck, orchestrator };
    const healthy = Object.values(checks).every((check) => check.ok);
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', checks });
  });
};
