import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { orchestratorControl } from '../orchestrator';
import { ControlResultSchema, ErrorSchema } from '../schemas';

/** A zero-length body (e.g. `Content-Type: text/plain` with nothing after it) is no body. */
const hasBody = (body: unknown) => body !== undefined && body !== '';

/** Global pause and resume: every symbol at once. */
export const controlRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const control = orchestratorControl(deps.temporal, deps.orchestrator);
  for (const action of ['pause', 'resume'] as const) {
    /**
     * These act on every symbol, so anything that looks like naming one (`{"symbol":"BTC-USDT"}`,
     * `?symbol=...`) is refused before the orchestrator hears of it, rather than ignored.
     */
    const takesNothing = async (request: FastifyRequest, reply: FastifyReply) => {
      if (hasBody(request.body) || Object.keys(request.query as object).length > 0)
        return refuse(
          reply,
          400,
          `POST /${action} acts on every symbol and takes no body or query; ` +
            `to ${action} one symbol use POST /symbols/:symbol/${action}`,
        );
    };
    app.post(
      `/${action}`,
      {
        config: { access: 'mutate' },
        preValidation: takesNothing,
        schema: {
          tags: ['control'],
          summary:
            action === 'pause'
              ? 'Pause every symbol (no body: POST /symbols/:symbol/pause pauses one)'
              : 'Resume every symbol (no body: POST /symbols/:symbol/resume resumes one)',
          response: { 200: ControlResultSchema, 400: ErrorSchema },
        },
      },
      async () => control[action](),
    );
  }
};
