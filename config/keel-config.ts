import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT } from '../domain/ids';
import { CodecKeysSchema, type CodecKeys } from './codec-keys';
import { DeploymentVersionSchema } from './deployment-version';
import { StartupError } from './startup-error';

const port = z.coerce
  .number({ error: 'must be a port number (1-65535)' })
  .int('must be a port number (1-65535)')
  .min(1, 'must be a port number (1-65535)')
  .max(65535, 'must be a port number (1-65535)');
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Every setting Keel reads from the environment; `.env.example` lists them with their defaults. */
export const KeelConfigSchema = z.object({
  KEEL_DATA_DIR: z.string().min(1).default('.keel-data'),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_GRPC_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('keel'),
  TEMPORAL_CLI: optionalString,
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  KEEL_EMBEDDED_PG_PORT: port.default(54329),
  KEEL_API_HOST: z.string().min(1).default('127.0.0.1'),
  KEEL_API_PORT: port.default(3000),
  /**
   * Where the Temporal SDK serves its own worker metrics for Prometheus (`host:port`, path /metrics), or
   * `off`. Keel's metrics are the API's `GET /metrics`.
   */
  KEEL_SDK_METRICS_ADDRESS: z
    .string()
    .regex(/^(off|[^\s:]+:\d{1,5})$/, 'must be host:port or off')
    .default('127.0.0.1:9464'),
  /** How often the performance snapshot is taken (ms; a Temporal Schedule). Seed 003's interval: 60 s. */
  KEEL_PERFORMANCE_SNAPSHOT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  /** Bearer token of the API's mutations; it reads too. Unset: mutations answer 403. */
  KEEL_API_TOKEN: optionalString,
  /** Bearer token that only reads (ledger, symbols, status). Unset and no KEEL_API_TOKEN: reads answer 403. */
  KEEL_API_READ_TOKEN: optionalString,
  /** Lifting the kill switch needs it (API body `token`, or a proof made with it). Unset: nothing lifts it. */
  KEEL_KILL_SWITCH_TOKEN: optionalString,
  /** Shards of a new orchestrator root; a running root keeps the count it started with. */
  KEEL_SHARD_COUNT: z.coerce.number().int().min(1).max(MAX_SHARD_COUNT).default(DEFAULT_SHARD_COUNT),
  /** Symbols `npm start` runs a demonstration grid on against the simulator; `none` for none. */
  KEEL_DEMO_GRIDS: z
    .string()
    .default('BTC-USDT,ETH-USDT')
    .transform((value) =>
      value.trim() === 'none'
        ? []
        : value
            .split(',')
            .map((symbol) => symbol.trim())
            .filter(Boolean),
    ),
  /** The venue and account configuration file (YAML or JSON, docs/venues.md); unset: the in-process simulator. */
  KEEL_CONFIG: optionalString,
  KEEL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * `on`: `npm start` also runs the spread scanner (docs/scanner.md): discovery on its schedule and now if no
   * snapshot exists, the engine on its own task queue, trackers on the main one.
   */
  KEEL_SCANNER: z.enum(['on', 'off']).default('off'),
  /** How often pair discovery runs (`6h`, `30m`, ms-style). */
  KEEL_SCANNER_DISCOVERY_EVERY: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 6h or 30m')
    .default('6h'),
  /**
   * Payload encryption (AES-256-GCM) on every client and worker: `id:base64,...` (docs/temporal.md). Unset:
   * payloads are stored as they are. A secret: never logged.
   */
  KEEL_CODEC_KEYS: optionalString.pipe(CodecKeysSchema.optional()),
  /** The key new payloads are sealed with (one of KEEL_CODEC_KEYS; default the first). */
  KEEL_CODEC_ACTIVE_KEY: optionalString,
  /**
   * `npm run keel -- worker`: the task queues this worker polls, comma-separated (default TEMPORAL_TASK_QUEUE;
   * the scanner's `keel-scanner` too where it runs).
   */
  KEEL_WORKER_TASK_QUEUES: optionalString.transform((value) =>
    value
      ?.split(',')
      .map((queue) => queue.trim())
      .filter(Boolean),
  ),
  /** How a worker names itself to Temporal (histories, `temporal task-queue describe`); default keel-worker@host:pid. */
  KEEL_WORKER_IDENTITY: optionalString,
  /**
   * The worker deployment version this worker's code is (`keel.2026-12-03`; docs/fleet.md): set, the worker
   * uses Temporal's worker versioning and takes only the tasks of workflows on its version. Unset: unversioned.
   */
  KEEL_WORKER_DEPLOYMENT_VERSION: optionalString.pipe(DeploymentVersionSchema.optional()),
  /** The origin allowed to call the API's codec endpoint from a browser (the Temporal Web UI). */
  KEEL_CODEC_CORS_ORIGIN: z.string().min(1).default('http://127.0.0.1:8233'),
});

export type KeelConfig = Omit<
  z.infer<typeof KeelConfigSchema>,
  'KEEL_CODEC_KEYS' | 'KEEL_CODEC_ACTIVE_KEY'
> & {
  dataDir: string;
  /** The payload codec's keys, when encryption is on. */
  codecKeys: CodecKeys | undefined;
};

function codecKeysOf(config: z.infer<typeof KeelConfigSchema>): CodecKeys | string | undefined {
  const keys = config.KEEL_CODEC_KEYS;
  const active = config.KEEL_CODEC_ACTIVE_KEY;
  if (!keys)
    return active === undefined
      ? undefined
      : 'KEEL_CODEC_ACTIVE_KEY: names a key, but KEEL_CODEC_KEYS is missing';
  const activeKeyId = active ?? keys.keys().next().value!;
  if (!keys.has(activeKeyId)) return `KEEL_CODEC_ACTIVE_KEY: '${activeKeyId}' is not one of KEEL_CODEC_KEYS`;
  return { keys, activeKeyId };
}

/** Parses the environment once; a bad setting stops start-up with one line naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): KeelConfig {
  const parsed = KeelConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new StartupError(`bad configuration: ${problems.join('; ')}`);
  }
  const codecKeys = codecKeysOf(parsed.data);
  if (typeof codecKeys === 'string') throw new StartupError(`bad configuration: ${codecKeys}`);
  const { KEEL_CODEC_KEYS: _keys, KEEL_CODEC_ACTIVE_KEY: _active, ...settings } = parsed.data;
  return { ...settings, dataDir: resolve(parsed.data.KEEL_DATA_DIR), codecKeys };
}
