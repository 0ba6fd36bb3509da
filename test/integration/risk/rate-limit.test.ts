import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PlaceOrderInput, PlacementResult } from '../../../activities/place-order-once';
import { setRiskLimits } from '../../../db/risk';
import { createSimServer } from '../../../sim/server/server';
import { createSimWorld, startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { killed, spawnKeelWorker } from '../../support/worker-process';
import type { SteadyPlacementInput } from './rate-limit-workflow';

/**
 * The orders-per-second limit of an account holds across worker processes: two Keel workers, each in a
 * process of its own (test/support/chaos-worker.ts, trading on the networked simulator), place for the
 * same account at once, far faster than the limit. The ledger, on PostgreSQL's clock, never holds more
 * than the limit in any one second; the rest are denied, recorded, and never reach the venue.
 */

const LIMIT = 5;
const SYMBOLS = ['RLA-USDT', 'RLB-USDT', 'RLC-USDT', 'RLD-USDT'];
/** Placing workflows at once (two per symbol), each placing back to back for PLACING_MS. */
const WORKFLOWS = 8;
const PLACING_MS = 4_000;

/** A buy resting far below any market (nothing sells there): each one placed lands and stays open. */
const orderOf = (workflow: number): SteadyPlacementInput['order'] => ({
  venue: 'binance',
  market: 'spot',
  account: 'keel',
  symbol: SYMBOLS[workflow % SYMBOLS.length] ?? 'RLA-USDT',
  strategy: 'rate-probe',
  side: 'buy',
  type: 'limit',
  price: String(50 + workflow),
  quantity: '0.2',
  // The symbol's own limits say nothing of the rate: only the account's limit applies.
  limits: {},
  live: false,
});

/** Which worker process ran each placement, by client order id: ActivityTaskStarted's identity. */
async function placedBy(harness: Harness, workflowIds: string[]): Promise<Map<string, string>> {
  const by = new Map<string, string>();
  for (const workflowId of workflowIds) {
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const event of history.events ?? []) {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (attributes?.activityType?.name === 'placeOrderOnce') {
        const [payload] = attributes.input?.payloads ?? [];
        const order = payload ? defaultPayloadConverter.fromPayload<PlaceOrderInput>(payload) : undefined;
        if (order) scheduled.set(String(event.eventId), order.clientOrderId);
      }
      const started = event.activityTaskStartedEventAttributes;
      const clientOrderId = started && scheduled.get(String(started.scheduledEventId));
      if (clientOrderId) by.set(clientOrderId, started.identity ?? '');
    }
  }
  return by;
}

interface LedgerRow {
  client_order_id: string;
  status: string;
  denial_rule: string | null;
  /** Shown when a row is not what the test expects. */
  rejection: string | null;
  send_attempts: number;
  /** created_at in microseconds since the epoch, PostgreSQL's clock. */
  at_us: string;
}

describe('maxOrdersPerSecond with two worker processes placing for the same account', () => {
  const sim = createSimWorld(SYMBOLS);
  const simServer = createSimServer(sim.exchange);
  const market = sim.exchange.market('binance', 'spot');
  /** Polled by both worker processes: Keel's activities run there and nowhere else. */
  const activityTaskQueue = uniqueName('rate-limit-activities');
  let harness: Harness | undefined;
  let database: TestDatabase;
  const workers: ChildProcess[] = [];

  before(async () => {
    const simUrl = await simServer.listen(0, '127.0.0.1');
    const started = await startHarness({ database: 'rate_limit', worker: false });
    harness = started;
    database = started.database;
    // Set before anything is placed: the account's limit, for orders of every symbol and every process.
    await setRiskLimits(database.pool, {
      scope: 'account',
      key: 'binance:keel',
      limits: { maxOrdersPerSecond: LIMIT },
      actor: 'test',
      reason: 'orders-per-second across processes',
    });
    const workerEnv = {
      KEEL_CHAOS_TEMPORAL: testEnvironment().temporalAddress,
      KEEL_CHAOS_DATABASE_URL: database.url,
      KEEL_CHAOS_SIM_URL: simUrl,
      KEEL_CHAOS_TASK_QUEUE: activityTaskQueue,
    };
    // Pushed as each is ready, so after() kills whichever started even if the other did not.
    await Promise.all([0, 1].map(() => spawnKeelWorker(workerEnv).then((child) => workers.push(child))));
  });

  after(async () => {
    await Promise.all(workers.map((child) => killed(child)));
    await harness?.stop();
    await simServer.close();
  });

  test('the ledger never holds more than the limit in any second; the rest are denied, never sent', async (t) => {
    assert.ok(harness);
    const { client } = harness;
    const identities = workers.map((child) => `${child.pid}@${hostname()}`);
    assert.equal(new Set(identities).size, 2, 'two worker processes');

    // The placing workflows run in this process; every placement runs in one of the two worker processes.
    const { worker, taskQueue } = await harness.createWorker({
      workflows: join(import.meta.dirname, 'rate-limit-workflow.ts'),
      activities: {},
    });
    const started = Date.now();
    const workflowIds = Array.from({ length: WORKFLOWS }, (_, w) => uniqueName(`rate-limit-${w}`));
    const results = (
      await worker.runUntil(
        Promise.all(
          workflowIds.map(
            (workflowId, w) =>
              client.workflow.execute('steadyPlacementWorkflow', {
                taskQueue,
                workflowId,
                args: [
                  {
                    activityTaskQueue,
                    order: orderOf(w),
                    idPrefix: `rl${w}x`,
                    forMs: PLACING_MS,
                  } satisfies SteadyPlacementInput,
                ],
                workflowExecutionTimeout: '2 minutes',
              }) as Promise<PlacementResult[]>,
          ),
        ),
      )
    ).flat();
    const placingMs = Date.now() - started;

    // Every order was either placed (resting: nothing trades at these prices) or denied by the rate.
    const { rows } = await database.pool.query<LedgerRow>(
      `SELECT client_order_id, status, denial_rule, rejection, send_attempts,
              (extract(epoch FROM created_at) * 1000000)::bigint::text AS at_us
       FROM ledger_orders WHERE venue = 'binance' AND account = 'keel' ORDER BY created_at`,
    );
    assert.equal(rows.length, results.length, 'one ledger row per order');
    const unexpected = rows.filter(
      (row) =>
        !(row.status === 'open' || (row.status === 'denied' && row.denial_rule === 'maxOrdersPerSecond')),
    );
    assert.deepEqual(unexpected, [], 'only resting orders and maxOrdersPerSecond denials');
    for (const result of results) {
      const row = rows.find((candidate) => candidate.client_order_id === result.clientOrderId);
      assert.equal(
        result.status,
        row?.status,
        `${result.clientOrderId}: the workflow saw what the ledger holds`,
      );
      if (result.status === 'denied') assert.equal(result.denialRule, 'maxOrdersPerSecond');
    }
    const placed = rows.filter((row) => row.status !== 'denied');
    const denied = rows.filter((row) => row.status === 'denied');

    // (1) In SQL, on PostgreSQL's clock: the placed orders of the account in the second ending at each one.
    const windows = await database.pool.query<{ client_order_id: string; in_window: number }>(
      `SELECT o.client_order_id,
              (SELECT count(*)::int FROM ledger_orders p
                WHERE p.venue = o.venue AND p.account = o.account AND p.status <> 'denied'
                  AND p.created_at > o.created_at - interval '1 second' AND p.created_at <= o.created_at) AS in_window
       FROM ledger_orders o WHERE o.venue = 'binance' AND o.account = 'keel' AND o.status <> 'denied'
       ORDER BY in_window DESC, o.created_at`,
    );
    const busiest = windows.rows[0]?.in_window ?? 0;
    const over = windows.rows.filter((row) => row.in_window > LIMIT);
    assert.deepEqual(over, [], `at most ${LIMIT} placed orders of the account in any one second`);
    assert.equal(busiest, LIMIT, 'the load reached the limit (else the check above proves nothing)');

    // (2) Denied orders were never sent (no claim to send in the ledger), and the venue has exactly the placed ones.
    const onVenue = new Set(
      SYMBOLS.flatMap((symbol) =>
        market.accountOrders('keel', symbol).map((order) => String(order.clientOrderId)),
      ),
    );
    assert.ok(denied.length > 0, 'some orders were over the limit');
    assert.deepEqual(
      denied.filter((row) => row.send_attempts > 0).map((row) => row.client_order_id),
      [],
      'no denied order was claimed for sending',
    );
    assert.deepEqual(
      denied.filter((row) => onVenue.has(row.client_order_id)).map((row) => row.client_order_id),
      [],
      'no denied order reached the venue',
    );
    assert.deepEqual(
      [...onVenue].sort(),
      placed.map((row) => row.client_order_id).sort(),
      'the venue holds exactly the placed orders',
    );

    // (3) Both processes placed and were denied: the limit was shared between them, not held by each.
    const by = await placedBy(harness, workflowIds);
    assert.equal(by.size, rows.length, 'a worker identity for every placement');
    const processOf = (row: LedgerRow) => by.get(row.client_order_id) ?? '';
    assert.deepEqual(
      [...new Set([...by.values()])].sort(),
      [...identities].sort(),
      'placements ran in both processes',
    );
    for (const identity of identities) {
      assert.ok(
        placed.some((row) => processOf(row) === identity),
        `${identity} placed orders`,
      );
      assert.ok(
        denied.some((row) => processOf(row) === identity),
        `${identity} had orders denied`,
      );
    }
    // Denials a per-process count would have let through: the denying process itself had placed fewer than
    // the limit in the second before, the other process's orders filled it.
    const placedInSecondBefore = (row: LedgerRow, identity: string) =>
      placed.filter(
        (other) =>
          processOf(other) === identity &&
          Number(other.at_us) > Number(row.at_us) - 1_000_000 &&
          Number(other.at_us) <= Number(row.at_us),
      ).length;
    const sharedDenials = denied.filter((row) => placedInSecondBefore(row, processOf(row)) < LIMIT);
    assert.ok(sharedDenials.length > 0, 'some denials counted the other process’s orders');
    const mixedWindows = placed.filter((row) =>
      identities.every((identity) => placedInSecondBefore(row, identity) > 0),
    );
    assert.ok(mixedWindows.length > 0, 'some second held placed orders of both processes');

    const spanMs = (Number(rows.at(-1)?.at_us) - Number(rows[0]?.at_us)) / 1000;
    const perProcess = identities.map(
      (identity) =>
        `${identity}: ${placed.filter((row) => processOf(row) === identity).length} placed, ${denied.filter((row) => processOf(row) === identity).length} denied`,
    );
    t.diagnostic(
      `${rows.length} orders over ${Math.round(spanMs)} ms (workflows took ${placingMs} ms): ${placed.length} placed, ` +
        `${denied.length} denied (maxOrdersPerSecond), busiest second ${busiest}/${LIMIT}; ${perProcess.join('; ')}; ` +
        `${sharedDenials.length} denials with the denying process under the limit on its own`,
    );
  });
});
