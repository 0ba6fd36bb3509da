import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { universeOf, watchedSymbols, type SpreadEngineProgress } from '../../../activities/scanner-engine';
import { MarketDataHub } from '../../../connectors/market-data-hub';
import type { PairDiscoveryInput } from '../../../workflows/scanner/discovery-workflow';
import { snapshotSavedSignal, spreadEngineStateQuery } from '../../../workflows/scanner/engine-workflow';
import { trackerWorkflowId } from '../../../workflows/scanner/tracker/tracker-messages';
import { createSimWorld, listExecutions, startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { createEngineWorker, discoverNow, setTops } from './scanner-kit';

const KEPT = 'MVA-USDT';
const ADDED = 'MVB-USDT';
const DIRECTION = 'binance-spot>bybit-perp';

describe('the spread engine moves to a new discovery snapshot in place', () => {
  const sim = createSimWorld([KEPT, ADDED]);
  let harness: Harness;
  let database: TestDatabase;
  const hub = new MarketDataHub({
    connectorFor: (source) => sim.connectors(source.venue, source.market, 'keel'),
  });

  before(async () => {
    const started = await startHarness({
      database: 'scanner_engine_move',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
    });
    harness = started;
    ({ database } = started);
  });
  after(() => harness?.stop());

  test('an added symbol is watched and a delisted one dropped, without restarting the engine activity', async () => {
    const { client, taskQueue } = harness;
    const discover = (input: PairDiscoveryInput) => discoverNow(harness, input);
    const first = await discover({ denylist: [{ symbol: ADDED }] });
    assert.deepEqual(watchedSymbols(await universeOf(database.pool, first)), [KEPT]);

    const { worker, scannerQueue } = await createEngineWorker(harness, database, hub, {
      intervalMs: 100,
      horizonMs: 60_000,
    });
    const running = worker.run();
    let engine: WorkflowHandle | undefined;
    try {
      setTops(sim.exchange, KEPT, DIRECTION, { spot: ['99.9', '100'], perp: ['99.95', '100.05'] });
      // 100 bps on the symbol the first snapshot holds out: nothing may track it yet.
      setTops(sim.exchange, ADDED, DIRECTION, { spot: ['99.9', '100'], perp: ['101', '101.1'] });
      engine = await client.workflow.start('spreadEngineWorkflow', {
        taskQueue,
        workflowId: uniqueName('engine'),
        args: [{ taskQueue: scannerQueue, reopenAfterMs: 300 }],
      });
      const handle = engine;
      /** The engine's activity as the server has it: its id, attempt and last heartbeat. */
      const engineActivity = async () => {
        const { raw } = await handle.describe();
        const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'runSpreadEngine');
        const payload = pending?.heartbeatDetails?.payloads?.[0];
        return (
          pending && {
            activityId: pending.activityId,
            attempt: pending.attempt,
            progress: payload
              ? defaultPayloadConverter.fromPayload<SpreadEngineProgress>(payload)
              : undefined,
          }
        );
      };
      const before = await waitFor('the engine applying quotes', async () => {
        const activity = await engineActivity();
        return activity?.progress && activity.progress.quotes > 0 && activity;
      });
      assert.equal(before.progress?.version, first);
      const addedTracker = trackerWorkflowId(ADDED, DIRECTION);
      assert.deepEqual(await listExecutions(client, `WorkflowId = "${addedTracker}"`), []);

      const second = await discover({});
      await handle.signal(snapshotSavedSignal);
      const moved = await waitFor('the engine on the second snapshot', async () => {
        const state = await handle.query(spreadEngineStateQuery);
        return state.version === second && state;
      });
      assert.equal(moved.lastMove?.from, first);
      assert.equal(moved.lastMove?.to, second);
      assert.deepEqual(moved.lastMove?.added, [ADDED]);
      assert.deepEqual(moved.lastMove?.delisted, []);
      assert.equal(moved.lastMove?.legsUnsubscribed, 0, "the kept symbol's legs stayed subscribed");
      assert.ok((moved.lastMove?.legsSubscribed ?? 0) > 0);

      // The market moves on the added symbol (the books send on change): the moved engine sees it open.
      setTops(sim.exchange, ADDED, DIRECTION, { spot: ['99.9', '100'], perp: ['101.02', '101.1'] });
      await waitFor(
        'the tracker of the added symbol started',
        async () => (await listExecutions(client, `WorkflowId = "${addedTracker}"`)).length > 0,
      );

      const third = await discover({ denylist: [{ symbol: KEPT }] });
      await handle.signal(snapshotSavedSignal);
      const dropped = await waitFor('the engine on the third snapshot', async () => {
        const state = await handle.query(spreadEngineStateQuery);
        return state.version === third && state;
      });
      assert.deepEqual(dropped.lastMove?.added, []);
      assert.deepEqual(dropped.lastMove?.delisted, [KEPT]);
      assert.ok((dropped.lastMove?.legsUnsubscribed ?? 0) > 0);

      const after = await waitFor('the heartbeat after both moves', async () => {
        const activity = await engineActivity();
        return activity?.progress?.moves === 2 && activity;
      });
      assert.equal(after.activityId, before.activityId, 'the same engine activity throughout');
      assert.equal(after.attempt, 1);
      assert.equal(after.progress?.version, third);
    } finally {
      await engine?.terminate('test over').catch(() => undefined);
      await client.workflow
        .getHandle(trackerWorkflowId(ADDED, DIRECTION))
        .terminate('test over')
        .catch(() => undefined);
      worker.shutdown();
      await running;
      await hub.close();
    }
  });
});
