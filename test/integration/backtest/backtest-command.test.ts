import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { gzipSync, createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { BacktestReport } from '../../../db/backtest-report';
import { runLedger } from '../../../db/backtests';
import { readAuthHeader, startHarness, testOrchestratorRef, type Harness } from '../../support/harness';
import { sharedDataSet } from '../../support/shared-data';
import type { TestDatabase } from '../../support/test-database';
import { testEnvironment } from '../../support/test-env';

const CAPTURE = 'spot_btcusdt_20240808.gz';
const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [CAPTURE]);
const root = join(import.meta.dirname, '..', '..', '..');
/** The first lines of the capture: about 50 s of BTCUSDT. */
const SLICE_LINES = 6_000;

/** `npm run backtest`'s entry as its own process, as an operator runs it. */
function backtest(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'backtest.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe(
  'the backtest command: a capture replayed through the strategy, the workflows and the ledger',
  CAPTURES.options,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-backtest-test-'));
    let stack: Harness | undefined;
    let database: TestDatabase;
    let app: FastifyInstance;
    let env: Record<string, string>;
    const slice = join(dir, 'slice.gz');

    before(async () => {
      const lines: string[] = [];
      const reader = createInterface({
        input: createReadStream(CAPTURES.path(CAPTURE)).pipe(createGunzip()),
      });
      for await (const line of reader) {
        lines.push(line);
        if (lines.length >= SLICE_LINES) break;
      }
      reader.close();
      // Corrupt lines among the real ones: each is skipped and counted, none stops the run.
      lines.splice(
        100,
        0,
        'not a capture line',
        '1723161250000000000 {"stream":"btcusdt@bookTicker","data":{"b":"x"}}',
      );
      lines.splice(
        2_000,
        0,
        '1723161260000000000 {"stream":"btcusdt@trade","data":{"p":"61800.00","q":"-1","m":true}}',
      );
      writeFileSync(slice, gzipSync(lines.join('\n')));
      const started = await startHarness({
        database: 'backtest_cmd',
        worker: false,
        orchestrator: testOrchestratorRef('btapi'),
      });
      stack = started;
      ({ database, app } = started);
      env = {
        TEMPORAL_ADDRESS: testEnvironment().temporalAddress,
        DATABASE_URL: database.url,
        KEEL_DATA_DIR: join(dir, 'data'),
      };
    });
    after(async () => {
      await stack?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("the report is printed and stored; its trades and orders are the ledger's; the API serves it", async () => {
      const run = await backtest(
        ['--capture', slice, '--speed', '5', '--params', '{"maxPosition":"0.004","cooldownMs":200}'],
        env,
      );
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /from 6003 lines \(3 malformed lines skipped\)/);
      const id = /stored: GET \/backtests\/(\S+)/.exec(run.stdout)?.[1];
      assert.ok(id, run.stdout);
      const served = await app.inject({ method: 'GET', url: `/backtests/${id}`, headers: readAuthHeader });
      assert.equal(served.statusCode, 200, served.body);
      const { report, workflowId } = served.json<{ report: BacktestReport; workflowId: string }>();
      const ledger = await runLedger(database.pool, workflowId);
      assert.ok(report.trades > 0, 'the strategy traded on the slice');
      assert.equal(report.trades, ledger.fills.length);
      assert.equal(report.orders, ledger.orders);
      assert.equal(report.fees, ledger.feesInQuote);
      // Removal flattened the position. A fill is measured at a horizon only when the recording reaches past it
      // (under load the strategy may trade only near the slice's end): longer horizons measure no more fills.
      assert.equal(Number(report.position), 0);
      const measured = report.adverseSelection.map((horizon) => horizon.fills);
      assert.ok(measured[0]! <= report.trades, JSON.stringify(measured));
      for (let i = 1; i < measured.length; i++)
        assert.ok(measured[i]! <= measured[i - 1]!, JSON.stringify(measured));
      // The state is read when the replay ends: a decision whose order is still being placed has no ack yet,
      // and one below a lot places nothing. So acks never outnumber decisions, and some were measured.
      assert.ok(report.decisionToAckMs.count > 0, 'acks were measured');
      assert.ok(
        report.decisionToAckMs.count <= report.tickToDecisionMicros.count,
        `${report.decisionToAckMs.count} acks for ${report.tickToDecisionMicros.count} decisions`,
      );
      assert.ok(
        report.tickToDecisionMicros.count >= report.orders - 1,
        'a decision per order (the last one closes on removal)',
      );
      assert.match(run.stdout, new RegExp(`orders / trades\\s+${report.orders} / ${report.trades}`));
      assert.match(run.stdout, new RegExp(`net PnL\\s+${report.netPnl.replace('.', '\\.')}`));
      const listed = await app.inject({ method: 'GET', url: '/backtests', headers: readAuthHeader });
      assert.ok(listed.json<{ runs: Array<{ id: string }> }>().runs.some((item) => item.id === id));
      const missing = await app.inject({ method: 'GET', url: '/backtests/bt-none', headers: readAuthHeader });
      assert.equal(missing.statusCode, 404);
      const bad = await app.inject({ method: 'GET', url: '/backtests/..%2Fx', headers: readAuthHeader });
      assert.equal(bad.statusCode, 400);
    });

    test('bad input stops it at once with one line naming what is wrong, before anything starts', async () => {
      for (const [args, message] of [
        [['--capture', join(dir, 'missing.gz')], /--capture .*missing\.gz does not exist/],
        [
          ['--capture', slice, '--params', '{"maxPosition":"0"}'],
          /--params: maxPosition: must be above zero/,
        ],
        [['--capture', slice, '--speed', 'fast'], /--speed must be a number/],
        [['--capture', slice, '--symbol', 'btc'], /--symbol btc is not a symbol/],
      ] as const) {
        const run = await backtest([...args], env);
        assert.equal(run.code, 1, run.stdout);
        assert.match(run.stderr, message);
      }
    });
  },
);
