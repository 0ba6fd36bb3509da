import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadSavedHistory } from '../support/saved-history';
import { testEnvironment } from '../support/test-env';

test('the saved smoke workflow history replays on the current workflow code', async () => {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const history = loadSavedHistory(join(import.meta.dirname, 'histories', 'smoke-workflow.pb'));
  assert.ok((history.events?.length ?? 0) > 5, 'the saved history holds the whole run');
  // Throws DeterminismViolationError when the code no longer produces the recorded commands.
  await Worker.runReplayHistory(
    { workflowBundle: { code: readFileSync(testEnvironment().workflowBundlePath, 'utf8') } },
    history,
    'smoke-replay',
  );
});
