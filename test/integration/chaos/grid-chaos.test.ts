import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureOrchestrator, orchestratorControl } from '../../../api/orchestrator';
import { openDatabase, type Database } from '../../../db/database';
import { createSimServer } from '../../../sim/server/server';
import { startDevServer, type DevServer } from '../../../temporal/dev-server';
import { findFreePort } from '../../../temporal/port-check';
import { takerOrder } from '../../../workers/sim-world';
import { createSimWorld, startHarness, testOrchestratorRef } from '../../support/harness';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

const SYMBOL = 'CHX-USDT';
/** Kill/restart cycles; the soak (`npm run soak:grid`) runs many. */
const CYCLES = Number(process.env.KEEL_CHAOS_CYCLES ?? 1);
const root = join(import.meta.dirname, '..', '..', '..');

function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'test', 'support', 'chaos-worker.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`chaos worker exited with ${code} before it was ready`)));
  });
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

test(`grid under chaos (${CYCLES} cycle(s)): lost responses, 429, 5xx, SIGKILLed worker, dev server and PostgreSQL restarts`, async () => {
  const env = testEnvironment();
  const dir = mkdtempSync(join(env.tmpDir, 'chaos-'));
  chmodSync(dir, 0o755);
  const counts = { workerKills: 0, devServerRestarts: 0, postgresRestarts: 0, takerOrders: 0 };

  // The exchange, served over HTTP; ids may be reused once closed, so a blind re-send would duplicate.
  const sim = createSimWorld([SYMBOL]);
  sim.exchange.venue('binance').setClientIdReuse('after-close');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'CHX', '100000');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000000');
  const simServer = createSimServer(sim.exchange);
  const simUrl = await simServer.listen(0, '127.0.0.1');
  const market = sim.exchange.market('binance', 'spot');

  // Temporal and PostgreSQL of this test's own, so both can be restarted.
  const serverOptions = {
    binary: env.temporalCli,
    grpcPort: await findFreePort(),
    uiPort: 0,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
  };
  let server: DevServer = await startDevServer(serverOptions);
  const pgOptions = { databaseUrl: undefined, dataDir: dir, embeddedPort: await findFreePort() };
  let database: Database = await openDatabase(pgOptions);

  const taskQueue = uniqueName('chaos');
  const workerEnv = {
    KEEL_CHAOS_TEMPORAL: server.address,
    KEEL_CHAOS_DATABASE_URL: database.url,
    KEEL_CHAOS_SIM_URL: simUrl,
    KEEL_CHAOS_TASK_QUEUE: taskQueue,
  };
  let worker = await startWorkerProcess(workerEnv);
  // The worker runs in its own process (above): this process needs only a client.
  const connected = await startHarness({ address: server.address, worker: false });
  const client = connected.client;
  const ref = testOrchestratorRef('chaos', { shardCount: 1 });
  let taking = true;
  try {
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);
    // Neutral grid 90..110 in 9 levels (2.5 apart) around 100: buys below, sells above.
    const added = await control.addSymbol(SYMBOL, {
      venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
      strategies: [
        {
          name: 'grid',
          params: {
            mode: 'neutral',
            lowerPrice: '90',
            upperPrice: '110',
            levels: 9,
            orderSize: { unit: 'base', amount: '1' },
            maxInventory: '20',
            referencePrice: '100',
            pollMs: 100,
            watchMs: 1000,
          },
        },
      ],
    });
    const symbolWorkflowId = added.workflowId ?? '';
    await waitFor(
      'the grid laid out',
      async () => (await sim.connectors('binance', 'spot', 'keel').openOrders(SYMBOL)).length >= 6,
      60_000,
    );

    const faults = [
      sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', probability: 0.25 }),
      sim.exchange.faults.add({ op: 'createOrder', fault: 'rate-limit', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'createOrder', fault: 'server-error', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'getOrder', fault: 'server-error', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'cancelOrder', fault: 'lose-response', probability: 0.2 }),
      sim.exchange.faults.add({ op: 'openOrders', fault: 'server-error', probability: 0.1 }),
    ];

    // A taker hits the grid's best bid, then its best ask, and so on: every fill makes the grid act.
    const taker = (async () => {
      for (let i = 0; taking; i += 1) {
        const top = market.top(SYMBOL);
        const side = i % 2 === 0 ? 'sell' : 'buy';
        const price = side === 'sell' ? top.bidPrice : top.askPrice;
        if (price) {
          try {
            takerOrder(market, { symbol: SYMBOL, side, price });
            counts.takerOrders += 1;
          } catch {
            // An empty side or a rejected taker order is just a quiet moment.
          }
        }
        await sleep(250);
      }
    })();

    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      await sleep(3000);
      await killed(worker); // mid-activity: the watch, or a placement in flight
      counts.workerKills += 1;
      worker = await startWorkerProcess(workerEnv);
      await sleep(3000);
      await server.kill();
      server = await startDevServer(serverOptions);
      counts.devServerRestarts += 1;
      await sleep(3000);
      await database.close();
      database = await openDatabase(pgOptions);
      counts.postgresRestarts += 1;
      await sleep(3000);
    }
    await sleep(8000); // trading goes on under the faults after the last disruption
    taking = false;
    await taker;
    for (const fault of faults) sim.exchange.faults.remove(fault.id);
    const fired = Object.fromEntries(faults.map((rule) => [`${rule.op}:${rule.fault}`, rule.fired]));
    const seen = Object.fromEntries(faults.map((rule) => [`${rule.op}:${rule.fault}`, rule.seen]));

    // Settled: nothing unknown in the ledger, and the grid's open orders are exactly the venue's.
    const venueOpen = async () =>
      (await sim.connectors('binance', 'spot', 'keel').openOrders(SYMBOL)).map((o) => o.clientOrderId).sort();
    await waitFor(
      'the grid to settle',
      async () => {
        const { rows } = await database.pool.query(
          `SELECT 1 FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`,
        );
        if (rows.length > 0) return false;
        const state = await control.symbolState(symbolWorkflowId);
        const planned = [...(state?.strategies[0]?.openOrders ?? [])].sort();
        return JSON.stringify(planned) === JSON.stringify(await venueOpen());
      },
      90_000,
      500,
    );

    const venueOrders = market.accountOrders('keel', SYMBOL);
    const perId = new Map<string, number>();
    for (const order of venueOrders)
      perId.set(order.clientOrderId, (perId.get(order.clientOrderId) ?? 0) + 1);
    const duplicates = [...perId].filter(([, n]) => n > 1).length;
    const { rows } = await database.pool.query<{ client_order_id: string }>(
      'SELECT client_order_id FROM ledger_orders WHERE symbol = $1',
      [SYMBOL],
    );
    const ledgerIds = new Set(rows.map((row) => row.client_order_id));
    const orphans = [...perId.keys()].filter((id) => !ledgerIds.has(id)).length; // on the venue, not in the ledger
    const lost = [...ledgerIds].filter((id) => !perId.has(id)).length; // in the ledger, never on the venue
    const rejectedOnly = await database.pool.query(
      `SELECT 1 FROM ledger_orders WHERE symbol = $1 AND status = 'rejected'`,
      [SYMBOL],
    );
    const fills = market.accountFills('keel', SYMBOL).length;
    console.log(
      `[grid chaos] ${JSON.stringify({ ...counts, faultsFired: fired, callsSeen: seen, venueOrders: venueOrders.length, fills, duplicates, orphans, lost, rejected: rejectedOnly.rows.length })}`,
    );

    assert.ok((fired['createOrder:lose-response'] ?? 0) > 0, 'lost responses were injected');
    assert.ok(fills >= 4, `the grid traded (${fills} fills)`);
    assert.equal(duplicates, 0, 'no client order id placed twice');
    assert.equal(orphans, 0, 'every venue order is in the ledger');
    // Ledger rows the venue never saw are only orders the venue refused.
    assert.equal(
      lost,
      rejectedOnly.rows.length,
      'every ledger order reached the venue (or was refused by it)',
    );
  } finally {
    taking = false;
    await killed(worker);
    await connected.stop();
    await server.stop();
    await database.close();
    await simServer.close();
  }
});
