import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { temporalApi } from '../../temporal/proto';
import { installTestRuntime, keelWorkflowBundle } from '../support/harness';

const dir = join(import.meta.dirname, 'histories');
const files = readdirSync(dir).filter((name) =>
  /^(orchestratorWorkflow|shardWorkflow|symbolWorkflow)-.*\.pb$/.test(name),
);

/**
 * The workflow id a saved run had (`symbolWorkflow-symbol_BTC-USDT-<run>.pb` → `symbol:BTC-USDT`): client
 * order ids derive from it, and a grid matches the venue's answers to the ids it issued.
 */
function workflowIdOf(fileName: string): string {
  const saved = fileName.replace(/^[A-Za-z]+-/, '').replace(/-[0-9a-f]{12}\.pb$/, '');
  return saved.replace(/^(symbol|shard)_/, '$1:');
}

describe('saved orchestrator, shard and symbol histories replay on the current workflow code', () => {
  test('there are histories of every workflow type, including continued-as-new runs', () => {
    for (const type of ['orchestratorWorkflow', 'shardWorkflow', 'symbolWorkflow'])
      assert.ok(
        files.some((name) => name.startsWith(`${type}-`)),
        `no ${type} history saved`,
      );
  });

  test('every history replays without nondeterminism', async () => {
    installTestRuntime();
    const bundle = keelWorkflowBundle();
    const histories = files.map((name) => ({
      workflowId: workflowIdOf(name),
      history: temporalApi.history.v1.History.decode(readFileSync(join(dir, name))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, histories.length);
    assert.deepEqual(failures, []);
  });
});
