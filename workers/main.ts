import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { alertSettingsFromEnv } from '../activities/alerts';
import { defaultOrchestratorRef, orchestratorControl } from '../api/orchestrator';
import { loadConfig } from '../config/keel-config';
import { describeStartupFailure } from '../config/startup-error';
import { loadVenuesConfig } from '../config/venues';
import { openDatabase, redactDatabaseUrl } from '../db/database';
import { recordAccountChecks } from '../db/venue-accounts';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { StrategyKey, SymbolKey } from '../temporal/search-attributes';
import { smokeWorkflow } from '../workflows';
import { SCANNER_TASK_QUEUE } from '../workflows/scanner/engine-workflow';
import { listenControlApi } from './control-api';
import { ensureControlWorkflows } from './control-workflows';
import { ensureDemoGrids } from './demo-grids';
import { startPaperVenues } from './paper-venues';
import { installRuntime } from './runtime';
import { startScanner } from './scanner';
import { startLocalSimWorld } from './sim-world';
import { provideTemporalServer } from './temporal-server';
import { venueConnectors } from './venue-connectors';
import { clientCodecOptions, createKeelWorker, venueQueuesOf } from './worker';

/**
 * `npm start`: the whole local stack on embedded defaults — Temporal (dev server unless TEMPORAL_ADDRESS),
 * PostgreSQL (embedded unless DATABASE_URL), a worker and the control API. Ctrl-C stops all of it.
 */
async function main(): Promise<void> {
  const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
  const onShutdown = (name: string, run: () => Promise<unknown>) => cleanups.push({ name, run });
  let stopping = false;
  const shutdown = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    for (const { name, run } of cleanups.reverse()) {
      console.log(`[keel] stopping ${name}`);
      await run().catch((error: unknown) =>
        console.error(`[keel] stopping ${name} failed: ${describeStartupFailure(error)}`),
      );
    }
    process.exit(exitCode);
  };
  // Ctrl-C reaches this process twice (from the terminal and forwarded by scripts/run.mjs): a handler
  // must stay installed so the second signal cannot kill the process halfway through shutdown.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const config = loadConfig();
    // Read (credentials included) before anything starts: a bad file stops start-up with nothing half-started.
    const venuesConfig = loadVenuesConfig(config.KEEL_CONFIG);
    // Keel owns shutdown order (API, worker, connections, database, server), so the SDK must not react to signals.
    installRuntime(
      'WARN',
      undefined,
      config.KEEL_SDK_METRICS_ADDRESS === 'off' ? undefined : config.KEEL_SDK_METRICS_ADDRESS,
    );
    const temporalServer = await provideTemporalServer(config);
    onShutdown('Temporal server', () => temporalServer.stop());

    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
      embeddedPort: config.KEEL_EMBEDDED_PG_PORT,
    });
    onShutdown('PostgreSQL', () => database.close());

    // The in-process simulator (the default venues; a configuration may use it for some venues or none).
    // Its orders and balances live in a state file beside the rest of the local state, so the grids and the
    // ledger find them again after a restart.
    const sim = startLocalSimWorld({ stateFile: join(config.dataDir, 'sim', 'state.json') });
    onShutdown('simulated exchange', () => sim.stop());
    // Paper venues: recorded markets replayed into the simulator's engine (none unless configured).
    const paper = await startPaperVenues(venuesConfig);
    if (paper) onShutdown('paper venues', () => paper.stop());
    const venues = venueConnectors(venuesConfig, {
      simExchange: sim.exchange,
      paperExchange: paper?.exchange,
    });
    // Each configured account once: a venue that refuses its keys or does not answer stops nothing else.
    const accountChecks = await venues.checkAccounts();
    await recordAccountChecks(database.pool, accountChecks);

    // Payloads (workflow inputs, results, signals, activity arguments) are sealed before they reach the
    // server when keys are configured: the worker, the client and the API's codec endpoint share the codec.
    const payloadCodec = config.codecKeys ? new AesGcmPayloadCodec(config.codecKeys) : undefined;
    const workerConnection = await NativeConnection.connect({ address: temporalServer.address });
    onShutdown('worker connection', () => workerConnection.close());
    const worker = await createKeelWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      venueQueues: venueQueuesOf(venuesConfig),
      ...(payloadCodec && { payloadCodec }),
      deps: {
        pool: database.pool,
        connectors: venues.connectors,
        settleWindowMs: venues.settleWindowMs,
        killSwitchToken: config.KEEL_KILL_SWITCH_TOKEN,
        alerts: alertSettingsFromEnv(),
      },
    });
    const workerRun = worker.run();
    onShutdown('worker', async () => {
      worker.shutdown();
      await workerRun;
    });

    const clientConnection = await Connection.connect({ address: temporalServer.address });
    onShutdown('client connection', () => clientConnection.close());
    const client = new Client({
      connection: clientConnection,
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
      extra: {
        temporalUiUrl: temporalServer.uiUrl,
        activityTaskQueues: config.KEEL_SCANNER === 'on' ? [SCANNER_TASK_QUEUE] : [],
      },
    });
    onShutdown('API', () => app.close());

    const smoke = await client.workflow.execute(smokeWorkflow, {
      workflowId: `smoke:${new Date().toISOString()}`,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ symbol: 'BTC-USDT', note: 'npm start' }],
      typedSearchAttributes: [
        { key: SymbolKey, value: 'BTC-USDT' },
        { key: StrategyKey, value: 'smoke' },
      ],
    });

    const scanner =
      config.KEEL_SCANNER === 'on'
        ? await startScanner({
            client,
            connection: workerConnection,
            namespace: config.TEMPORAL_NAMESPACE,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            pool: database.pool,
            connectors: venues.connectors,
            account: 'keel',
            discoveryEvery: config.KEEL_SCANNER_DISCOVERY_EVERY,
            payloadCodec,
          })
        : undefined;
    if (scanner) onShutdown('scanner worker', () => scanner.stop());

    // The demonstration grids trade on the simulated binance spot: only where binance is the simulator.
    const simulatedBinance = venuesConfig.venues.some(
      (setup) => setup.venue === 'binance' && setup.kind === 'sim',
    );
    const grids = simulatedBinance
      ? await ensureDemoGrids(orchestratorControl(client, orchestrator), sim.exchange, config.KEEL_DEMO_GRIDS)
      : [];

    const apiUrl = `http://${config.KEEL_API_HOST}:${config.KEEL_API_PORT}`;
    console.log(
      [
        '[keel] ready',
        `  Temporal Web UI : ${temporalServer.uiUrl ?? '(external server: use its own UI)'}`,
        `  Temporal gRPC   : ${temporalServer.address}`,
        `  API             : ${apiUrl}  (health: ${apiUrl}/health, status: ${apiUrl}/status)`,
        `  PostgreSQL      : ${redactDatabaseUrl(database.url)} (${database.source})`,
        `  venues          : ${venuesConfig.venues.map((setup) => `${setup.venue} (${setup.kind})`).join(', ')} from ${venuesConfig.source} (${apiUrl}/venues)`,
        ...accountChecks.map(
          (check) => `    ${check.venue}/${check.account}: ${check.state} (${check.detail})`,
        ),
        `  smoke workflow  : wrote smoke_runs row ${smoke.rowId}`,
        `  orchestrator    : ${orchestrator.workflowId} (API docs: ${apiUrl}/docs; mutations ${config.KEEL_API_TOKEN ? 'need the bearer token' : 'disabled: set KEEL_API_TOKEN'}; reads ${config.KEEL_API_READ_TOKEN || config.KEEL_API_TOKEN ? 'need a bearer token' : 'disabled: set KEEL_API_READ_TOKEN'})`,
        `  payloads        : ${config.codecKeys ? `encrypted (AES-256-GCM, key ${config.codecKeys.activeKeyId}); Web UI codec endpoint ${apiUrl}/codec` : 'stored as they are (KEEL_CODEC_KEYS encrypts them)'}`,
        `  grids           : ${grids.join(', ') || 'none'} on the simulated binance spot (${apiUrl}/symbols)`,
        `  spread scanner  : ${scanner ? `on (discovery every ${config.KEEL_SCANNER_DISCOVERY_EVERY}, engine on task queue keel-scanner)` : 'off (KEEL_SCANNER=on runs it)'}`,
        '  Ctrl-C stops everything.',
      ].join('\n'),
    );
    await workerRun;
  } catch (error) {
    console.error(`[keel] ${describeStartupFailure(error)}`);
    await shutdown(1);
  }
}

void main();
