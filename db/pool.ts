import pg from 'pg';
import { StartupError } from '../config/startup-error';

/** The URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

/** Opens a pool and proves the server answers, failing fast with a one-line reason. */
export async function connectPool(
  url: string,
  options: { max?: number; connectTimeoutMs?: number } = {},
): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
  });
  // An idle client losing its server (Postgres restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new StartupError(`cannot reach PostgreSQL at ${redactDatabaseUrl(url)}: ${reason}`);
  }
  return pool;
}
