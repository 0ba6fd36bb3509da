import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureOrchestrator, orchestratorControl } from '../../../api/orchestrator';
import { createSimServer } from '../../../sim/server/server';
import type { ArbitrageState } from '../../../workflows/strategies/arbitrage/arbitrage-strategy';
import {
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  type StartedHarness,
} from '../../support/harness';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { killed, spawnKeelWorker } from '../../support/worker-process';
import { perpPerpParams, quoteBook } from './arbitrage-kit';

/**
 * A worker SIGKILLed while the second leg of a perp-perp entry is in flight: a new worker resumes the saga
 * at that leg, with its client order id, and the arbitrage ends where it would have without the kill,
 * both legs entered, with no order sent twice.
 */
const SYMBOL = 'ARK-USDT';
/** Every bybit placement waits this long at the venue before it executes: the window the kill lands in. */
const SECOND_LEG_LATENCY_MS = 700;

const sim = createSimWorld([SYMBOL]);
const binance = sim.exchange.market('binance', 'perp');
const bybit = sim.exchange.market('bybit', 'perp');
const server = createSimServer(sim.exchange);
const ref = testOrchestratorRef('arbkill', { shardCount: 1 });
const taskQueue = uniqueName('arbkill');
let harness: StartedHarness<{ database: string; worker: false; taskQueue: string }>;

before(async () => {
  harness = await startHarness({ database: 'arbitrage_kill', worker: false, taskQueue });
});
after(async () => {
  await harness.stop();
  await server.close();
});

test('a worker killed between the legs: the saga resumes, both legs entered once each', async () => {
  sim.exchange.fundAccount('mm');
  quoteBook(binance, SYMBOL, '99.9', '100');
  quoteBook(bybit, SYMBOL, '100.5', '100.6');
  sim.exchange.faults.add({
    venue: 'bybit',
    op: 'createOrder',
    fault: 'latency',
    latencyMs: SECOND_LEG_LATENCY_MS,
  });
  const workerEnv = {
    KEEL_CHAOS_TEMPORAL: testEnvironment().temporalAddress,
    KEEL_CHAOS_DATABASE_URL: harness.database.url,
    KEEL_CHAOS_SIM_URL: await server.listen(0, '127.0.0.1'),
    KEEL_CHAOS_TASK_QUEUE: taskQueue,
  };
  let worker = await spawnKeelWorker(workerEnv);
  try {
    const { client } = harness;
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);
    await control.addSymbol(SYMBOL, {
      venues: [{ venue: 'binance', market: 'perp', account: 'keel' }],
      strategies: [{ name: 'arbitrage', params: perpPerpParams() }],
    });

    const inFlight = await waitFor(
      'the second leg in flight',
      async () =>
        (
          await harness.database.pool.query<{ client_order_id: string; status: string }>(
            `SELECT client_order_id, status FROM ledger_orders WHERE symbol = $1 AND venue = 'bybit'`,
            [SYMBOL],
          )
        ).rows.find((row) => row.status === 'sending' || row.status === 'unknown'),
      30_000,
      20,
    );
    await killed(worker);
    worker = await spawnKeelWorker(workerEnv);

    const entry = await control.registered(SYMBOL);
    assert.ok(entry, `${SYMBOL} is registered`);
    const state = await waitFor('both legs entered after the kill', async () => {
      const symbol = await control.symbolState(entry.workflowId);
      const arbitrage = symbol?.strategies[0]?.state as ArbitrageState | undefined;
      return arbitrage?.phase === 'open' && arbitrage;
    });
    assert.deepEqual(
      [
        state.current?.legs.long.entries.map((f) => f.quantity),
        state.current?.legs.short.entries.map((f) => f.quantity),
      ],
      [['2'], ['2']],
    );

    // Once each on the venues, and the second leg's is the order that was in flight at the kill.
    const venueOrders = [...binance.accountOrders('keel', SYMBOL), ...bybit.accountOrders('keel', SYMBOL)];
    assert.equal(venueOrders.length, 2, venueOrders.map((o) => o.clientOrderId).join(', '));
    assert.ok(venueOrders.some((order) => order.clientOrderId === inFlight.client_order_id));
    const ledger = await harness.database.pool.query<{ venue: string; status: string }>(
      `SELECT venue, status FROM ledger_orders WHERE symbol = $1 ORDER BY created_at`,
      [SYMBOL],
    );
    assert.deepEqual(
      ledger.rows.map((row) => `${row.venue} ${row.status}`),
      ['binance filled', 'bybit filled'],
    );
  } finally {
    await killed(worker);
  }
});
