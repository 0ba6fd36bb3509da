import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { alertSettingsFromEnv } from '../activities/alerts';
import { defaultOrchestratorRef } from '../api/orchestrator';
import { formatDeploymentVersion } from '../config/deployment-version';
import { loadConfig, type KeelConfig } from '../config/keel-config';
import { describeStartupFailure, StartupError } from '../config/startup-error';
import { loadVenuesConfig, type VenuesConfig } from '../config/venues';
import { openDatabase } from '../db/database';
import { recordAccountChecks } from '../db/venue-accounts';
import { venueTaskQueue } from '../domain/venue-task-queue';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { SCANNER_TASK_QUEUE } from '../workflows/scanner/engine-workflow';
import { listenControlApi } from './control-api';
import { ensureControlWorkflows } from './control-workflows';
import { installRuntime } from './runtime';
import { startScanner } from './scanner';
import { venueConnectors } from './venue-connectors';
import { clientCodecOptions, createKeelWorker, venueQueuesOf } from './worker';

/**
 * Keel as a fleet's processes (issue #18), beside a Temporal server and a PostgreSQL that others run
 * (TEMPORAL_ADDRESS, DATABASE_URL) and venues every process reaches (a networked simulator, ccxt):
 *
 *   npm run keel -- worker   any number of them: each polls the task queues it is given
 *                            (KEEL_WORKER_TASK_QUEUES, default TEMPORAL_TASK_QUEUE and every
 *                            venue's order queue, TEMPORAL_TASK_QUEUE@<venue>)
 *   npm run keel -- api      the control API, and the control workflows it keeps running
 *
 * `npm start` still runs all of it (and a local Temporal, PostgreSQL and simulator) in one process.
 */
const ROLES = ['worker', 'api'] as const;
type Role = (typeof ROLES)[number];

/** How long a stopping worker lets its activities finish (an order being sent) before cancelling them. */
const SHUTDOWN_GRACE = '10 seconds';

interface Part {
  name: string;
  stop(): Promise<unknown>;
}

/** What every fleet process needs and cannot make for itself: the shared server, database and venues. */
function fleetSettings(role: Role, env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  if (!config.TEMPORAL_ADDRESS)
    throw new StartupError(
      `keel ${role}: TEMPORAL_ADDRESS is required (a fleet's processes share one Temporal server; npm start runs a local one)`,
    );
  if (!config.DATABASE_URL)
    throw new StartupError(
      `keel ${role}: DATABASE_URL is required (a fleet's processes share one ledger; npm start runs a local one)`,
    );
  const venues = loadVenuesConfig(config.KEEL_CONFIG);
  const local = venues.venues.find((setup) => setup.kind === 'sim' || setup.kind === 'paper');
  if (local)
    throw new StartupError(
      `keel ${role}: venue ${local.venue} is ${local.kind === 'sim' ? 'the in-process simulator' : 'a paper venue'}, which lives inside one process and a fleet cannot share: run \`npm run sim\` and configure it as kind sim-http in KEEL_CONFIG (${venues.source})`,
    );
  return { config: { ...config, TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS }, venues };
}

/**
 * The task queues a worker polls: by default its workflow queue and every configured venue's order queue;
 * KEEL_WORKER_TASK_QUEUES picks among those and the scanner's.
 */
function workerTaskQueues(config: KeelConfig, venues: VenuesConfig): string[] {
  const venueQueues = venueQueuesOf(venues).map(({ venue }) =>
    venueTaskQueue(config.TEMPORAL_TASK_QUEUE, venue),
  );
  const defined = [config.TEMPORAL_TASK_QUEUE, ...venueQueues, SCANNER_TASK_QUEUE];
  const asked = config.KEEL_WORKER_TASK_QUEUES ?? [config.TEMPORAL_TASK_QUEUE, ...venueQueues];
  const unknown = asked.find((queue) => !defined.includes(queue));
  if (unknown !== undefined)
    throw new StartupError(
      `bad configuration: KEEL_WORKER_TASK_QUEUES: '${unknown}' is not a task queue Keel defines (${defined.join(', ')})`,
    );
  return asked;
}

const codecOf = (config: KeelConfig) =>
  config.codecKeys ? new AesGcmPayloadCodec(config.codecKeys) : undefined;

async function startWorker(
  config: KeelConfig & { TEMPORAL_ADDRESS: string },
  venuesConfig: VenuesConfig,
  parts: Part[],
) {
  const queues = workerTaskQueues(config, venuesConfig);
  const identity = config.KEEL_WORKER_IDENTITY ?? `keel-worker@${hostname()}:${process.pid}`;
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    embeddedPort: 0,
  });
  parts.push({ name: 'PostgreSQL pool', stop: () => database.close() });
  const venues = venueConnectors(venuesConfig);
  const payloadCodec = codecOf(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  parts.push({ name: 'worker connection', stop: () => connection.close() });

  const pollWorkflowQueue = queues.includes(config.TEMPORAL_TASK_QUEUE);
  const venueQueues = venueQueuesOf(venuesConfig).filter(({ venue }) =>
    queues.includes(venueTaskQueue(config.TEMPORAL_TASK_QUEUE, venue)),
  );
  if (pollWorkflowQueue || venueQueues.length > 0) {
    const worker = await createKeelWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      pollWorkflowQueue,
      venueQueues,
      identity,
      shutdownGraceTime: SHUTDOWN_GRACE,
      deploymentVersion: config.KEEL_WORKER_DEPLOYMENT_VERSION,
      ...(payloadCodec && { payloadCodec }),
      deps: {
        pool: database.pool,
        connectors: venues.connectors,
        settleWindowMs: venues.settleWindowMs,
        killSwitchToken: config.KEEL_KILL_SWITCH_TOKEN,
        alerts: alertSettingsFromEnv(),
        workerIdentity: identity,
      },
    });
    const running = worker.run();
    parts.push({
      name: 'Keel worker',
      stop: async () => {
        worker.shutdown();
        await running;
      },
    });
  }
  if (queues.includes(SCANNER_TASK_QUEUE)) {
    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    parts.push({ name: 'client connection', stop: () => clientConnection.close() });
    const client = new Client({
      connection: clientConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      ...clientCodecOptions(payloadCodec),
    });
    const scanner = await startScanner({
      client,
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      pool: database.pool,
      connectors: venues.connectors,
      account: 'keel',
      discoveryEvery: config.KEEL_SCANNER_DISCOVERY_EVERY,
      payloadCodec,
    });
    parts.push({ name: `worker on ${SCANNER_TASK_QUEUE}`, stop: () => scanner.stop() });
  }
  const version = config.KEEL_WORKER_DEPLOYMENT_VERSION;
  console.log(
    `[keel worker] ${identity} polling ${queues.join(', ')} on ${config.TEMPORAL_ADDRESS}${version ? ` as version ${formatDeploymentVersion(version)}` : ''}`,
  );
}

async function startApi(
  config: KeelConfig & { TEMPORAL_ADDRESS: string },
  venuesConfig: VenuesConfig,
  parts: Part[],
) {
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    embeddedPort: 0,
  });
  parts.push({ name: 'PostgreSQL pool', stop: () => database.close() });
  const venues = venueConnectors(venuesConfig);
  await recordAccountChecks(database.pool, await venues.checkAccounts());
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  parts.push({ name: 'client connection', stop: () => connection.close() });
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const payloadCodec = codecOf(config);
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...clientCodecOptions(payloadCodec),
  });
  const orchestrator = { ...defaultOrchestratorRef, input: { shardCount: config.KEEL_SHARD_COUNT } };
  await ensureControlWorkflows(client, config, venuesConfig, orchestrator);
  const app = await listenControlApi({
    config,
    client,
    pool: database.pool,
    venues: venuesConfig,
    connectors: venues.connectors,
    orchestrator,
    payloadCodec,
  });
  parts.push({ name: 'API', stop: () => app.close() });
  console.log(
    `[keel api] http://${config.KEEL_API_HOST}:${config.KEEL_API_PORT} on ${config.TEMPORAL_ADDRESS}`,
  );
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const parts: Part[] = [];
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    for (const part of parts.reverse())
      await part
        .stop()
        .catch((error: unknown) =>
          console.error(`[keel] stopping ${part.name} failed: ${describeStartupFailure(error)}`),
        );
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    if (!ROLES.includes(role as Role)) throw new StartupError(`usage: npm run keel -- ${ROLES.join('|')}`);
    const { config, venues } = fleetSettings(role as Role, process.env);
    installRuntime(
      'WARN',
      undefined,
      config.KEEL_SDK_METRICS_ADDRESS === 'off' ? undefined : config.KEEL_SDK_METRICS_ADDRESS,
    );
    await (role === 'worker' ? startWorker : startApi)(config, venues, parts);
  } catch (error) {
    console.error(`[keel] ${describeStartupFailure(error)}`);
    await stop(1);
  }
}

void main();
