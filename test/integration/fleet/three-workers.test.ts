import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureOrchestrator, orchestratorControl } from '../../../api/orchestrator';
import { createSimServer } from '../../../sim/server/server';
import { createSimWorld, startHarness, testOrchestratorRef, type Harness } from '../../support/harness';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { killed } from '../../support/worker-process';
import {
  assertEachOrderOnce,
  fleetGridConfig,
  prepareFleetVenue,
  startTaker,
  terminateRunning,
} from './fleet-kit';

const root = join(import.meta.dirname, '..', '..', '..');
const SYMBOLS = ['FLA-USDT', 'FLB-USDT', 'FLC-USDT', 'FLD-USDT', 'FLE-USDT', 'FLF-USDT'];
const WORKERS = ['fleet-a', 'fleet-b', 'fleet-c'];
/**
 * The venue's orders per second for the whole fleet, far below what six grids laying out 30 orders at once,
 * or replacing every fill the taker makes, would send: the three workers together must keep to it.
 */
const RATE_LIMIT = 3;
/** The windows the venue's request log is counted over. */
const WINDOW_MS = 2_000;
/**
 * What the limit lets through in a window: the rate, a burst of one second's worth, and one for the trip
 * (turns are taken on PostgreSQL's clock, the log is kept on the simulator's arrival).
 */
const ALLOWED_PER_WINDOW = RATE_LIMIT * (WINDOW_MS / 1000) + RATE_LIMIT + 1;

/** The most requests at `times` (ms, ascending) in any `windowMs`, and where that window starts. */
function busiestWindow(times: readonly number[], windowMs: number) {
  let busiest = { count: 0, from: 0 };
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowMs) first++;
    if (last - first + 1 > busiest.count) busiest = { count: last - first + 1, from: times[first]! };
  }
  return busiest;
}

/** A request in the simulator's own log (GET /admin/requests). */
interface LoggedRequest {
  at: number;
  venue: string;
  op: string;
}

interface FleetWorker {
  identity: string;
  child: ChildProcess;
  output: string[];
}

/** `npm run keel -- worker` as an operator runs it, in a process of its own; resolves once it polls. */
function startFleetWorker(identity: string, env: Record<string, string>): Promise<FleetWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', 'keel.ts'), 'worker'], {
    env: { ...process.env, ...env, KEEL_WORKER_IDENTITY: identity },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (chunk.toString().includes('[keel worker]')) resolve({ identity, child, output });
    });
    child.once('exit', (code) =>
      reject(new Error(`${identity} exited with ${code} before it polled: ${output.join('')}`)),
    );
  });
}

/** The fleet process's one line on stderr when its settings are refused, and its exit code. */
function refusedWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', 'keel.ts'), 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; lines: string[] }>((resolve) =>
    child.once('exit', (code) => resolve({ code, lines: stderr.trim().split('\n') })),
  );
}

describe('a fleet of three worker processes on the real dev server', () => {
  const env = testEnvironment();
  const dir = mkdtempSync(join(env.tmpDir, 'fleet-'));
  const sim = createSimWorld(SYMBOLS);
  const market = sim.exchange.market('binance', 'spot');
  const simServer = createSimServer(sim.exchange);
  const taskQueue = uniqueName('fleet');
  const ref = testOrchestratorRef('fleet', { shardCount: 2 });
  let database: TestDatabase;
  let harness: Harness | undefined;
  let workerEnv: Record<string, string>;
  let simUrl: string;
  const workers: FleetWorker[] = [];

  before(async () => {
    // Ids may be reused once closed on this venue: a blind re-send would show as a duplicate.
    prepareFleetVenue(sim.exchange, SYMBOLS);
    simUrl = await simServer.listen(0, '127.0.0.1');
    database = await createTestDatabase('fleet');
    const configFile = join(dir, 'keel.config.yaml');
    writeFileSync(
      configFile,
      `venues:\n  binance:\n    kind: sim-http\n    url: ${simUrl}\n    markets: [spot]\n    rateLimit: ${RATE_LIMIT}\n    accounts: [{ name: keel }]\n`,
    );
    workerEnv = {
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: database.url,
      KEEL_CONFIG: configFile,
      TEMPORAL_TASK_QUEUE: taskQueue,
      KEEL_SDK_METRICS_ADDRESS: 'off',
      KEEL_DATA_DIR: dir,
    };
    workers.push(...(await Promise.all(WORKERS.map((identity) => startFleetWorker(identity, workerEnv)))));
    harness = await startHarness({ worker: false });
  });
  after(async () => {
    await Promise.all(workers.map((worker) => killed(worker.child)));
    // Nothing of the fleet's keeps running on the shared server.
    await terminateRunning(harness?.client, taskQueue);
    await harness?.stop();
    await simServer.close();
    await database?.drop();
  });

  test('bad settings stop a worker at start with one line naming the setting', async () => {
    const cases = [
      [
        { KEEL_WORKER_TASK_QUEUES: 'keel-orders' },
        /KEEL_WORKER_TASK_QUEUES: 'keel-orders' is not a task queue Keel defines/,
      ],
      [{ TEMPORAL_ADDRESS: '' }, /keel worker: TEMPORAL_ADDRESS is required/],
      [{ KEEL_CODEC_KEYS: 'k1:dG9vLXNob3J0' }, /KEEL_CODEC_KEYS: key 'k1' is not 32 bytes in base64/],
      [{ KEEL_CONFIG: '' }, /venue binance is the in-process simulator, which lives inside one process/],
      [
        { KEEL_WORKER_TASK_QUEUES: `${taskQueue}@okx` },
        new RegExp(`KEEL_WORKER_TASK_QUEUES: '${taskQueue}@okx' is not a task queue Keel defines`),
      ],
      [
        { KEEL_VENUE_BINANCE_RATE_LIMIT: '0' },
        /KEEL_VENUE_BINANCE_RATE_LIMIT \(venues\.binance\.rateLimit\): must be a positive number/,
      ],
      [
        { KEEL_WORKER_DEPLOYMENT_VERSION: 'keel' },
        /KEEL_WORKER_DEPLOYMENT_VERSION: must be <deployment>\.<build id>/,
      ],
    ] as const;
    const results = await Promise.all(
      cases.map(([settings]) => refusedWorker({ ...workerEnv, ...settings })),
    );
    results.forEach(({ code, lines }, index) => {
      assert.equal(code, 1);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, cases[index]![1]);
    });
  });

  test('symbols spread over the workers; one SIGKILLed, its symbols keep trading on the others, no order twice', async () => {
    const client = harness!.client;
    const startedAt = Date.now();
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);
    const workflowIds = new Map<string, string>();
    for (const symbol of SYMBOLS) {
      const added = await control.addSymbol(symbol, fleetGridConfig);
      workflowIds.set(symbol, added.workflowId ?? '');
    }
    await waitFor('every grid laid out on the venue', () =>
      SYMBOLS.every((symbol) => market.openOrders('keel', symbol).length >= 4),
    ).catch(async (error: unknown) => {
      // What went wrong, where an operator would look: the symbol's state and the workers' output.
      const state = await control.symbolState(workflowIds.get(SYMBOLS[0]!)!).catch((e: unknown) => String(e));
      throw new Error(
        `${String(error)}; ${SYMBOLS[0]}: ${JSON.stringify(state).slice(0, 1500)}; workers: ${workers.map((w) => w.output.join('').slice(-800)).join(' | ')}`,
      );
    });

    /** Who completed each symbol workflow's latest workflow task: the worker it runs on now. */
    const runsOn = async () => {
      const owners = new Map<string, string>();
      for (const [symbol, workflowId] of workflowIds) {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const identities = (history.events ?? [])
          .map((event) => event.workflowTaskCompletedEventAttributes?.identity)
          .filter((identity): identity is string => Boolean(identity));
        owners.set(symbol, identities.at(-1) ?? '');
      }
      return owners;
    };
    const before = await runsOn();
    const spread = new Set(before.values());
    assert.ok(spread.size >= 2, `symbols spread over the workers: ${JSON.stringify([...before])}`);
    assert.ok([...spread].every((identity) => WORKERS.includes(identity)));

    // A taker hits each grid's touch in turn: every fill makes its grid place the next order.
    const stopTaker = startTaker(market, SYMBOLS, 300);

    try {
      // The worker running the most symbols dies without a word.
      const counts = WORKERS.map(
        (identity) => [...before.values()].filter((owner) => owner === identity).length,
      );
      const victim = workers[counts.indexOf(Math.max(...counts))]!;
      const orphaned = SYMBOLS.filter((symbol) => before.get(symbol) === victim.identity);
      const ordersAtKill = new Map(
        SYMBOLS.map((symbol) => [symbol, market.accountOrders('keel', symbol).length]),
      );
      await killed(victim.child);

      await waitFor(
        "every symbol trading after the kill, the victim's on the survivors",
        async () => {
          if (
            !SYMBOLS.every(
              (symbol) => market.accountOrders('keel', symbol).length >= ordersAtKill.get(symbol)! + 2,
            )
          )
            return false;
          const now = await runsOn();
          return orphaned.every((symbol) => ![victim.identity, ''].includes(now.get(symbol)!));
        },
        60_000,
        500,
      );
    } finally {
      await stopTaker();
    }

    // Settled: nothing in flight, and each client order id is on the venue at most once, in the ledger.
    const orders = await assertEachOrderOnce(database.pool, market, SYMBOLS);

    // The venue's own request log: the orders of all three workers together, placed from activities on the
    // venue's queue and from the watches' replacements, kept to its rate limit.
    const logged = (await (
      await fetch(`${simUrl}/admin/requests?venue=binance&since=${startedAt}`)
    ).json()) as LoggedRequest[];
    const sent = logged.filter((request) => request.op === 'createOrder').map((request) => request.at);
    const busiest = busiestWindow(sent, WINDOW_MS);
    const seconds = (sent.at(-1)! - sent[0]!) / 1000;
    assert.ok(sent.length >= orders, `every venue order was a logged request (${sent.length} of ${orders})`);
    assert.ok(
      busiest.count <= ALLOWED_PER_WINDOW,
      `${busiest.count} orders sent in ${WINDOW_MS} ms from ${new Date(busiest.from).toISOString()}: more than ${ALLOWED_PER_WINDOW} at ${RATE_LIMIT}/s`,
    );
    assert.ok(
      sent.length <= RATE_LIMIT * seconds + RATE_LIMIT,
      `${sent.length} orders sent over ${seconds} s: above ${RATE_LIMIT}/s`,
    );
    console.log(
      `[fleet] ${JSON.stringify({
        symbols: SYMBOLS.length,
        venueOrders: orders,
        spreadBefore: [...before],
        ordersSent: sent.length,
        overSeconds: seconds,
        perSecond: Math.round((sent.length / seconds) * 100) / 100,
        busiestWindow: { ms: WINDOW_MS, sent: busiest.count, allowed: ALLOWED_PER_WINDOW },
      })}`,
    );

    // The survivors stop when asked, letting what they run finish.
    for (const worker of workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)) {
      const exited = new Promise<number | null>((resolve) =>
        worker.child.once('exit', (code) => resolve(code)),
      );
      worker.child.kill('SIGTERM');
      assert.equal(await exited, 0, worker.output.join(''));
    }
  });
});
