import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSmokeActivities } from '../../activities/smoke-activities';
import { StrategyKey, SymbolKey } from '../../temporal/search-attributes';
import { smokeWorkflow } from '../../workflows';
import { startHarness, type Harness } from '../support/harness';
import type { TestDatabase } from '../support/test-database';
import { uniqueName } from '../support/test-env';

describe('smoke path: client → dev server → worker → activity → PostgreSQL', () => {
  let database: TestDatabase;
  /** The harness: a worker on its own task queue, and a client. */
  let worker: Harness;

  before(async () => {
    const harness = await startHarness({ database: 'smoke' });
    ({ database } = harness);
    worker = harness;
  });
  after(() => worker?.stop());

  test('the workflow writes exactly one row, which carries its own ids', async () => {
    const workflowId = uniqueName('smoke');
    const handle = await worker.client.workflow.start(smokeWorkflow, {
      workflowId,
      taskQueue: worker.taskQueue,
      args: [{ symbol: 'ETH-USDT', note: 'from the smoke test' }],
      typedSearchAttributes: [
        { key: SymbolKey, value: 'ETH-USDT' },
        { key: StrategyKey, value: 'smoke' },
      ],
    });
    const result = await handle.result();

    const { rows } = await database.pool.query<{
      id: string;
      workflow_id: string;
      run_id: string;
      symbol: string;
      note: string;
    }>('SELECT id, workflow_id, run_id, symbol, note FROM smoke_runs');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], {
      id: result.rowId,
      workflow_id: workflowId,
      run_id: handle.firstExecutionRunId,
      symbol: 'ETH-USDT',
      note: 'from the smoke test',
    });

    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.typedSearchAttributes.get(SymbolKey), 'ETH-USDT');
    assert.equal(description.typedSearchAttributes.get(StrategyKey), 'smoke');
  });

  test('the search attributes filter workflows on the server', async () => {
    const workflowId = uniqueName('smoke-filter');
    const symbol = `FILTER${Date.now()}-USDT`;
    await worker.client.workflow.execute(smokeWorkflow, {
      workflowId,
      taskQueue: worker.taskQueue,
      args: [{ symbol }],
      typedSearchAttributes: [{ key: SymbolKey, value: symbol }],
    });
    // Visibility is eventually consistent: poll briefly.
    let found: string[] = [];
    for (let attempt = 0; attempt < 40 && found.length === 0; attempt += 1) {
      found = [];
      for await (const execution of worker.client.workflow.list({ query: `Symbol = "${symbol}"` })) {
        found.push(execution.workflowId);
      }
      if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.deepEqual(found, [workflowId]);
  });

  test('a retried smoke activity returns the row it wrote instead of writing another', async () => {
    const activities = createSmokeActivities({ pool: database.pool });
    const run = { workflowId: uniqueName('retry'), runId: 'run-1', symbol: 'SOL-USDT', note: '' };
    const first = await activities.recordSmokeRun(run);
    const second = await activities.recordSmokeRun(run);
    assert.equal(second, first);
    const { rows } = await database.pool.query('SELECT 1 FROM smoke_runs WHERE workflow_id = $1', [
      run.workflowId,
    ]);
    assert.equal(rows.length, 1);
  });
});
