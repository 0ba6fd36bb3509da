import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StartupError } from '../../config/startup-error';
import { openDatabase } from '../../db/database';
import { findFreePort } from '../../temporal/port-check';
import { createTestDatabase } from '../support/test-database';
import { testEnvironment } from '../support/test-env';

describe('openDatabase', () => {
  test('external DATABASE_URL: migrates once, then finds the schema current', async () => {
    const database = await createTestDatabase('external', { migrate: false });
    try {
      const first = await openDatabase({
        databaseUrl: database.url,
        dataDir: '/nonexistent',
        embeddedPort: 1,
      });
      assert.equal(first.source, 'external');
      assert.ok(first.applied.includes('0001_smoke_runs'), `applied: ${first.applied.join(', ')}`);
      await first.close();

      const second = await openDatabase({
        databaseUrl: database.url,
        dataDir: '/nonexistent',
        embeddedPort: 1,
      });
      assert.deepEqual(second.applied, []);
      const { rows } = await second.pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      assert.equal(Number(rows[0]?.n), first.applied.length);
      await second.close();
    } finally {
      await database.drop();
    }
  });

  test('concurrent starts against one database apply each migration exactly once', async () => {
    const database = await createTestDatabase('concurrent', { migrate: false });
    try {
      const opened = await Promise.all(
        [1, 2, 3].map(() =>
          openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent', embeddedPort: 1 }),
        ),
      );
      const appliedCounts = opened.map((db) => db.applied.length).sort();
      assert.equal(
        appliedCounts.filter((count) => count > 0).length,
        1,
        `applied: ${JSON.stringify(appliedCounts)}`,
      );
      await Promise.all(opened.map((db) => db.close()));
    } finally {
      await database.drop();
    }
  });

  test('embedded: initialises a cluster in the data dir, keeps data across a restart', async () => {
    const dataDir = mkdtempSync(join(testEnvironment().tmpDir, 'embedded-'));
    chmodSync(dataDir, 0o755);
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await findFreePort();

    const first = await openDatabase({ databaseUrl: undefined, dataDir, embeddedPort: port });
    try {
      assert.equal(first.source, 'embedded');
      assert.ok(first.applied.includes('0001_smoke_runs'));
      await first.pool.query(
        `INSERT INTO smoke_runs (workflow_id, run_id, symbol, note) VALUES ('wf', 'run', 'BTC-USDT', 'kept')`,
      );
    } finally {
      await first.close();
    }

    const second = await openDatabase({ databaseUrl: undefined, dataDir, embeddedPort: port });
    try {
      assert.deepEqual(second.applied, []);
      const { rows } = await second.pool.query<{ note: string }>('SELECT note FROM smoke_runs');
      assert.deepEqual(rows, [{ note: 'kept' }]);
    } finally {
      await second.close();
    }
  });

  test('an unreachable DATABASE_URL fails fast with one line and no password', async () => {
    const port = await findFreePort();
    const started = Date.now();
    await assert.rejects(
      openDatabase({
        databaseUrl: `postgres://keel:hunter2@127.0.0.1:${port}/keel`,
        dataDir: '/x',
        embeddedPort: 1,
      }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError);
        assert.match(
          error.message,
          new RegExp(`cannot reach PostgreSQL at postgres://keel:\\*\\*\\*@127.0.0.1:${port}/keel`),
        );
        assert.doesNotMatch(error.message, /hunter2|\n/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'fails within the connect timeout');
  });
});
