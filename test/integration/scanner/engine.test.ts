import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { universeOf } from '../../../activities/scanner-engine';
import type { SpreadEngineProgress } from '../../../activities/scanner-engine';
import { MarketDataHub } from '../../../connectors/market-data-hub';
import { findTracking } from '../../../db/scanner-trackings';
import { pauseEngineSignal, spreadEngineStateQuery } from '../../../workflows/scanner/engine-workflow';
import { trackerWorkflowId, type TrackerResult } from '../../../workflows/scanner/tracker/tracker-messages';
import { createSimWorld, listExecutions, startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { createEngineWorker, discoverNow, setTops } from './scanner-kit';

const SYMBOL = 'ENG-USDT';
const DIRECTION = 'binance-spot>bybit-perp';

describe('the spread engine: discovery → a dislocation on the simulator → one tracker → converged', () => {
  const sim = createSimWorld([SYMBOL]);
  let harness: Harness;
  let database: TestDatabase;
  const hub = new MarketDataHub({
    connectorFor: (source) => sim.connectors(source.venue, source.market, 'keel'),
  });

  before(async () => {
    const started = await startHarness({
      database: 'scanner_engine',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
    });
    harness = started;
    ({ database } = started);
  });
  after(() => harness?.stop());

  test('the engine opens one tracker for the dislocated direction, never a second, and it closes CONVERGED', async () => {
    const { client, taskQueue } = harness;
    // Only two books are set, after discovery: stream validation is not what this test is about.
    const version = await discoverNow(harness);
    const universe = await universeOf(database.pool, version);
    assert.deepEqual(universe.symbols, [SYMBOL]);

    const { worker, scannerQueue } = await createEngineWorker(harness, database, hub, {
      intervalMs: 100,
      horizonMs: 120_000,
    });
    const running = worker.run();
    try {
      setTops(sim.exchange, SYMBOL, DIRECTION, { spot: ['99.9', '100'], perp: ['99.95', '100.05'] }); // perp bid under spot ask: no spread
      const engine = await client.workflow.start('spreadEngineWorkflow', {
        taskQueue,
        workflowId: uniqueName('engine'),
        // Reported again 300 ms after each opening: every report after the first meets the running tracker.
        args: [{ version, taskQueue: scannerQueue, reopenAfterMs: 300 }],
      });
      const trackerId = trackerWorkflowId(SYMBOL, DIRECTION);
      /** The running engine's figures, as its last heartbeat reported them. */
      const progress = async (): Promise<SpreadEngineProgress | undefined> => {
        const { raw } = await engine.describe();
        const payload = raw.pendingActivities?.find((a) => a.activityType?.name === 'runSpreadEngine')
          ?.heartbeatDetails?.payloads?.[0];
        return payload ? defaultPayloadConverter.fromPayload<SpreadEngineProgress>(payload) : undefined;
      };
      const seen = await waitFor('the engine applying quotes', async () => {
        const now = await progress();
        return now && now.quotes > 0 && now;
      });
      assert.equal(seen.openings, 0, 'no spread, no opening');
      assert.deepEqual(
        await listExecutions(client, `WorkflowId = "${trackerId}"`),
        [],
        'no spread, no tracker',
      );

      // 100 bps: bybit's perp bid 101 over binance's spot ask 100.
      setTops(sim.exchange, SYMBOL, DIRECTION, { spot: ['99.9', '100'], perp: ['101', '101.1'] });
      await waitFor(
        'the tracker started',
        async () => (await listExecutions(client, `WorkflowId = "${trackerId}"`)).length > 0,
      );
      // The perp bid moves within the dislocation: each new quote after the reopen delay is another opening.
      let tick = 0;
      const reopened = await waitFor('the engine reporting the open spread again', async () => {
        tick += 1;
        setTops(sim.exchange, SYMBOL, DIRECTION, {
          spot: ['99.9', '100'],
          perp: [(101 + tick / 100).toFixed(2), '101.5'],
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        const now = await progress();
        return now && now.openings >= 3 && now;
      });
      assert.equal(reopened.trackersStarted, 1, 'every opening after the first met the running tracker');
      const runs = await listExecutions(client, `WorkflowId = "${trackerId}"`);
      assert.equal(runs.length, 1, 'one tracker however many times the engine saw the spread open');

      setTops(sim.exchange, SYMBOL, DIRECTION, { spot: ['99.9', '100'], perp: ['100.04', '100.1'] }); // 4 bps, under the 10 bps exit
      const result = (await client.workflow.getHandle(trackerId).result()) as TrackerResult;
      assert.equal(result.outcome, 'CONVERGED');
      const row = await findTracking(database.pool, result.trackingId);
      assert.equal(row?.outcome, 'CONVERGED');
      assert.ok((row?.samples ?? 0) > 0, 'samples were written');

      await engine.signal(pauseEngineSignal);
      const paused = await waitFor('the engine paused', async () => {
        const state = await engine.query(spreadEngineStateQuery);
        return state.paused && state.last ? state : undefined;
      });
      assert.equal(paused.last?.version, version);
      assert.ok((paused.last?.quotes ?? 0) > 0);
      assert.ok((paused.last?.trackersStarted ?? 0) >= 1);
      await engine.terminate('test over');
    } finally {
      worker.shutdown();
      await running;
    }
  });
});
