import type { FastifyPluginAsync } from 'fastify';
import { temporalApi } from '../../temporal/proto';
import type { ApiDependencies } from '../app';

interface Check {
  ok: boolean;
  detail?: string;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const healthRoutes: FastifyPluginAsync<ApiDependencies> = async (app, deps) => {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/status', async (_request, reply) => {
    const [temporalCheck, postgresCheck, workersCheck] = await Promise.all([
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
    ]);
    const checks = { temporal: temporalCheck, postgres: postgresCheck, workers: workersCheck };
    const healthy = Object.values(checks).every((check) => check.ok);
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', checks });
  });
};
