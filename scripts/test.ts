import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describeStartupFailure } from '../config/startup-error';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { connectPool } from '../db/pool';
import { obtainBinary, temporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { findFreePort } from '../temporal/port-check';
import { installRuntime } from '../workers/runtime';
import { bundleWorkflows } from '../workers/worker';

/**
 * `npm test`: unit, integration and replay tests on real parts. Starts one Temporal dev server and one
 * PostgreSQL (DATABASE_URL if set, else embedded) for the whole run, bundles the workflows once, runs
 * node's test runner over test/, and stops what it started. `npm test -- test/unit` runs a subset.
 */
const root = join(import.meta.dirname, '..');
const tiers = ['test/unit', 'test/integration', 'test/replay'];

function findTestFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTestFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = tiers
    .flatMap((tier) => findTestFiles(join(root, tier)).sort())
    .filter(
      (file) => filters.length === 0 || filters.some((filter) => relative(root, file).startsWith(filter)),
    );
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  installRuntime('WARN');
  const workDir = mkdtempSync(join(tmpdir(), 'keel-test-'));
  // Run as root, embedded PostgreSQL drops to the 'postgres' user, which must be able to enter this folder.
  chmodSync(workDir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const started = Date.now();
    const temporalBinary = await obtainBinary(temporalCli);
    const [server, database, bundle] = await Promise.all([
      findFreePort().then((grpcPort) =>
        startDevServer({
          binary: temporalBinary,
          grpcPort,
          uiPort: 0,
          headless: true,
          logFile: join(workDir, 'temporal.log'),
        }),
      ),
      process.env.DATABASE_URL
        ? Promise.resolve({ url: process.env.DATABASE_URL, stop: async () => undefined })
        : findFreePort().then((port) => startEmbeddedPostgres({ dataDir: join(workDir, 'postgres'), port })),
      bundleWorkflows(),
    ]);
    cleanups.push(
      () => server.stop(),
      () => database.stop(),
    );
    // Fail here, with one line, rather than in every test file.
    await (await connectPool(database.url)).end();
    const bundlePath = join(workDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    console.log(
      `[keel test] Temporal ${server.address}, PostgreSQL ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'}, ` +
        `${files.length} test files; ready in ${Date.now() - started} ms`,
    );

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=3', ...files],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_CLI: temporalBinary,
          KEEL_TEST_TEMPORAL_ADDRESS: server.address,
          KEEL_TEST_DATABASE_URL: database.url,
          KEEL_TEST_WORKFLOW_BUNDLE: bundlePath,
          KEEL_TEST_TMP: workDir,
        },
      },
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } catch (error) {
    console.error(`[keel test] ${describeStartupFailure(error)}`);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
