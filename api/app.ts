import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { healthRoutes } from './routes/health';

export interface ApiDependencies {
  temporal: Client;
  pool: Pool;
  taskQueue: string;
  logger?: boolean;
}

/** The control API without a listening socket: tests inject requests, `workers/main.ts` listens. */
export async function buildApp(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false });
  await app.register(healthRoutes, deps);
  return app;
}
