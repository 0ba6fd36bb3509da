import type pg from 'pg';
import { migrate } from '../../db/migrate';
import { connectPool } from '../../db/pool';
import { testEnvironment, uniqueName } from './test-env';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh, migrated database of its own for one test file, on the run's real PostgreSQL. */
export async function createTestDatabase(
  prefix: string,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const adminUrl = testEnvironment().databaseUrl;
  const name = uniqueName(`keel_${prefix}`)
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  const admin = await connectPool(adminUrl, { max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pool = await connectPool(url);
  if (options.migrate ?? true) await migrate(pool);
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      const cleanup = await connectPool(adminUrl, { max: 1 });
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
