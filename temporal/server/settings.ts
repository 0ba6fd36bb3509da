import { join, resolve } from 'node:path';
import { z } from 'zod';
import { StartupError } from '../../config/startup-error';

const port = z.coerce
  .number({ error: 'must be a port number (1-65535)' })
  .int('must be a port number (1-65535)')
  .min(1, 'must be a port number (1-65535)')
  .max(65535, 'must be a port number (1-65535)');
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const databaseName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (a-z, 0-9, _)');

/** The environment of `npm run temporal:server`; docs/temporal-server.md lists every setting. */
export const TemporalServerEnvSchema = z.object({
  /** PostgreSQL holding the server's state: user, password, host and port; the path names the database. */
  TEMPORAL_SERVER_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\/[^/]+\/[a-z_][a-z0-9_]*$/,
      'must be postgres://user[:password]@host:port/database',
    )
    .default('postgres://postgres@127.0.0.1:5432/keel_temporal'),
  /** The visibility database (workflow lists and search attributes); `<database>_visibility` by default. */
  TEMPORAL_SERVER_VISIBILITY_DATABASE: optionalString.pipe(databaseName.optional()),
  /** Interface every service binds to; 127.0.0.1 keeps the server local to the machine. */
  TEMPORAL_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  /** The frontend's gRPC port: what workers, clients and the CLI connect to. */
  TEMPORAL_SERVER_GRPC_PORT: port.default(7233),
  /**
   * First of 8 consecutive ports: frontend HTTP, history/matching/worker gRPC, 4 membership ports. At most
   * 32760: PostgreSQL stores membership ports as SMALLINT.
   */
  TEMPORAL_SERVER_INTERNAL_PORTS: port
    .max(32760, 'must be at most 32760 (membership ports are SMALLINT)')
    .default(7234),
  /** Fixed when the database is first used: the server refuses to start with another count later. */
  TEMPORAL_SERVER_HISTORY_SHARDS: z.coerce.number().int().min(1).max(16384).default(4),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_SERVER_RETENTION_HOURS: z.coerce.number().int().min(1).max(87_600).default(72),
  /** Config files and the server's log; `$KEEL_DATA_DIR/temporal-server` by default. */
  TEMPORAL_SERVER_DIR: optionalString,
  KEEL_DATA_DIR: z.string().min(1).default('.keel-data'),
  /**
   * PostgreSQL connections per service and store: the server runs 4 services, each with its own pools, so
   * it may open 4 × (TEMPORAL_SERVER_MAX_CONNS + TEMPORAL_SERVER_VISIBILITY_MAX_CONNS) connections (56 by
   * default; PostgreSQL's default max_connections is 100).
   */
  TEMPORAL_SERVER_MAX_CONNS: z.coerce.number().int().min(1).max(1000).default(10),
  TEMPORAL_SERVER_VISIBILITY_MAX_CONNS: z.coerce.number().int().min(1).max(1000).default(4),
  TEMPORAL_SERVER_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
});

export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  visibilityDatabase: string;
  /** Pool sizes per service (see TEMPORAL_SERVER_MAX_CONNS). */
  maxConns: number;
  visibilityMaxConns: number;
}

export interface ServicePorts {
  frontendGrpc: number;
  frontendHttp: number;
  historyGrpc: number;
  matchingGrpc: number;
  workerGrpc: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

/** Everything the server's config, schema setup and namespace need. */
export interface TemporalServerSettings {
  postgres: PostgresSettings;
  host: string;
  ports: ServicePorts;
  historyShards: number;
  namespace: string;
  retentionHours: number;
  /** Where the config files and the log go. */
  dir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Dynamic config values on top of `serverDynamicConfig` (values as the YAML file takes them). */
  dynamicConfig?: Record<string, unknown>;
}

/** Ports laid out as TEMPORAL_SERVER_INTERNAL_PORTS documents: `grpc` and `base`..`base + 7`. */
export function portsFrom(grpc: number, base: number): ServicePorts {
  return {
    frontendGrpc: grpc,
    frontendHttp: base,
    historyGrpc: base + 1,
    matchingGrpc: base + 2,
    workerGrpc: base + 3,
    frontendMembership: base + 4,
    historyMembership: base + 5,
    matchingMembership: base + 6,
    workerMembership: base + 7,
  };
}

export function parsePostgresUrl(
  url: string,
  visibilityDatabase?: string,
  pools: Pick<PostgresSettings, 'maxConns' | 'visibilityMaxConns'> = { maxConns: 10, visibilityMaxConns: 4 },
): PostgresSettings {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.slice(1));
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
    database,
    visibilityDatabase: visibilityDatabase ?? `${database}_visibility`,
    ...pools,
  };
}

/** Reads the settings from the environment; a bad value is a one-line StartupError naming the variable. */
export function loadTemporalServerSettings(env: NodeJS.ProcessEnv = process.env): TemporalServerSettings {
  const parsed = TemporalServerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new StartupError(`invalid Temporal server settings: ${problems.join('; ')}`);
  }
  const settings = parsed.data;
  return {
    postgres: parsePostgresUrl(
      settings.TEMPORAL_SERVER_DATABASE_URL,
      settings.TEMPORAL_SERVER_VISIBILITY_DATABASE,
      {
        maxConns: settings.TEMPORAL_SERVER_MAX_CONNS,
        visibilityMaxConns: settings.TEMPORAL_SERVER_VISIBILITY_MAX_CONNS,
      },
    ),
    host: settings.TEMPORAL_SERVER_HOST,
    ports: portsFrom(settings.TEMPORAL_SERVER_GRPC_PORT, settings.TEMPORAL_SERVER_INTERNAL_PORTS),
    historyShards: settings.TEMPORAL_SERVER_HISTORY_SHARDS,
    namespace: settings.TEMPORAL_NAMESPACE,
    retentionHours: settings.TEMPORAL_SERVER_RETENTION_HOURS,
    dir: resolve(settings.TEMPORAL_SERVER_DIR ?? join(settings.KEEL_DATA_DIR, 'temporal-server')),
    logLevel: settings.TEMPORAL_SERVER_LOG_LEVEL,
  };
}

/** The address clients use. */
export function frontendAddress(settings: Pick<TemporalServerSettings, 'host' | 'ports'>): string {
  return `${settings.host}:${settings.ports.frontendGrpc}`;
}
