import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { inTransaction, withClient } from './pool';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** Arbitrary constant: serialises concurrent migrators (several workers starting at once). */
const migrationLockKey = 7_233_5432;

export interface Migration {
  version: string;
  sql: string;
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort();
  return Promise.all(
    files.map(async (name) => ({
      version: name.replace(/\.sql$/, ''),
      sql: await readFile(join(dir, name), 'utf8'),
    })),
  );
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction, under an
 * advisory lock. Idempotent: a second run applies nothing. Returns the versions it applied.
 */
export async function migrate(pool: Pool, migrations?: Migration[]): Promise<string[]> {
  const pending = migrations ?? (await readMigrations());
  return withClient(pool, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.version));
      const appliedNow: string[] = [];
      for (const migration of pending) {
        if (applied.has(migration.version)) continue;
        await inTransaction(client, async () => {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
        }).catch((error: unknown) => {
          throw new Error(
            `migration ${migration.version} failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        });
        appliedNow.push(migration.version);
      }
      return appliedNow;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]).catch(() => undefined);
    }
  });
}
