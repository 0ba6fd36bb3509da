import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { orchestratorControl } from '../../../api/orchestrator';
import { temporalApi } from '../../../temporal/proto';
import { listExecutions, startHarness, testOrchestratorRef, type Harness } from '../../support/harness';

/**
 * The root continues as new after `maxUpdatesPerRun` updates. Under a steady stream of updates it must
 * stop taking them once past that bound (refused, not recorded; the client retries), or its handlers and
 * outboxes never drain, it never continues as new, and the server's hard limit of updates per run wedges it.
 */
describe('the root under a stream of updates', () => {
  const ref = testOrchestratorRef('churn', { shardCount: 2, maxUpdatesPerRun: 10 });
  let harness: Harness;

  before(async () => {
    harness = await startHarness({ database: 'churn', orchestrator: ref });
  });
  after(() => harness?.stop());

  test('past its bound a run takes no more updates; every caller still gets its answer', async () => {
    const control = orchestratorControl(harness.client, ref);
    const config = { venues: [{ venue: 'binance' as const }], strategies: [{ name: 'idle' }] };
    const symbols = Array.from({ length: 30 }, (_, index) => `CH${index}-USDT`);
    // Four callers at a time, each adding and removing its symbols: 60 updates, never a pause between.
    const lanes = Array.from({ length: 4 }, (_, lane) => symbols.filter((_, index) => index % 4 === lane));
    await Promise.all(
      lanes.map(async (lane) => {
        for (const symbol of lane) {
          assert.equal((await control.addSymbol(symbol, config)).outcome, 'added');
          assert.equal((await control.removeSymbol(symbol)).outcome, 'removing');
        }
      }),
    );
    const runs = (await listExecutions(harness.client, `WorkflowId = "${ref.workflowId}"`)).sort((a, b) =>
      a.runId < b.runId ? -1 : 1,
    );
    assert.ok(runs.length >= 3, `the root continued as new (${runs.length} runs)`);
    const accepted = temporalApi.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED;
    const failedTask = temporalApi.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;
    let total = 0;
    for (const run of runs) {
      const history = await harness.client.workflow.getHandle(ref.workflowId, run.runId).fetchHistory();
      const events = history.events ?? [];
      const updates = events.filter((event) => event.eventType === accepted).length;
      total += updates;
      // The bound, plus what was already validated when it was reached (a few in flight at most).
      assert.ok(updates <= 10 + 8, `run ${run.runId} accepted ${updates} updates`);
      assert.equal(events.filter((event) => event.eventType === failedTask).length, 0);
    }
    assert.equal(total, 60, 'every update accepted once, none twice');
  });
});
