import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { installTestRuntime, keelWorkflowBundle } from '../support/harness';
import { loadSavedHistory } from '../support/saved-history';

test('the saved smoke workflow history replays on the current workflow code', async () => {
  installTestRuntime();
  const history = loadSavedHistory(join(import.meta.dirname, 'histories', 'smoke-workflow.pb'));
  assert.ok((history.events?.length ?? 0) > 5, 'the saved history holds the whole run');
  // Throws DeterminismViolationError when the code no longer produces the recorded commands.
  await Worker.runReplayHistory({ workflowBundle: keelWorkflowBundle() }, history, 'smoke-replay');
});
