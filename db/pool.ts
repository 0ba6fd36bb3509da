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
  // An idle client losing its server (Postgres restart) must not crash the process; the next checkout
  // reconnects. Checked-out clients get theirs from `withClient`.
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

/**
 * Checks a client out for `work`, then returns it to the pool (or destroys it when its connection was
 * lost). Every `pool.connect()` in Keel goes through here: the pool takes its own `error` listener off a
 * client it hands out, and when the server ends that client's connection (a restart, a failover,
 * `pg_terminate_backend`) an `error` event with no listener kills the process. With this listener the
 * loss reaches only the caller, as the rejection of its query.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.removeListener('error', onError);
    client.release(lost);
  }
}

/** Runs `work` in one transaction on a client checked out by `withClient`. */
export function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, (client) => inTransaction(client, work));
}

/** Runs `work` between BEGIN and COMMIT on `client`; ROLLBACK when it throws. */
export async function inTransaction<C extends pg.ClientBase, T>(
  client: C,
  work: (client: C) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // On a lost connection the server has rolled back already and this fails too: report the first error.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
