import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import type { KeelConfig } from '../config/keel-config';
import type { VenuesConfig } from '../config/venues';
import { authenticate, declareAccess, DOCS_PREFIX } from './auth';
import { answerError, answerFrameworkError } from './errors';
import type { QuotePort } from './live/market-watch';
import { apiLogger } from './log';
import { defaultOrchestratorRef, type OrchestratorRef } from './orchestrator';
import type { RiskRef } from './risk';
import { backtestRoutes } from './routes/backtests';
import { codecRoutes, type CodecEndpoint } from './routes/codec';
import { controlRoutes } from './routes/control';
import { dashboardRoutes } from './routes/dashboard';
import { exportRoutes } from './routes/exports';
import { healthRoutes } from './routes/health';
import { ledgerRoutes } from './routes/ledger';
import { liveRoutes, websocketSupport } from './routes/live';
import { manualOrderRoutes } from './routes/manual-orders';
import { metricsRoutes } from './routes/metrics';
import { riskRoutes } from './routes/risk';
import { scannerRoutes } from './routes/scanner';
import { symbolRoutes } from './routes/symbols';
import { venueRoutes } from './routes/venues';
import type { ScannerRef } from './scanner';

export interface ApiDependencies {
  temporal: Client;
  pool: Pool;
  taskQueue: string;
  /** KEEL_LOG_LEVEL: the API's log (pino, JSON lines, secrets redacted); without it the API logs nothing. */
  logLevel?: KeelConfig['KEEL_LOG_LEVEL'];
  /** Where log lines go: stdout by default; tests capture them. */
  logStream?: { write(line: string): void };
  /** The root to steer; production: `keel-orchestrator`. */
  orchestrator?: OrchestratorRef;
  /** The risk workflow; production: `keel-risk`. */
  risk?: RiskRef;
  /** The scanner's workflows: production `scanner-spread-engine` and `scanner-pair-discovery-now`. */
  scanner?: ScannerRef;
  /** KEEL_API_TOKEN: the bearer token of every mutating route (it reads too); without it mutations are refused. */
  apiToken?: string | undefined;
  /** KEEL_API_READ_TOKEN: a bearer token that only reads; without either token reads are refused. */
  readToken?: string | undefined;
  /** KEEL_KILL_SWITCH_TOKEN: only redacted from the log here; the worker checks a lift's proof of it. */
  killSwitchToken?: string | undefined;
  /** The venues the workers trade on (config/venues.ts); the simulator default when not given. */
  venues?: VenuesConfig;
  /** How long a read waits for Temporal before answering 503 (TEMPORAL_READ_TIMEOUT_MS by default). */
  temporalReadTimeoutMs?: number;
  /** Market data for the live feed's `kline` and `book` (the process with the connectors provides it). */
  market?: QuotePort;
  /** Task queues besides `taskQueue` whose activities a worker must poll for /status to be ok (the scanner's). */
  activityTaskQueues?: string[];
  /** The Temporal Web UI the dashboard links each workflow to (none for an external server). */
  temporalUiUrl?: string | undefined;
  /** How often the live feed reads symbol, risk, account and tracking state while followed (default 2000 ms). */
  liveStatusIntervalMs?: number;
  /** Width of the live feed's candles in seconds (default 60). */
  klineIntervalSeconds?: number;
  /** How long a manual order's request waits to be carried out before answering 202 (MANUAL_ORDER_WAIT_MS). */
  manualOrderWaitMs?: number;
  /** The payload codec (KEEL_CODEC_KEYS) served at `/codec` to the Temporal Web UI; none: no such route. */
  codec?: CodecEndpoint;
}

type ResolvedDependencies = ApiDependencies & { orchestrator: OrchestratorRef };
declare module 'fastify' {
  interface FastifyInstance {
    keelDeps?: ResolvedDependencies;
  }
}

/**
 * Slow or stalled clients. A request's headers and body must arrive within 10 s (its largest body, 256 KiB,
 * takes 2 s at 1 Mbit/s), checked every second; then the connection is answered 408 and closed. An idle
 * keep-alive connection is closed after 10 s. A socket silent in both directions for 60 s is destroyed:
 * longer than any handler takes (reads are bounded at 5 s, mutations wait for the root to accept them), so
 * it only ever cuts off a dead peer.
 */
export const API_TIMEOUTS = {
  requestTimeout: 10_000,
  keepAliveTimeout: 10_000,
  connectionTimeout: 60_000,
  http: { headersTimeout: 10_000, connectionsCheckingInterval: 1_000 },
} as const;

const BODY_LIMIT = 256 * 1024;
/**
 * The longest path segment the router takes (else 414): a scanner tracking id, URL-encoded as one segment,
 * is up to ~115 characters (a 31-character symbol, the longest direction, a run id).
 */
const MAX_PARAM_LENGTH = 160;

/** The control API without a listening socket: tests inject requests, `workers/main.ts` listens. */
export async function buildApp(deps: ApiDependencies): Promise<FastifyInstance> {
  const resolved = { ...deps, orchestrator: deps.orchestrator ?? defaultOrchestratorRef };
  const app = Fastify({
    logger: apiLogger({ ...deps, secrets: [deps.apiToken, deps.readToken, deps.killSwitchToken] }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ...API_TIMEOUTS,
    frameworkErrors: answerFrameworkError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // WebSocket upgrades are marked as such before authentication, so a refused one is closed once answered.
  await app.register(websocket, websocketSupport);
  // Authenticate first: before the body is read, parsed or validated.
  app.addHook('onRoute', declareAccess);
  app.addHook('onRequest', authenticate({ mutate: deps.apiToken, read: deps.readToken }));

  app.setErrorHandler(answerError);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Keel control API', version: '0.1.0', description: 'Steer the Keel orchestrator.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
  await app.register(healthRoutes, resolved);
  await app.register(symbolRoutes, resolved);
  await app.register(controlRoutes, resolved);
  await app.register(ledgerRoutes, resolved);
  await app.register(manualOrderRoutes, resolved);
  await app.register(riskRoutes, resolved);
  await app.register(venueRoutes, resolved);
  await app.register(scannerRoutes, resolved);
  await app.register(metricsRoutes, resolved);
  await app.register(liveRoutes, resolved);
  await app.register(exportRoutes, resolved);
  await app.register(backtestRoutes, resolved);
  if (deps.codec) await app.register(codecRoutes, { codec: deps.codec });
  await app.register(dashboardRoutes, resolved);
  return app;
}
