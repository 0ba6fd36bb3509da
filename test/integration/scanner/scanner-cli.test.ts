import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { latestScannerSnapshotHead } from '../../../db/scanner-snapshots';
import { ensureDiscoverySchedule } from '../../../scanner/discovery-schedule';
import type { SpreadEngineState } from '../../../workflows/scanner/engine-workflow';
import { trackerLegs, trackerWorkflowId } from '../../../workflows/scanner/tracker/tracker-messages';
import { createSimWorld, startHarness, type Harness } from '../../support/harness';
import { temporalCli } from '../../support/temporal-cli';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { setTops } from './scanner-kit';

const SYMBOL = 'CLI-USDT';
const DIRECTION = 'binance-spot>bybit-perp';

describe('the scanner steered and searched with the temporal CLI, as an operator would', () => {
  const sim = createSimWorld([SYMBOL]);
  let harness: Harness;
  let database: TestDatabase;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    const started = await startHarness({
      database: 'scanner_cli',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
    });
    harness = started;
    ({ database } = started);
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    await harness?.stop();
  });

  test('`temporal schedule trigger` runs discovery now: a snapshot is saved', async () => {
    const scheduleId = uniqueName('discovery-schedule');
    await ensureDiscoverySchedule(harness.client, {
      taskQueue: harness.taskQueue,
      scheduleId,
      every: '6h',
    });
    cleanups.push(() => temporalCli('schedule', 'delete', '--schedule-id', scheduleId));
    const described = await temporalCli(
      'schedule',
      'describe',
      '--schedule-id',
      scheduleId,
      '--output',
      'json',
    );
    assert.match(described.stdout, /pairDiscoveryWorkflow/);

    await temporalCli('schedule', 'trigger', '--schedule-id', scheduleId);
    const head = await waitFor('a snapshot', () => latestScannerSnapshotHead(database.pool));
    assert.equal(head.version, 1);
  });

  test('`temporal workflow signal` pauses and resumes the engine; `temporal workflow query` shows it', async () => {
    const workflowId = uniqueName('engine');
    // Its activity's queue has no worker: the workflow still takes signals and answers queries.
    await harness.client.workflow.start('spreadEngineWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId,
      args: [{ taskQueue: uniqueName('nobody') }],
    });
    cleanups.push(() => harness.client.workflow.getHandle(workflowId).terminate('test over'));
    const state = async (): Promise<SpreadEngineState> => {
      const { stdout } = await temporalCli(
        'workflow',
        'query',
        '--workflow-id',
        workflowId,
        '--type',
        'spreadEngineState',
        '--output',
        'json',
      );
      const parsed = JSON.parse(stdout) as { queryResult: SpreadEngineState[] };
      return parsed.queryResult[0]!;
    };
    assert.equal((await state()).paused, false);
    await temporalCli('workflow', 'signal', '--workflow-id', workflowId, '--name', 'pauseEngine');
    await waitFor('paused', async () => (await state()).paused);
    await temporalCli('workflow', 'signal', '--workflow-id', workflowId, '--name', 'resumeEngine');
    await waitFor('resumed', async () => !(await state()).paused);
  });

  test('`temporal workflow list --query` finds a tracker by symbol, direction and outcome', async () => {
    setTops(sim.exchange, SYMBOL, DIRECTION, { spot: ['99.9', '100'], perp: ['101', '101.1'] });
    const workflowId = trackerWorkflowId(SYMBOL, DIRECTION);
    const handle = await harness.client.workflow.start('spreadTrackerWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId,
      args: [
        {
          symbol: SYMBOL,
          direction: DIRECTION,
          ...trackerLegs(DIRECTION),
          entryBps: 100,
          intervalMs: 100,
          horizonMs: 1_000,
        },
      ],
    });
    await handle.result();
    const query = `Symbol = "${SYMBOL}" AND ScannerDirection = "${DIRECTION}" AND ScannerOutcome = "EXPIRED"`;
    const listed = await waitFor('the tracker in the visibility store', async () => {
      const { stdout } = await temporalCli('workflow', 'list', '--query', query, '--output', 'json');
      return stdout.includes(workflowId) && stdout;
    });
    assert.match(listed, /spreadTrackerWorkflow/);
    const { stdout: none } = await temporalCli(
      'workflow',
      'list',
      '--query',
      `Symbol = "${SYMBOL}" AND ScannerOutcome = "CONVERGED"`,
      '--output',
      'json',
    );
    assert.ok(!none.includes(workflowId), 'not listed under another outcome');
  });
});
