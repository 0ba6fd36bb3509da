import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describeStartupFailure } from '../config/startup-error';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { connectPool } from '../db/pool';
import { obtainBinary, temporalCli } from '../temporal/cli-binary';
import { findFreePort } from '../temporal/port-check';
import {
  findServerTool,
  obtainServerBinaries,
  serverCacheDir,
  TEMPORAL_SERVER_VERSION,
  temporalServerTool,
  temporalSqlTool,
} from '../temporal/server/binaries';
import { writeFileResultsReporter, type FileTestResult } from '../temporal/server/file-results-reporter';
import { launchTemporalServer, type LaunchedServer } from '../temporal/server/launch';
import { findFreeServicePorts } from '../temporal/server/process';
import { setupSchemas } from '../temporal/server/schema';
import {
  frontendAddress,
  loadTemporalServerSettings,
  type TemporalServerSettings,
} from '../temporal/server/settings';
import { STAND_IN_DATABASE_PREFIX, writeStandInWrapper } from '../temporal/server/start-dev-stand-in';
import { installRuntime } from '../workers/runtime';
import { bundleWorkflows } from '../workers/worker';

/**
 * `npm run temporal:server -- <command>`: Temporal's own server, built from Go modules and backed by
 * PostgreSQL (docs/temporal-server.md).
 *   build                 build the server and its schema tool once (cached), print how long it took
 *   setup [--fresh]       create both databases and bring their schemas up to date (--fresh: drop first)
 *   start                 set up, start, create the namespace and search attributes; run until Ctrl-C
 *   test [paths...]       Keel's core integration tests against a fresh server (default: the core tier)
 */
const root = join(import.meta.dirname, '..');
const coreTests = [
  'test/integration/orchestrator',
  'test/integration/grid',
  'test/integration/exactly-once',
  'test/integration/chaos',
];

/**
 * Pool sizes per service in the tier: 4 services × (6 + 2) = 32 connections per server at most, so the
 * tier's server and two stand-ins (restart and chaos run at once) fit in PostgreSQL's default 100.
 */
const TIER_MAX_CONNS = 6;
const TIER_VISIBILITY_MAX_CONNS = 2;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(`[keel temporal-server] ${line}`);

async function obtainTimed() {
  const cached = findServerTool(temporalServerTool) && findServerTool(temporalSqlTool);
  const started = Date.now();
  const binaries = await obtainServerBinaries();
  const ms = Date.now() - started;
  log(
    cached
      ? `Temporal server ${TEMPORAL_SERVER_VERSION}: ${binaries.server} (cached)`
      : `built Temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool in ${seconds(ms)}: ${serverCacheDir()}`,
  );
  return { binaries, buildMs: cached ? 0 : ms };
}

function describeLaunch(server: LaunchedServer, settings: TemporalServerSettings): void {
  const { schemaMs, startMs, namespaceMs } = server.timings;
  const { postgres } = settings;
  log(
    `PostgreSQL ${postgres.host}:${postgres.port} databases ${postgres.database}, ${postgres.visibilityDatabase}` +
      `; schema ${seconds(schemaMs)}, server start ${seconds(startMs)}, namespace ${settings.namespace} ` +
      `${seconds(namespaceMs)}` +
      (server.namespace.namespaceCreated ? ' (created)' : '') +
      (server.namespace.searchAttributesAdded.length
        ? `, search attributes added: ${server.namespace.searchAttributesAdded.join(' ')}`
        : ''),
  );
}

function untilSignal(server: LaunchedServer): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    void server.exited.then(() => resolve('exit'));
  });
}

async function start(): Promise<number> {
  const settings = loadTemporalServerSettings();
  const { binaries } = await obtainTimed();
  const server = await launchTemporalServer(settings, { binaries });
  describeLaunch(server, settings);
  log(
    `Temporal server on ${server.address} (namespace ${settings.namespace}; log ${server.files.logFile}); ` +
      `Keel uses it with TEMPORAL_ADDRESS=${server.address}. Ctrl-C stops it.`,
  );
  const reason = await untilSignal(server);
  if (reason === 'exit') {
    log(`the server exited on its own; see ${server.files.logFile}`);
    return 1;
  }
  await server.stop();
  return 0;
}

function findTestFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTestFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function withDatabase(settings: TemporalServerSettings, database: string): string {
  const { postgres } = settings;
  const url = new URL(`postgres://${postgres.host}:${postgres.port}/${database}`);
  url.username = postgres.user;
  url.password = postgres.password;
  return url.toString();
}

/** Drops the databases the start-dev stand-ins created during the run. */
async function dropStandInDatabases(adminUrl: string): Promise<string[]> {
  const pool = await connectPool(adminUrl, { max: 1 });
  try {
    const { rows } = await pool.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [STAND_IN_DATABASE_PREFIX],
    );
    for (const { datname } of rows) await pool.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.map((row) => row.datname);
  } finally {
    await pool.end();
  }
}

function printResults(resultsFile: string, files: string[]): { passed: number; failed: number } {
  const results = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as FileTestResult)
    : [];
  let passed = 0;
  let failed = 0;
  log('results per file:');
  for (const file of files) {
    const all = results.filter((result) => result.file === file);
    const mine = all.filter((result) => result.nesting === 0);
    const fails = mine.filter((result) => result.outcome === 'fail');
    const passes = mine.filter((result) => result.outcome === 'pass').length;
    const skips = mine.filter((result) => result.outcome === 'skip').length;
    const ms = mine.reduce((sum, result) => sum + result.durationMs, 0);
    passed += passes;
    failed += fails.length;
    const status = mine.length === 0 ? 'NO RESULT' : fails.length > 0 ? 'FAIL' : 'pass';
    log(
      `  ${status.padEnd(9)} ${relative(root, file)}: ${passes} passed, ${fails.length} failed` +
        `${skips ? `, ${skips} skipped` : ''} (${seconds(ms)})`,
    );
    for (const fail of all.filter((result) => result.outcome === 'fail')) {
      log(`      ${'  '.repeat(fail.nesting)}✖ ${fail.name}: ${fail.error ?? ''}`);
    }
  }
  return { passed, failed };
}

async function runTests(filters: string[]): Promise<number> {
  const wanted = filters.length > 0 ? filters : coreTests;
  const files = findTestFiles(join(root, 'test'))
    .sort()
    .filter((file) => wanted.some((filter) => relative(root, file).startsWith(filter)));
  if (files.length === 0) {
    console.error(`no test files match ${wanted.join(' ')}`);
    return 1;
  }
  const base = loadTemporalServerSettings();
  const workDir = mkdtempSync(join(tmpdir(), 'keel-temporal-server-test-'));
  chmodSync(workDir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [];
  const timings: Record<string, string> = {};
  try {
    const { binaries, buildMs } = await obtainTimed();
    timings.build = buildMs ? seconds(buildMs) : 'cached';
    // The tier's own database pair, recreated each run; fresh ports so a running `start` is left alone.
    // Smaller pools: this server and up to two stand-ins share PostgreSQL's connections (100 by default).
    const settings: TemporalServerSettings = {
      ...base,
      postgres: {
        ...base.postgres,
        database: `${base.postgres.database}_test`,
        visibilityDatabase: `${base.postgres.database}_test_visibility`,
        maxConns: Math.min(base.postgres.maxConns, TIER_MAX_CONNS),
        visibilityMaxConns: Math.min(base.postgres.visibilityMaxConns, TIER_VISIBILITY_MAX_CONNS),
      },
      host: '127.0.0.1',
      ports: await findFreeServicePorts('127.0.0.1'),
      namespace: 'default',
      dir: join(workDir, 'temporal-server'),
    };
    installRuntime('WARN');
    const bundling = bundleWorkflows();
    const server = await launchTemporalServer(settings, { binaries, fresh: true });
    cleanups.push(() => server.stop());
    describeLaunch(server, settings);
    timings.schema = seconds(server.timings.schemaMs);
    timings.start = seconds(server.timings.startMs);
    timings.namespace = seconds(server.timings.namespaceMs);

    const adminUrl = withDatabase(settings, 'postgres');
    // With KEEL_KEEP_TEST_TMP the stand-ins' databases stay too, for `temporal workflow show` afterwards.
    if (!process.env.KEEL_KEEP_TEST_TMP) cleanups.push(() => dropStandInDatabases(adminUrl));
    // Keel's own test databases on an embedded PostgreSQL, always (DATABASE_URL is ignored here): their
    // pools stay off the connections the Temporal servers need, and `npm test` covers DATABASE_URL.
    const keelDatabase = await startEmbeddedPostgres({
      dataDir: join(workDir, 'postgres'),
      port: await findFreePort(),
    });
    cleanups.push(() => keelDatabase.stop());
    const keelDatabaseUrl = keelDatabase.url;
    await (await connectPool(keelDatabaseUrl)).end();
    const realCli = await obtainBinary(temporalCli);
    const wrapper = writeStandInWrapper(join(workDir, 'bin'), { realCli, server: binaries.server, root });
    const bundlePath = join(workDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await bundling).code);
    const resultsFile = join(workDir, 'results.jsonl');
    log(
      `Temporal ${server.address} (PostgreSQL-backed, ${TEMPORAL_SERVER_VERSION}); tests that start their ` +
        `own dev server get the PostgreSQL-backed stand-in; ${files.length} test files`,
    );

    const testsStarted = Date.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${writeFileResultsReporter(workDir)}`,
        `--test-reporter-destination=${resultsFile}`,
        '--test-concurrency=3',
        ...files,
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_CLI: wrapper,
          KEEL_TEST_TEMPORAL_ADDRESS: server.address,
          KEEL_TEST_DATABASE_URL: keelDatabaseUrl,
          KEEL_TEST_WORKFLOW_BUNDLE: bundlePath,
          KEEL_TEST_TMP: workDir,
          // For the start-dev stand-in: the same PostgreSQL and binaries.
          TEMPORAL_SERVER_DATABASE_URL: withDatabase(settings, settings.postgres.database),
          TEMPORAL_SERVER_MAX_CONNS: String(settings.postgres.maxConns),
          TEMPORAL_SERVER_VISIBILITY_MAX_CONNS: String(settings.postgres.visibilityMaxConns),
          [temporalServerTool.envVar]: binaries.server,
          [temporalSqlTool.envVar]: binaries.sqlTool,
        },
      },
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    const code = await new Promise<number>((resolve) => child.on('exit', (exit) => resolve(exit ?? 1)));
    timings.tests = seconds(Date.now() - testsStarted);
    const { passed, failed } = printResults(resultsFile, files);
    log(
      `${passed} passed, ${failed} failed (exit ${code}); build ${timings.build}, schema ${timings.schema}, ` +
        `server start ${timings.start}, namespace ${timings.namespace}, tests ${timings.tests}; ` +
        `server log ${server.files.logFile}`,
    );
    return code;
  } catch (error) {
    console.error(`[keel temporal-server] ${describeStartupFailure(error)}`);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (process.env.KEEL_KEEP_TEST_TMP) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

async function main([command, ...args]: string[]): Promise<number> {
  switch (command) {
    case 'build':
      await obtainTimed();
      return 0;
    case 'setup': {
      const settings = loadTemporalServerSettings();
      const { binaries } = await obtainTimed();
      const started = Date.now();
      const result = await setupSchemas(binaries.sqlTool, settings.postgres, {
        fresh: args.includes('--fresh'),
      });
      log(
        `schemas of ${settings.postgres.database} and ${settings.postgres.visibilityDatabase} up to date in ` +
          `${seconds(Date.now() - started)}` +
          (result.dropped.length ? ` (dropped first: ${result.dropped.join(', ')})` : ''),
      );
      return 0;
    }
    case 'start':
      return start();
    case 'test':
      return runTests(args);
    default:
      console.error(
        `usage: npm run temporal:server -- build | setup [--fresh] | start | test [paths...]\n` +
          `  (the address 'start' serves: ${frontendAddress(loadTemporalServerSettings())})`,
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[keel temporal-server] ${describeStartupFailure(error)}`);
    process.exit(1);
  },
);
