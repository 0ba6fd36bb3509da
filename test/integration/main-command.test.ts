import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { ORCHESTRATOR_WORKFLOW_ID, shardWorkflowId } from '../../domain/ids';
import { DISCOVERY_SCHEDULE_ID } from '../../scanner/discovery-schedule';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { findFreePort, isPortFree } from '../../temporal/port-check';
import { SPREAD_ENGINE_WORKFLOW_ID, spreadEngineStateQuery } from '../../workflows/scanner/engine-workflow';
import { readAuthHeader, startHarness, TEST_API_READ_TOKEN, TEST_API_TOKEN } from '../support/harness';
import { base64Text, payloadsIn } from '../support/history-payloads';
import { createTestDatabase } from '../support/test-database';
import { testEnvironment, uniqueName } from '../support/test-env';
import { waitFor } from '../support/wait';

const root = join(import.meta.dirname, '..', '..');

interface Run {
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

/** Runs `npm start`'s entry point as its own process, as an operator would. */
function runMain(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', resolve)),
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stderr: ${run.stderr}`)),
          timeoutMs,
        );
        const check = () => {
          if (pattern.test(run.stdout)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', check);
        void run.exit.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited before ${pattern}; stderr: ${run.stderr}`));
        });
      }),
    signal: (signal) => child.kill(signal),
  };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

async function freePorts() {
  return {
    TEMPORAL_GRPC_PORT: String(await findFreePort()),
    TEMPORAL_UI_PORT: String(await findFreePort()),
    KEEL_API_PORT: String(await findFreePort()),
    KEEL_SDK_METRICS_ADDRESS: `127.0.0.1:${await findFreePort()}`,
  };
}

describe('the main command (npm start)', () => {
  test('brings up dev server, worker and API, runs the smoke workflow, and stops everything on SIGINT', async () => {
    const env = testEnvironment();
    const database = await createTestDatabase('main');
    const ports = await freePorts();
    const run = runMain({
      ...ports,
      KEEL_DATA_DIR: mkdtempSync(join(env.tmpDir, 'main-')),
      DATABASE_URL: database.url,
      TEMPORAL_CLI: env.temporalCli,
      KEEL_API_READ_TOKEN: TEST_API_READ_TOKEN,
    });
    try {
      await run.waitFor(/\[keel\] ready/, 90_000);
      assert.match(run.stdout, new RegExp(`Temporal Web UI : http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`));
      assert.match(run.stdout, new RegExp(`API {13}: http://127.0.0.1:${ports.KEEL_API_PORT}`));

      assert.equal((await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`)).status, 200);
      // Metrics: Keel's on the API, the Temporal SDK's worker metrics on their own port.
      const keelMetrics = await fetch(`http://127.0.0.1:${ports.KEEL_API_PORT}/metrics`, {
        headers: readAuthHeader,
      });
      assert.equal(keelMetrics.status, 200);
      const keelText = await keelMetrics.text();
      assert.match(keelText, /^keel_metrics_source_up\{source="postgres"\} 1$/m);
      assert.match(keelText, /^keel_workflows_running\{workflow_type="orchestratorWorkflow"\} \d+$/m);
      const sdkMetrics = await fetch(`http://${ports.KEEL_SDK_METRICS_ADDRESS}/metrics`);
      assert.match(await sdkMetrics.text(), /^temporal_worker_task_slots_available\{/m);
      const status = await fetch(`http://127.0.0.1:${ports.KEEL_API_PORT}/status`, {
        headers: readAuthHeader,
      });
      const body = (await status.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      assert.equal(status.status, 200, JSON.stringify(body));
      assert.deepEqual(Object.keys(body.checks).sort(), [
        'orchestrator',
        'postgres',
        'risk',
        'symbols',
        'temporal',
        'venues',
        'workers',
      ]);
      for (const [name, check] of Object.entries(body.checks)) assert.equal(check.ok, true, `${name} check`);

      const { rows } = await database.pool.query<{ workflow_id: string }>(
        'SELECT workflow_id FROM smoke_runs',
      );
      assert.equal(rows.length, 1);
      const temporal = await startHarness({
        address: `127.0.0.1:${ports.TEMPORAL_GRPC_PORT}`,
        worker: false,
      });
      try {
        const described = await temporal.client.workflow.getHandle(rows[0]?.workflow_id ?? '').describe();
        assert.equal(described.status.name, 'COMPLETED');
      } finally {
        await temporal.stop();
      }

      run.signal('SIGINT');
      assert.equal(await run.exit, 0, run.stderr);
      for (const port of Object.values(ports))
        assert.ok(await isPortFree(Number(port.split(':').at(-1))), `port ${port} released`);
      assert.equal(run.stderr.match(/failed/g), null, run.stderr);
    } finally {
      // After a failed assertion: stop it the way an operator would, so its dev server goes too.
      run.signal('SIGINT');
      await Promise.race([run.exit, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      run.signal('SIGKILL');
      await database.drop();
    }
  });

  test('with TEMPORAL_ADDRESS it uses that server: no dev server of its own, ready, /status ok, the scanner on, payloads sealed, stops cleanly', async () => {
    const env = testEnvironment();
    const codecKeys = { keys: new Map([['ops-2026', randomBytes(32)]]), activeKeyId: 'ops-2026' };
    const database = await createTestDatabase('main_external');
    const ports = await freePorts();
    const dataDir = mkdtempSync(join(env.tmpDir, 'main-external-'));
    const run = runMain({
      ...ports,
      // The test run's dev server. A Temporal CLI that cannot run: starting a dev server would fail at once.
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_CLI: join(dataDir, 'no-temporal-here'),
      TEMPORAL_TASK_QUEUE: uniqueName('main-external'),
      KEEL_SHARD_COUNT: '1',
      KEEL_DEMO_GRIDS: 'none',
      KEEL_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      KEEL_API_TOKEN: TEST_API_TOKEN,
      KEEL_API_READ_TOKEN: TEST_API_READ_TOKEN,
      KEEL_SCANNER: 'on',
      KEEL_CODEC_KEYS: `ops-2026:${codecKeys.keys.get('ops-2026')!.toString('base64')}`,
    });
    // The test's client holds the key too: queries and results read in plaintext.
    const temporal = await startHarness({
      address: env.temporalAddress,
      worker: false,
      payloadCodec: new AesGcmPayloadCodec(codecKeys),
    });
    try {
      await run.waitFor(/\[keel\] ready/, 90_000);
      assert.match(run.stdout, /Temporal Web UI : \(external server: use its own UI\)/);
      assert.match(
        run.stdout,
        new RegExp(`Temporal gRPC {3}: ${env.temporalAddress.replace(/\./g, '\\.')}\\n`),
      );
      for (const port of [ports.TEMPORAL_GRPC_PORT, ports.TEMPORAL_UI_PORT])
        assert.ok(
          await isPortFree(Number(port)),
          `no dev server of its own: port ${port} is not listened on`,
        );

      const status = await fetch(`http://127.0.0.1:${ports.KEEL_API_PORT}/status`, {
        headers: readAuthHeader,
      });
      const body = (await status.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      assert.equal(status.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'ok', JSON.stringify(body));
      for (const [name, check] of Object.entries(body.checks)) assert.equal(check.ok, true, `${name} check`);

      // Its smoke workflow ran on the given server.
      const { rows } = await database.pool.query<{ workflow_id: string }>(
        'SELECT workflow_id FROM smoke_runs',
      );
      assert.equal(rows.length, 1);
      const smoke = temporal.client.workflow.getHandle(rows[0]?.workflow_id ?? '');
      assert.equal((await smoke.describe()).status.name, 'COMPLETED');
      // KEEL_CODEC_KEYS: what the server stored of it is sealed with the active key.
      assert.match(run.stdout, /payloads {8}: encrypted \(AES-256-GCM, key ops-2026\)/);
      const keyless = new Client({ connection: temporal.client.connection });
      const stored = payloadsIn(await keyless.workflow.getHandle(rows[0]!.workflow_id).fetchHistory());
      assert.ok(stored.length > 0);
      for (const payload of stored) {
        assert.equal(base64Text(payload.metadata.encoding!), 'binary/encrypted');
        assert.equal(base64Text(payload.metadata['encryption-key-id']!), 'ops-2026');
        assert.ok(!base64Text(payload.data).includes('BTC-USDT'), 'no plaintext');
      }

      // The scanner: discovery ran at once (no snapshot yet), and the engine moved to its snapshot.
      assert.match(run.stdout, /spread scanner {2}: on \(discovery every 6h/);
      const engine = temporal.client.workflow.getHandle(SPREAD_ENGINE_WORKFLOW_ID);
      const state = await waitFor('the engine on the first snapshot', async () => {
        const current = await engine.query(spreadEngineStateQuery);
        return current.version !== undefined && current.problem === undefined && current;
      });
      assert.equal(state.version, 1);
      const schedules = await temporal.client.schedule.getHandle(DISCOVERY_SCHEDULE_ID).describe();
      assert.equal(schedules.action.type, 'startWorkflow');

      run.signal('SIGINT');
      assert.equal(await run.exit, 0, run.stderr);
      assert.ok(await isPortFree(Number(ports.KEEL_API_PORT)), 'the API port released');
      assert.equal(run.stderr.match(/failed/g), null, run.stderr);
      // The given server is left running: it still answers.
      assert.equal((await smoke.describe()).status.name, 'COMPLETED');
    } finally {
      run.signal('SIGINT');
      await Promise.race([run.exit, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      run.signal('SIGKILL');
      // It started the default root and its shard on the shared server: leave nothing of it running.
      await temporal.client.schedule
        .getHandle(DISCOVERY_SCHEDULE_ID)
        .delete()
        .catch(() => undefined);
      for (const workflowId of [ORCHESTRATOR_WORKFLOW_ID, shardWorkflowId('', 0), SPREAD_ENGINE_WORKFLOW_ID])
        await temporal.client.workflow
          .getHandle(workflowId)
          .terminate('main-command test cleanup')
          .catch(() => undefined);
      await temporal.stop();
      await database.drop();
    }
  });

  test('bad settings stop it with one line naming every bad key', async () => {
    const run = runMain({
      KEEL_API_PORT: 'abc',
      DATABASE_URL: 'mysql://somewhere',
      KEEL_CODEC_KEYS: 'k1:c2hvcnQ=',
    });
    assert.equal(await run.exit, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', /^\[keel\] bad configuration: /);
    assert.match(lines[0] ?? '', /KEEL_CODEC_KEYS: key 'k1' is not 32 bytes in base64/);
    assert.doesNotMatch(lines[0] ?? '', /c2hvcnQ/, 'the key is never shown');
    assert.match(lines[0] ?? '', /KEEL_API_PORT: must be a port number/);
    assert.match(lines[0] ?? '', /DATABASE_URL: must be a postgres:\/\//);
  });

  test('a bad venue configuration stops it with one line naming the key, before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-main-venues-'));
    const cases: Array<[string, RegExp]> = [
      [
        'venues:\n  binance:\n    kind: exchange\n',
        /venues\.binance\.kind: must be one of sim, sim-http, ccxt, paper/,
      ],
      [
        'venues:\n  binance:\n    kind: ccxt\n    accounts:\n      - name: main\n        credentials: { env: { apiKey: NO_SUCH_KEY_VAR, secret: NO_SUCH_SECRET_VAR } }\n',
        /venues\.binance\.accounts\.0\.credentials\.env\.apiKey: environment variable NO_SUCH_KEY_VAR is not set/,
      ],
    ];
    for (const [index, [text, expected]] of cases.entries()) {
      const file = join(dir, `keel.config.${index}.yaml`);
      writeFileSync(file, text);
      const ports = await freePorts();
      const run = runMain({ ...ports, KEEL_CONFIG: file, KEEL_DATA_DIR: join(dir, `data-${index}`) });
      assert.equal(await run.exit, 1, run.stderr);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0] ?? '', expected);
      // Nothing half-started: no dev server, no API, no data directory.
      assert.ok(await isPortFree(Number(ports.TEMPORAL_GRPC_PORT)), 'no dev server');
      assert.ok(await isPortFree(Number(ports.KEEL_API_PORT)), 'no API');
      assert.ok(!existsSync(join(dir, `data-${index}`)), 'no data directory');
    }
  });

  test('an unreachable DATABASE_URL stops it with one line, and stops the dev server it started', async () => {
    const env = testEnvironment();
    const ports = await freePorts();
    const run = runMain({
      ...ports,
      KEEL_DATA_DIR: mkdtempSync(join(env.tmpDir, 'main-')),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await findFreePort()}/nothing`,
      TEMPORAL_CLI: env.temporalCli,
    });
    assert.equal(await run.exit, 1);
    const errorLines = run.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('[keel]') || /Error|at /.test(line));
    assert.equal(errorLines.length, 1, run.stderr);
    assert.match(
      errorLines[0] ?? '',
      /^\[keel\] cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/nothing/,
    );
    assert.ok(await isPortFree(Number(ports.TEMPORAL_GRPC_PORT)), 'the dev server was stopped');
  });

  test('a busy Web UI port stops it with one line naming the port and its setting', async () => {
    const ports = await freePorts();
    const blocker = createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(Number(ports.TEMPORAL_UI_PORT), '127.0.0.1', resolve),
    );
    try {
      const run = runMain({ ...ports, TEMPORAL_CLI: testEnvironment().temporalCli });
      assert.equal(await run.exit, 1);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(
        lines[0] ?? '',
        new RegExp(
          `port ${ports.TEMPORAL_UI_PORT} \\(Temporal Web UI\\) is already in use.*TEMPORAL_UI_PORT`,
        ),
      );
    } finally {
      blocker.close();
    }
  });
});
