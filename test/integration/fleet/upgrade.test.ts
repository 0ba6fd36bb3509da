import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureOrchestrator, orchestratorControl } from '../../../api/orchestrator';
import { bundleWorkflows, createKeelWorker, type KeelWorker } from '../../../workers/worker';
import {
  createSimWorld,
  keelWorkflowBundle,
  listExecutions,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { temporalCli } from '../../support/temporal-cli';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import {
  assertEachOrderOnce,
  fleetGridConfig,
  prepareFleetVenue,
  startTaker,
  terminateRunning,
} from './fleet-kit';
import { UPGRADE_PATCH } from './upgrade-workflows-b';

/**
 * A versioned upgrade on the real dev server, as docs/fleet.md tells an operator to run one: version A
 * trades grids; version B (the symbol workflow patched) starts beside it; `temporal worker deployment
 * set-current-version` moves traffic; A is stopped. Every symbol trades throughout, running symbols move
 * to B (and take the patch at continue-as-new), symbols added after the move start on B, and no order is
 * sent twice (the venue reuses ids once closed, so a blind re-send would show).
 */

const SYMBOLS = ['UPA-USDT', 'UPB-USDT', 'UPC-USDT'];
const LATE_SYMBOL = 'UPD-USDT';
const ALL = [...SYMBOLS, LATE_SYMBOL];

describe('a versioned upgrade: B beside A, traffic moved, A stopped, every symbol trading throughout', () => {
  const sim = createSimWorld(ALL);
  const market = sim.exchange.market('binance', 'spot');
  const taskQueue = uniqueName('upgrade');
  const deployment = uniqueName('keel-upgrade');
  // Symbols continue as new often, so running ones reach a new run on B within the test.
  const ref = testOrchestratorRef('upgrade', { shardCount: 2, shardMaxHistoryEvents: 200 });
  let database: TestDatabase;
  let harness: Harness | undefined;
  let connection: NativeConnection;
  const running: Array<{ worker: KeelWorker; run: Promise<void> }> = [];

  const startVersion = async (buildId: string, workflowBundle = keelWorkflowBundle()) => {
    const worker = await createKeelWorker({
      connection,
      namespace: 'default',
      taskQueue,
      identity: `keel-${buildId}`,
      deploymentVersion: { deploymentName: deployment, buildId },
      workflowBundle,
      deps: { pool: database.pool, connectors: sim.connectors, settleWindowMs: () => 0 },
    });
    const started = { worker, run: worker.run() };
    running.push(started);
    return started;
  };
  /** What an operator runs to move traffic: the version must be polling first, so it is retried until it is. */
  const setCurrentVersion = (buildId: string) =>
    waitFor(`version ${buildId} current`, () =>
      temporalCli(
        'worker',
        'deployment',
        'set-current-version',
        '--deployment-name',
        deployment,
        '--build-id',
        buildId,
        '--yes',
      ).then(
        () => true,
        () => false,
      ),
    );

  before(async () => {
    prepareFleetVenue(sim.exchange, ALL);
    database = await createTestDatabase('upgrade');
    harness = await startHarness({ worker: false });
    connection = await NativeConnection.connect({ address: testEnvironment().temporalAddress });
  });
  after(async () => {
    for (const { worker, run } of running) {
      worker.shutdown();
      await run.catch(() => undefined);
    }
    await terminateRunning(harness?.client, taskQueue);
    await harness?.stop();
    await connection?.close();
    await database?.drop();
  });

  test('A to B with no symbol stopping and no order sent twice', async () => {
    const client = harness!.client;
    const a = await startVersion('a');
    await setCurrentVersion('a');
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);
    const workflowIds = new Map<string, string>();
    for (const symbol of SYMBOLS)
      workflowIds.set(symbol, (await control.addSymbol(symbol, fleetGridConfig)).workflowId ?? '');
    await waitFor('every grid laid out on A', () =>
      SYMBOLS.every((symbol) => market.openOrders('keel', symbol).length >= 4),
    );

    const stopTaker = startTaker(market, ALL, 400);
    const ordersOf = (symbols: readonly string[]) =>
      new Map(symbols.map((symbol) => [symbol, market.accountOrders('keel', symbol).length]));
    const keepTrading = (what: string, symbols: readonly string[], since: Map<string, number>) =>
      waitFor(
        what,
        () =>
          symbols.every(
            (symbol) => market.accountOrders('keel', symbol).length >= (since.get(symbol) ?? 0) + 2,
          ),
        90_000,
        500,
      );

    try {
      await keepTrading('every symbol trading on A', SYMBOLS, ordersOf(SYMBOLS));

      // B starts beside A and takes the traffic.
      await startVersion('b', await bundleWorkflows(join(import.meta.dirname, 'upgrade-workflows-b.ts')));
      await setCurrentVersion('b');
      const atMove = ordersOf(SYMBOLS);
      workflowIds.set(LATE_SYMBOL, (await control.addSymbol(LATE_SYMBOL, fleetGridConfig)).workflowId ?? '');
      await keepTrading('every symbol trading after the move', SYMBOLS, atMove);

      // Running symbols moved to B: their latest workflow tasks were completed by B, and each reached a
      // new run, which took the patch.
      let seen: Record<string, { by?: string; patched: boolean }> = {};
      await waitFor(
        'every symbol on B, in a run that took the patch',
        async () => {
          seen = {};
          for (const symbol of ALL) {
            const latest = await latestRun(client, workflowIds.get(symbol)!);
            seen[symbol] = { by: latest.completedBy.at(-1), patched: latest.patched };
          }
          return Object.values(seen).every(({ by, patched }) => by === 'b' && patched);
        },
        120_000,
        1_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${JSON.stringify(seen)}`);
      });
      const late = await firstRun(client, workflowIds.get(LATE_SYMBOL)!);
      assert.deepEqual(
        [...new Set(late.completedBy)],
        ['b'],
        'a symbol added after the move ran on B from its first task',
      );
      assert.ok(late.patched, 'and took the patch from its start');

      // A stops; everything trades on, on B alone.
      const atStop = ordersOf(ALL);
      a.worker.shutdown();
      await a.run;
      await keepTrading('every symbol trading with A stopped', ALL, atStop);
    } finally {
      await stopTaker();
    }

    const orders = await assertEachOrderOnce(database.pool, market, ALL);
    const runs = await listExecutions(
      client,
      `TaskQueue = '${taskQueue}' AND WorkflowType = 'symbolWorkflow'`,
    );
    console.log(
      `[upgrade] ${JSON.stringify({ symbols: ALL.length, venueOrders: orders, symbolRuns: runs.length })}`,
    );
  });
});

/** Which build ids completed a run's workflow tasks, in order, and whether the run took B's patch. */
async function runTasks(client: Client, workflowId: string, runId?: string) {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const completedBy = events.flatMap((event) => {
    const attributes = event.workflowTaskCompletedEventAttributes;
    return attributes ? [attributes.deploymentVersion?.buildId ?? ''] : [];
  });
  const patched = events.some(
    (event) =>
      event.markerRecordedEventAttributes?.markerName === 'core_patch' &&
      Object.values(event.markerRecordedEventAttributes.details ?? {}).some((payloads) =>
        (payloads.payloads ?? []).some((payload) =>
          Buffer.from(payload.data ?? new Uint8Array())
            .toString('utf8')
            .includes(UPGRADE_PATCH),
        ),
      ),
  );
  return { completedBy, patched };
}

const latestRun = (client: Client, workflowId: string) => runTasks(client, workflowId);

async function firstRun(client: Client, workflowId: string) {
  const runs = await listExecutions(client, `WorkflowId = '${workflowId}'`);
  const first = runs.at(-1)!;
  return runTasks(client, workflowId, first.runId);
}
