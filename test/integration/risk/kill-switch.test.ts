import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureOrchestrator, orchestratorControl } from '../../../api/orchestrator';
import { ensureRisk, riskControl } from '../../../api/risk';
import { createSimServer } from '../../../sim/server/server';
import { startDevServer, type DevServer } from '../../../temporal/dev-server';
import { findFreePort } from '../../../temporal/port-check';
import { takerOrder } from '../../../workers/sim-world';
import type { GridParamsInput } from '../../../workflows/strategies/grid/grid-params';
import { createSimWorld, startHarness, testOrchestratorRef, testRiskRef } from '../../support/harness';
import { createTestDatabase } from '../../support/test-database';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { killed, spawnKeelWorker } from '../../support/worker-process';

const SYMBOLS = ['KSA-USDT', 'KSB-USDT', 'KSC-USDT'];
const LATE = 'KSD-USDT';
const LIVE = ['intent', 'sending', 'unknown', 'open', 'partially-filled'];

const grid: GridParamsInput = {
  mode: 'neutral',
  lowerPrice: '90',
  upperPrice: '110',
  levels: 9,
  orderSize: { unit: 'base', amount: '1' },
  maxInventory: '20',
  referencePrice: '100',
  pollMs: 100,
  watchMs: 1000,
};
const config = {
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [{ name: 'grid', params: grid }],
};

test('kill switch: grids on several symbols, lost responses, orders in flight, a worker SIGKILL and a dev-server restart: every order ended, none sent after it', async () => {
  const env = testEnvironment();
  const dir = mkdtempSync(join(env.tmpDir, 'kill-switch-'));
  chmodSync(dir, 0o755);
  const sim = createSimWorld([...SYMBOLS, LATE]);
  const venue = sim.exchange.venue('binance');
  venue.setClientIdReuse('after-close');
  for (const symbol of SYMBOLS) venue.deposit('spot', 'taker', symbol.split('-')[0] ?? '', '100000');
  venue.deposit('spot', 'taker', 'USDT', '100000000');
  const market = sim.exchange.market('binance', 'spot');
  const simServer = createSimServer(sim.exchange);
  const simUrl = await simServer.listen(0, '127.0.0.1');

  // A dev server of this test's own, file-backed, so that it can be restarted with its workflows.
  const serverOptions = {
    binary: env.temporalCli,
    grpcPort: await findFreePort(),
    uiPort: 0,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
  };
  let server: DevServer = await startDevServer(serverOptions);
  const database = await createTestDatabase('kill_switch');
  const taskQueue = uniqueName('kill-switch');
  const workerEnv = {
    KEEL_CHAOS_TEMPORAL: server.address,
    KEEL_CHAOS_DATABASE_URL: database.url,
    KEEL_CHAOS_SIM_URL: simUrl,
    KEEL_CHAOS_TASK_QUEUE: taskQueue,
  };
  let worker = await spawnKeelWorker(workerEnv);
  const connected = await startHarness({ address: server.address, worker: false });
  const orchestrator = testOrchestratorRef('kill-switch', { shardCount: 1 });
  // The breakers stay quiet here (the faults below would trip them): this test is the kill switch's.
  const riskRef = testRiskRef('kill-switch', { breakers: { everyMs: 60_000 } });
  const sql = async <T>(text: string, values: unknown[] = []) =>
    (await database.pool.query(text, values)).rows as T[];
  const openOnVenue = () => SYMBOLS.flatMap((symbol) => market.openOrders('keel', symbol));

  try {
    await ensureOrchestrator(connected.client, taskQueue, orchestrator);
    await ensureRisk(connected.client, taskQueue, riskRef);
    const control = orchestratorControl(connected.client, orchestrator);
    for (const symbol of SYMBOLS) await control.addSymbol(symbol, config);
    // Neutral grids 90..110 in 9 levels around 100: four buys and four sells each.
    await waitFor('every grid resting', () => openOnVenue().length === SYMBOLS.length * 8, 60_000);

    // From now on half the responses to placements and cancels are lost, and placements take 300 ms at
    // the venue: fills make the grids place replacements, which are in flight when the kill switch engages.
    sim.exchange.faults.add({ op: 'createOrder', fault: 'latency', latencyMs: 300 });
    sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', probability: 0.5 });
    sim.exchange.faults.add({ op: 'cancelOrder', fault: 'lose-response', probability: 0.5 });
    for (const symbol of SYMBOLS) {
      takerOrder(market, { symbol, side: 'sell', price: '97.5' });
      takerOrder(market, { symbol, side: 'buy', price: '102.5' });
    }
    await waitFor(
      'replacements in flight',
      async () =>
        (await sql(`SELECT 1 FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`)).length >
        0,
      10_000,
      5,
    );
    const inFlight = await sql<{ client_order_id: string }>(
      `SELECT client_order_id FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`,
    );

    const { incident } = await riskControl(connected.client, riskRef).engageKillSwitch({
      actor: 'test',
      reason: 'drill under faults',
    });
    // The halt is in PostgreSQL before the engagement returns.
    assert.equal((await sql(`SELECT 1 FROM trading_states WHERE source = 'kill-switch'`)).length, 1);

    // Every part restarts mid-sweep: the worker is killed, the dev server restarted, a new worker started.
    await killed(worker);
    await server.kill();
    server = await startDevServer(serverOptions);
    worker = await spawnKeelWorker(workerEnv);
    await connected.stop();
    const reconnected = await startHarness({ address: server.address, worker: false });
    const risk = riskControl(reconnected.client, riskRef);

    await waitFor(
      'the sweep to end every order',
      async () => (await risk.status().catch(() => undefined))?.killSwitch?.swept === true,
      90_000,
      250,
    );
    const status = await risk.status();
    assert.equal(status.killSwitch?.incident, incident, 'the same incident across the restarts');

    // Zero open orders on the simulator, and none live in the ledger.
    assert.deepEqual(openOnVenue(), []);
    assert.deepEqual(
      await sql(`SELECT client_order_id FROM ledger_orders WHERE status = ANY($1)`, [LIVE]),
      [],
    );

    // Nothing was sent after the kill switch engaged: every send claim is older than its engagement.
    const [{ engaged_at: engagedAt } = { engaged_at: new Date(0) }] = await sql<{ engaged_at: Date }>(
      'SELECT engaged_at FROM kill_switch_incidents WHERE incident = $1',
      [incident],
    );
    assert.deepEqual(
      await sql('SELECT client_order_id FROM ledger_orders WHERE sent_at >= $1', [engagedAt]),
      [],
    );

    // Every order the venue holds for Keel is in the ledger with the venue's own last word.
    const venueOrders = SYMBOLS.flatMap((symbol) => market.accountOrders('keel', symbol));
    const ledger = new Map(
      (
        await sql<{ client_order_id: string; status: string; kill_outcome: string | null }>(
          'SELECT * FROM ledger_orders',
        )
      ).map((row) => [row.client_order_id, row]),
    );
    for (const order of venueOrders) {
      const row = ledger.get(order.clientOrderId);
      assert.ok(row, `${order.clientOrderId} is on the venue but not in the ledger`);
      const venueStatus = {
        NEW: 'open',
        PARTIALLY_FILLED: 'partially-filled',
        FILLED: 'filled',
        CANCELED: 'canceled',
        EXPIRED: 'expired',
      }[order.status];
      assert.equal(row.status, venueStatus, order.clientOrderId);
    }

    // The ledger says what became of each order live at the engagement: sent before it and cancelled once
    // landed, cancelled resting, denied before sending, or proven never to have landed.
    const outcomes = await sql<{ kill_outcome: string; count: number }>(
      `SELECT kill_outcome, count(*)::int AS count FROM ledger_orders WHERE kill_switch = $1 GROUP BY 1 ORDER BY 1`,
      [incident],
    );
    const tally = Object.fromEntries(outcomes.map((row) => [row.kill_outcome, row.count]));
    assert.ok((tally['cancelled-resting'] ?? 0) >= SYMBOLS.length * 6, JSON.stringify(tally));
    for (const id of inFlight.map((row) => row.client_order_id)) {
      const row = ledger.get(id);
      // An order in flight at the engagement either landed (then it was cancelled, or filled) or never did.
      assert.ok(row && !LIVE.includes(row.status), `${id} is still ${row?.status}`);
    }
    assert.deepEqual(
      status.killSwitch?.tally.map((entry) => [entry.outcome, entry.count]),
      outcomes.map((row) => [row.kill_outcome, row.count]),
    );
    console.log(
      `[kill switch] in flight at engagement ${inFlight.length}; outcomes ${JSON.stringify(tally)}`,
    );

    // It holds until lifted: fills and a new symbol after the restarts place nothing.
    sim.exchange.faults.clear();
    const ordersBefore = venueOrders.length;
    await control
      .addSymbol(LATE, config)
      .catch(async () => orchestratorControl(reconnected.client, orchestrator).addSymbol(LATE, config));
    await waitFor(
      'the new grid denied',
      async () =>
        (await sql(`SELECT 1 FROM ledger_orders WHERE symbol = $1 AND denial_rule = 'halted'`, [LATE]))
          .length >= 8,
      30_000,
    );
    await sleep(1000);
    assert.equal(SYMBOLS.flatMap((symbol) => market.accountOrders('keel', symbol)).length, ordersBefore);
    assert.deepEqual(market.accountOrders('keel', LATE), []);
    await reconnected.stop();
  } finally {
    await killed(worker);
    await server.kill().catch(() => undefined);
    await simServer.close();
    await database.drop();
  }
});
