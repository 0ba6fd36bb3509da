import { createInterface } from 'node:readline';
import { findOrder, recordOneIntentOf, type OrderIntent } from '../../../db/order-ledger';
import { connectPool } from '../../../db/pool';

/**
 * The process that must outlive its PostgreSQL connections (run by pg-restart.test.ts, which ends them):
 * a ledger transaction whose connection the server terminates, then idle pool connections terminated.
 * Reports each step as one JSON line on stdout and waits for a line on stdin between the two.
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
report('started');
// Waits inside its transaction on the contingency lock the test holds, until the test ends its connection.
await recordOneIntentOf(pool, [intent], intent).then(
  (row) => report('first', { ok: true, status: row?.status }),
  (error: unknown) => report('first', { ok: false, error: messageOf(error) }),
);
// Time for every event of the dead connection (the server's error, the socket's end) to arrive.
await new Promise((resolve) => setTimeout(resolve, 300));
const again = await recordOneIntentOf(pool, [intent], intent);
report('second', { ok: true, status: again?.status });

// The test now ends this pool's idle connections too.
await lines.next();
await new Promise((resolve) => setTimeout(resolve, 300));
const found = await findOrder(pool, intent.clientOrderId);
report('third', { ok: true, status: found?.status });
await pool.end();
process.exit(0);
