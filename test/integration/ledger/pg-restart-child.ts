import { createInterface } from 'node:readline';
import type pg from 'pg';
import { findOrder, recordOneIntentOf, type OrderIntent } from '../../../db/order-ledger';
import { connectPool } from '../../../db/pool';

/**
 * The process that must outlive its PostgreSQL connections (run by pg-restart.test.ts, which ends them):
 * a ledger transaction whose connection the server terminates, then idle pool connections terminated.
 * Reports each step as one JSON line on stdout and waits for a line on stdin between the two (the pids
 * of the idle connections the test ended).
 */
const url = process.env.KEEL_PG_RESTART_URL;
if (!url) throw new Error('KEEL_PG_RESTART_URL is not set');

const report = (step: string, detail: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ step, ...detail }));
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const intent: OrderIntent = {
  clientOrderId: 'PGR-1',
  venue: 'binance',
  market: 'spot',
  account: 'keel',
  symbol: 'PGR-USDT',
  strategy: 'grid',
  workflowId: 'pg-restart',
  side: 'buy',
  type: 'limit',
  price: '100',
  quantity: '1',
};

const pool = await connectPool(url);

/**
 * Backends whose connection this process has seen end. A client emits `end` on the tick after it handled
 * (or, without a listener, crashed on) the `error` of its lost connection: once a connection the server
 * ended is in here, the moment that would have killed the process has passed.
 */
const ended = new Set<number>();
let onEnded = () => undefined as void;
const tracked = new WeakSet<pg.PoolClient>();
pool.on('acquire', (client) => {
  if (tracked.has(client)) return;
  tracked.add(client);
  client.on('end', () => {
    const { processID } = client as pg.PoolClient & { processID?: number };
    if (processID !== undefined) ended.add(processID);
    onEnded();
  });
});
/** Resolves once `done()` holds, checked each time a tracked connection ends. */
const untilEnded = (done: () => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (done()) resolve();
    };
    onEnded = check;
    check();
  });

report('started');
// Waits inside its transaction on the contingency lock the test holds, until the test ends its connection.
await recordOneIntentOf(pool, [intent], intent).then(
  (row) => report('first', { ok: true, status: row?.status }),
  (error: unknown) => report('first', { ok: false, error: messageOf(error) }),
);
// The terminated connection's events (the server's error, the socket's end) have all arrived.
await untilEnded(() => ended.size >= 1);
const again = await recordOneIntentOf(pool, [intent], intent);
report('second', { ok: true, status: again?.status });

// The test now ends this pool's idle connections too, and says which.
const idle = JSON.parse(String((await lines.next()).value)) as number[];
await untilEnded(() => idle.every((pid) => ended.has(pid)));
const found = await findOrder(pool, intent.clientOrderId);
report('third', { ok: true, status: found?.status });
await pool.end();
process.exit(0);
