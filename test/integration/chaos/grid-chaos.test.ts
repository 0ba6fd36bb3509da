import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
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
import { gridLevelPrices } from '../../../workflows/strategies/grid/grid-levels';
import { GridParamsSchema, type GridParamsInput } from '../../../workflows/strategies/grid/grid-params';
import { createSimWorld, startHarness, testOrchestratorRef } from '../../support/harness';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { killed, spawnKeelWorker } from '../../support/worker-process';

const SYMBOL = 'CHX-USDT';
/** Cycles of the schedule below; the soak (`npm run soak:grid`) runs many. */
const CYCLES = Number(process.env.KEEL_CHAOS_CYCLES ?? 1);
/** Every placement waits this long at the venue before it executes: the window an aimed kill lands in. */
const PLACEMENT_LATENCY_MS = 200;
/** createSimWorld's instrument rules, for the grid's level prices. */
const RULES = { tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', minNotional: '5' };

/** Ledger statuses of an order whose request may be on its way to the venue. */
const IN_FLIGHT = new Set(['sending', 'unknown']);

interface WorkerProcess {
  child: ChildProcess;
  /** PostgreSQL's clock when the worker was ready: rows sent after it were sent by this worker. */
  readyAt: string;
}

const gridParams = (overrides: Partial<GridParamsInput> = {}): GridParamsInput => ({
  // Neutral grid 90..110 in 9 levels (2.5 apart) around 100: buys below, sells above.
  mode: 'neutral',
  lowerPrice: '90',
  upperPrice: '110',
  levels: 9,
  orderSize: { unit: 'base', amount: '1' },
  maxInventory: '20',
  referencePrice: '100',
  pollMs: 100,
  watchMs: 1000,
  ...overrides,
});
const symbolConfig = (params: GridParamsInput, maxOpenOrders: number) => ({
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [{ name: 'grid', params }],
  risk: { maxOpenOrders, maxOrderNotional: '10000' },
});
const levelsOf = (params: GridParamsInput) =>
  gridLevelPrices(GridParamsSchema.parse(params), RULES).map((price) => Number(price));

test(`grid under chaos (${CYCLES} cycle(s)): faults, aimed worker kills, restarts, config changes, pause/update/resume, regrids`, async () => {
  const env = testEnvironment();
  const dir = mkdtempSync(join(env.tmpDir, 'chaos-'));
  chmodSync(dir, 0o755);
  const counts = {
    workerKills: 0,
    killsInFlight: 0,
    devServerRestarts: 0,
    postgresRestarts: 0,
    instanceReplacements: 0,
    pauseUpdateResumes: 0,
    regrids: 0,
    takerOrders: 0,
  };
  const kills: Array<{ clientOrderId: string; statusAfterKill: string; seenToExitMs: number }> = [];

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
  /** PostgreSQL's clock now: ledger rows created (or sent) after it were so after this moment. */
  const ledgerNow = async () =>
    (await database.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now ?? 'infinity';
  const startWorker = async (): Promise<WorkerProcess> => {
    const child = await spawnKeelWorker(workerEnv);
    return { child, readyAt: await ledgerNow() };
  };
  let worker = await startWorker();
  // The worker runs in its own process (above): this process needs only a client.
  const connected = await startHarness({ address: server.address, worker: false });
  const client = connected.client;
  const ref = testOrchestratorRef('chaos', { shardCount: 1 });
  let taking = true;
  let taker: Promise<void> | undefined;
  try {
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);
    let params = gridParams();
    let maxOpenOrders = 20;
    const added = await control.addSymbol(SYMBOL, symbolConfig(params, maxOpenOrders));
    const symbolWorkflowId = added.workflowId ?? '';
    const symbolState = () => control.symbolState(symbolWorkflowId);
    // Read on the venue itself, past the faults the worker's connector meets.
    const venueOpen = async () => market.openOrders('keel', SYMBOL);
    const resting = () =>
      market
        .openOrders('keel', SYMBOL)
        .map((order) => `${order.side} ${Number(order.price)}`)
        .sort();
    /** What the test sees of the grid: its state, the venue's book, the ledger, Temporal's pending activities. */
    const observe = async () => {
      const [state, described, ledger, unsettled] = await Promise.all([
        symbolState(),
        client.workflow.getHandle(symbolWorkflowId).describe(),
        database.pool.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM ledger_orders GROUP BY status ORDER BY status',
        ),
        database.pool.query(
          `SELECT client_order_id, status, side, price::text, send_attempts, sent_at::text FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`,
        ),
      ]);
      return JSON.stringify({
        status: state?.status,
        problems: state?.problems,
        planned: state?.strategies[0]?.openOrders,
        resting: resting(),
        ledger: Object.fromEntries(ledger.rows.map((row) => [row.status, row.n])),
        unsettled: unsettled.rows,
        pendingActivities: (described.raw.pendingActivities ?? []).map((activity) => ({
          type: activity.activityType?.name,
          attempt: activity.attempt,
          lastFailure: activity.lastFailure?.message,
        })),
      });
    };
    /** waitFor on the symbol's state; a timeout says what the test saw of the grid last. */
    const until = async (
      what: string,
      check: (state: Awaited<ReturnType<typeof symbolState>>) => boolean | Promise<boolean>,
      timeoutMs = 90_000,
    ) => {
      await waitFor(what, async () => check(await symbolState()), timeoutMs, 200).catch(
        async (error: unknown) => {
          const seen = await observe().catch((failure: unknown) => `(nothing: ${String(failure)})`);
          throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen: ${seen}`);
        },
      );
    };
    await until('the grid laid out', async () => (await venueOpen()).length >= 6);

    /** Placements the venue answered (a row leaves intent/sending/unknown only with the venue's word). */
    const answered = async () => {
      const { rows } = await database.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ledger_orders WHERE status NOT IN ('intent', 'sending', 'unknown')`,
      );
      return rows[0]?.n ?? 0;
    };
    /** Waits until the grid has placed `n` more orders with the venue's answer: it trades on after `what`. */
    const progress = async (what: string, n = 3) => {
      const before = await answered();
      await until(
        `${n} more placements answered after ${what}`,
        async () => (await answered()) >= before + n,
      );
    };

    /**
     * Kills the worker the moment the ledger shows an order of this worker in `sending` (its request is
     * on its way to the venue, held there by the placement latency), then looks at that row: still
     * `sending`/`unknown` means the kill hit an order in flight, whose outcome only the venue knows.
     */
    const aimedKill = async () => {
      const since = worker.readyAt;
      const target = await waitFor(
        'an order in flight (a ledger row in sending)',
        async () => {
          const { rows } = await database.pool.query<{ client_order_id: string }>(
            `SELECT client_order_id FROM ledger_orders WHERE status = 'sending' AND sent_at > $1::timestamptz LIMIT 1`,
            [since],
          );
          return rows[0]?.client_order_id;
        },
        90_000,
        5,
      );
      const seen = performance.now();
      await killed(worker.child);
      const seenToExitMs = Math.round(performance.now() - seen);
      const { rows } = await database.pool.query<{ status: string }>(
        'SELECT status FROM ledger_orders WHERE client_order_id = $1',
        [target],
      );
      const statusAfterKill = rows[0]?.status ?? 'missing';
      kills.push({ clientOrderId: target, statusAfterKill, seenToExitMs });
      counts.workerKills += 1;
      if (IN_FLIGHT.has(statusAfterKill)) counts.killsInFlight += 1;
      worker = await startWorker();
    };

    /** Only the risk limits change: the symbol workflow replaces its strategy instances. */
    const replaceInstances = async () => {
      maxOpenOrders = maxOpenOrders === 20 ? 19 : 20;
      await control.updateSymbol(SYMBOL, symbolConfig(params, maxOpenOrders));
      await until(
        'the new risk limits in force',
        (state) => state?.status === 'running' && state.config.risk.maxOpenOrders === maxOpenOrders,
      );
      counts.instanceReplacements += 1;
      await progress('replacing the instances');
    };

    /**
     * The grid places on `next`'s levels: its last 4 placements since `since` all lie on them, and one of
     * them on a level `previous` does not have. (The taker keeps trading, so the book itself rarely holds a
     * whole layout; the ledger keeps every placement.)
     */
    const placesOn = (next: GridParamsInput, previous: GridParamsInput, since: string) => {
      const on = (levels: number[], price: number) => levels.some((level) => Math.abs(level - price) < 1e-9);
      const [levels, old] = [levelsOf(next), levelsOf(previous)];
      return async () => {
        const { rows } = await database.pool.query<{ price: string }>(
          `SELECT price::text FROM ledger_orders WHERE created_at > $1::timestamptz ORDER BY created_at DESC LIMIT 4`,
          [since],
        );
        const prices = rows.map((row) => Number(row.price));
        return (
          prices.length === 4 &&
          prices.every((price) => on(levels, price)) &&
          prices.some((price) => !on(old, price))
        );
      };
    };

    /** Pause (every order cancelled), new levels while paused, resume: the grid comes back on them. */
    const pauseUpdateResume = async () => {
      const previous = params;
      params = { ...params, levels: params.levels === 9 ? 11 : 9 };
      await control.pause(SYMBOL);
      await until(
        'paused with nothing resting',
        async (state) => state?.status === 'paused' && (await venueOpen()).length === 0,
      );
      await control.updateSymbol(SYMBOL, symbolConfig(params, maxOpenOrders));
      const resumedAt = await ledgerNow();
      await control.resume(SYMBOL);
      const onNewLevels = placesOn(params, previous, resumedAt);
      await until(
        `resumed on ${params.levels} levels`,
        async (state) => state?.status === 'running' && (await onNewLevels()),
      );
      counts.pauseUpdateResumes += 1;
      await progress('pause, update and resume');
    };

    /** New bounds: the old generation is cancelled and a new one laid out on the new levels. */
    const regrid = async () => {
      const previous = params;
      // Half a level or less: every level moves (9 levels are 2.5 apart, 11 levels 2).
      const shift = params.lowerPrice === '90' ? 1 : -1;
      params = {
        ...params,
        lowerPrice: String(Number(params.lowerPrice) + shift),
        upperPrice: String(Number(params.upperPrice) + shift),
      };
      const onNewLevels = placesOn(params, previous, await ledgerNow());
      await control.updateSymbol(SYMBOL, symbolConfig(params, maxOpenOrders));
      await until(`the grid placing on ${params.lowerPrice}..${params.upperPrice}`, () => onNewLevels());
      counts.regrids += 1;
      await progress('the regrid');
    };

    const faults = [
      sim.exchange.faults.add({ op: 'createOrder', fault: 'latency', latencyMs: PLACEMENT_LATENCY_MS }),
      sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', probability: 0.25 }),
      sim.exchange.faults.add({ op: 'createOrder', fault: 'rate-limit', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'createOrder', fault: 'server-error', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'getOrder', fault: 'server-error', probability: 0.1 }),
      sim.exchange.faults.add({ op: 'cancelOrder', fault: 'lose-response', probability: 0.2 }),
      sim.exchange.faults.add({ op: 'openOrders', fault: 'server-error', probability: 0.1 }),
    ];

    // A taker hits the grid's best bid, then its best ask, and so on: every fill makes the grid act.
    taker = (async () => {
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

    const restartDevServer = async () => {
      await server.kill();
      server = await startDevServer(serverOptions);
      counts.devServerRestarts += 1;
      await progress('the dev server restart');
    };
    const restartPostgres = async () => {
      await database.close();
      database = await openDatabase(pgOptions);
      counts.postgresRestarts += 1;
      await progress('the PostgreSQL restart');
    };
    const started = performance.now();
    /** One step of the schedule, logged with the time it ended (a soak's log shows where it spends it). */
    const step = async (name: string, run: () => Promise<void>) => {
      await run();
      console.log(`[grid chaos] ${name} (${Math.round((performance.now() - started) / 1000)} s)`);
    };
    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      await step(`cycle ${cycle}: aimed kill`, aimedKill);
      await step(`cycle ${cycle}: risk change, instances replaced`, replaceInstances);
      await step(`cycle ${cycle}: aimed kill`, aimedKill);
      await step(`cycle ${cycle}: dev server restart`, restartDevServer);
      await step(`cycle ${cycle}: pause, new levels, resume`, pauseUpdateResume);
      await step(`cycle ${cycle}: aimed kill`, aimedKill);
      await step(`cycle ${cycle}: PostgreSQL restart`, restartPostgres);
      await step(`cycle ${cycle}: regrid, new bounds`, regrid);
      await step(`cycle ${cycle}: aimed kill`, aimedKill);
    }
    // Trading goes on under the faults after the last disruption.
    await step('trading after the last kill', () => progress('the last kill', 6));
    taking = false;
    await taker;
    for (const fault of faults) sim.exchange.faults.remove(fault.id);
    const fired = Object.fromEntries(faults.map((rule) => [`${rule.op}:${rule.fault}`, rule.fired]));
    const seen = Object.fromEntries(faults.map((rule) => [`${rule.op}:${rule.fault}`, rule.seen]));

    // Settled: nothing unknown in the ledger, and the grid's open orders are exactly the venue's.
    const venueOpenIds = async () => (await venueOpen()).map((o) => o.clientOrderId).sort();
    await step('settled', () =>
      until('the grid to settle', async (state) => {
        const { rows } = await database.pool.query(
          `SELECT 1 FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`,
        );
        if (rows.length > 0) return false;
        const planned = [...(state?.strategies[0]?.openOrders ?? [])].sort();
        return JSON.stringify(planned) === JSON.stringify(await venueOpenIds());
      }),
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
    // Rows the venue refused, or that a reconcile proved were never sent (settle window passed).
    const refused = await database.pool.query<{ client_order_id: string }>(
      `SELECT client_order_id FROM ledger_orders WHERE symbol = $1 AND status IN ('rejected', 'abandoned')`,
      [SYMBOL],
    );
    const refusedIds = refused.rows.map((row) => row.client_order_id).sort();
    const neverOnVenue = [...ledgerIds].filter((id) => !perId.has(id)).sort();
    const lost = neverOnVenue.filter((id) => !refusedIds.includes(id)).length; // in the ledger, never on the venue
    const fills = market.accountFills('keel', SYMBOL).length;
    console.log(
      `[grid chaos] ${JSON.stringify({ ...counts, kills, faultsFired: fired, callsSeen: seen, venueOrders: venueOrders.length, fills, duplicates, orphans, lost, refusedOrAbandoned: refusedIds.length })}`,
    );

    assert.ok((fired['createOrder:lose-response'] ?? 0) > 0, 'lost responses were injected');
    assert.ok(fills >= 4, `the grid traded (${fills} fills)`);
    assert.ok(
      counts.killsInFlight >= 1,
      `at least one kill hit an order in flight (${counts.killsInFlight} of ${counts.workerKills})`,
    );
    assert.equal(duplicates, 0, 'no client order id placed twice');
    assert.equal(orphans, 0, 'every venue order is in the ledger');
    // Ledger rows the venue never saw are exactly the orders it refused and those proven never sent.
    assert.equal(lost, 0, 'every other ledger order reached the venue');
    assert.deepEqual(neverOnVenue, refusedIds, 'no refused or abandoned order is on the venue');
  } finally {
    taking = false;
    await taker;
    await killed(worker.child);
    await connected.stop();
    await server.stop();
    await database.close();
    await simServer.close();
  }
});
