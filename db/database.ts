import { join } from 'node:path';
import type pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { migrate } from './migrate';
import { connectPool, redactDatabaseUrl } from './pool';

export interface Database {
  pool: pg.Pool;
  url: string;
  /** 'external' when DATABASE_URL was given, else 'embedded'. */
  source: 'external' | 'embedded';
  /** Versions this start applied (empty when the schema was current). */
  applied: string[];
  close(): Promise<void>;
}

/**
 * Keel's database: the PostgreSQL at `databaseUrl` when given, otherwise an embedded server under
 * `dataDir/postgres`. Either way the schema is migrated before this returns.
 */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPort: number;
}): Promise<Database> {
  let embedded: EmbeddedPostgresHandle | undefined;
  const url =
    options.databaseUrl ??
    (embedded = await startEmbeddedPostgres({
      dataDir: join(options.dataDir, 'postgres'),
      port: options.embeddedPort,
    })).url;
  try {
    const pool = await connectPool(url);
    const applied = await migrate(pool);
    return {
      pool,
      url,
      source: embedded ? 'embedded' : 'external',
      applied,
      close: async () => {
        await pool.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

export { redactDatabaseUrl };
