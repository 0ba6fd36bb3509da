import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDependencies } from '../app';
import { bearerAuth } from '../auth';
import { orchestratorControl } from '../orchestrator';
import { ControlResultSchema, ErrorSchema } from '../schemas';

/** Global pause and resume: every symbol at once. */
export const controlRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const control = orchestratorControl(deps.temporal, deps.orchestrator);
  const auth = bearerAuth(deps.apiToken);
  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/${action}`,
      {
        preHandler: auth,
        schema: {
          tags: ['control'],
          summary: action === 'pause' ? 'Pause every symbol' : 'Resume every symbol',
          security: [{ bearer: [] }],
          response: { 200: ControlResultSchema, 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async () => control[action](),
    );
  }
};
