import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { ControlRefused, defaultOrchestratorRef, type OrchestratorRef } from './orchestrator';
import { controlRoutes } from './routes/control';
import { healthRoutes } from './routes/health';
import { ledgerRoutes } from './routes/ledger';
import { symbolRoutes } from './routes/symbols';

export interface ApiDependencies {
  temporal: Client;
  pool: Pool;
  taskQueue: string;
  logger?: boolean;
  /** The root to steer; production: `keel-orchestrator`. */
  orchestrator?: OrchestratorRef;
  /** KEEL_API_TOKEN: required as a bearer token on every mutating route; without it mutations are refused. */
  apiToken?: string | undefined;
}

type ResolvedDependencies = ApiDependencies & { orchestrator: OrchestratorRef };
declare module 'fastify' {
  interface FastifyInstance {
    keelDeps?: ResolvedDependencies;
  }
}

/** The control API without a listening socket: tests inject requests, `workers/main.ts` listens. */
export async function buildApp(deps: ApiDependencies): Promise<FastifyInstance> {
  const resolved = { ...deps, orchestrator: deps.orchestrator ?? defaultOrchestratorRef };
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 256 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Bad input is always a 4xx with a message; only our own faults (or Temporal being away) are 5xx.
  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation
        .map((issue) => `${issue.instancePath || '(root)'}: ${issue.message ?? 'invalid'}`)
        .join('; ');
      return reply
        .code(400)
        .send({ error: 'Bad Request', message: `invalid ${error.validationContext}: ${details}` });
    }
    if (error instanceof ControlRefused) {
      const names = {
        400: 'Bad Request',
        404: 'Not Found',
        409: 'Conflict',
        503: 'Service Unavailable',
      } as const;
      return reply.code(error.statusCode).send({ error: names[error.statusCode], message: error.message });
    }
    const statusCode =
      typeof error === 'object' && error && 'statusCode' in error ? Number(error.statusCode) : 500;
    if (statusCode >= 400 && statusCode < 500) {
      const message = error instanceof Error ? error.message : 'bad request';
      return reply.code(statusCode).send({ error: 'Bad Request', message });
    }
    request.log.error(error);
    return reply
      .code(500)
      .send({ error: 'Internal Server Error', message: 'unexpected error; see the API log' });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Keel control API', version: '0.1.0', description: 'Steer the Keel orchestrator.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, resolved);
  await app.register(symbolRoutes, resolved);
  await app.register(controlRoutes, resolved);
  await app.register(ledgerRoutes, resolved);
  return app;
}
