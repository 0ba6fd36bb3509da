import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { withClient } from '../../../db/pool';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';

const childName = 'keel-pg-restart-child';
const childScript = join(import.meta.dirname, 'pg-restart-child.ts');

describe('a PostgreSQL restart: the server ending a connection the ledger holds', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('pg_restart');
  });
  after(() => database?.drop());

  /** Backends of the child process (found by its application_name), optionally only those waiting on a lock. */
  const childBackends = async (waitingOnLock: boolean) => {
    const { rows } = await database.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND (NOT $2 OR wait_event_type = 'Lock')`,
      [childName, waitingOnLock],
    );
    return rows.map((row) => row.pid);
  };
  const terminate = (pids: number[]) =>
    database.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);

  test('the process lives on: the interrupted transaction rejects, the next ledger calls succeed', async () => {
    const url = new URL(database.url);
    url.searchParams.set('application_name', childName);
    const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      env: { ...process.env, KEEL_PG_RESTART_URL: url.toString() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    /** The child's next report, which must be `name`; fails at once when the child dies instead. */
    const step = async (name: string) => {
      const next = await lines.next();
      if (next.done) {
        const code = await exited;
        throw new Error(`the child exited with code ${code} before '${name}'; its stderr:\n${stderr}`);
      }
      const report = JSON.parse(next.value) as Record<string, unknown>;
      assert.equal(report.step, name);
      return report;
    };

    try {
      // Hold the contingency lock of the child's ledger transaction so its client stays checked out in it.
      await withClient(database.pool, async (locker) => {
        await locker.query('SELECT pg_advisory_lock(hashtext($1))', ['keel-contingency:PGR-1']);
        try {
          await step('started');
          const [pid] = await waitFor('the ledger transaction waiting on the lock', async () => {
            const pids = await childBackends(true);
            return pids.length === 1 ? pids : undefined;
          });
          await terminate([pid ?? 0]);
        } finally {
          await locker.query('SELECT pg_advisory_unlock(hashtext($1))', ['keel-contingency:PGR-1']);
        }
      });

      const first = await step('first');
      assert.equal(first.ok, false, 'the interrupted transaction rejects');
      assert.match(String(first.error), /terminat/i);
      assert.deepEqual(await step('second'), { step: 'second', ok: true, status: 'intent' });

      // Then every connection the child's pool holds idle.
      const idle = await childBackends(false);
      assert.ok(idle.length > 0, 'the child keeps idle connections in its pool');
      await terminate(idle);
      child.stdin.write(`${JSON.stringify(idle)}\n`);
      assert.deepEqual(await step('third'), { step: 'third', ok: true, status: 'intent' });

      assert.equal(await exited, 0, `the child exited cleanly (stderr: ${stderr})`);
    } finally {
      child.kill();
    }
  });
});
