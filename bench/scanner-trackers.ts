/**
 * Spread-tracker benchmark (issue #14): N concurrent trackers (default 200) sampling every `--interval` ms
 * (default 200) on a throwaway stack (file-backed dev server, PostgreSQL, one in-process Keel worker) with
 * the in-process simulator, both legs quoted 100 bps apart so no tracker converges. Trackers run
 * `--seconds`, then are terminated. Measured from PostgreSQL:
 * - lateness of each sample: its `at` (when both legs had been read) minus its slot time, opened_at +
 *   seq × interval (migration 0011, the activity's definition): p50/p99/p99.9/max, share within 50 ms;
 * - slots missed (gap rows) and slots never handled (a tracker whose sampling never started), as shares
 *   of all slots due;
 * - write lag, polled every second: the max over trackers that have begun sampling of (last slot due −
 *   last slot written), in batches of `batchSize` (25) after discounting the slot being read at that
 *   moment; a tracker whose sampling has not begun (its activity not yet dispatched) has nothing to write
 *   yet: its wait is reported apart, as the longest time a started tracker waited to begin sampling;
 * - CPU of this process (worker, client and the lag poll; the dev server and PostgreSQL are child
 *   processes) as % of one core, against an idle window of the same length before the trackers start;
 *   and the machine's CPU and load for context.
 * Prints figures against the targets; asserts nothing.
 *
 * `--slots K` runs the trackers on a worker of the bench's own with K activity slots instead of the
 * stack's Keel worker (whose activity slots are the SDK default, 100).
 *
 *   node --import tsx bench/scanner-trackers.ts [--trackers 200] [--seconds 60] [--interval 200] [--slots K]
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Connection, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createScannerTrackingActivities } from '../activities/scanner-tracking';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld } from '../workers/sim-world';
import { bundleWorkflows, keelDataConverter } from '../workers/worker';
import {
  trackerLegs,
  trackerWorkflowId,
  type TrackerInputArg,
} from '../workflows/scanner/tracker/tracker-messages';

const { values } = parseArgs({
  options: {
    trackers: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '200' },
    slots: { type: 'string' },
  },
});
const count = Number(values.trackers);
const windowMs = Number(values.seconds) * 1000;
const intervalMs = Number(values.interval);
const slots = values.slots === undefined ? undefined : Number(values.slots);
const DIRECTION = 'binance-spot>bybit-perp';
/** The tracker's default batch size (tracker-messages.ts), used to express the write lag in batches. */
const BATCH_SIZE = 25;
/** Horizon beyond the measured window, so no tracker expires during it (start-up takes seconds). */
const HORIZON_MARGIN_MS = 60_000;
const symbols = Array.from({ length: count }, (_, index) => `K${String(index).padStart(4, '0')}-USDT`);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** This process's CPU (% of one core), the machine's (% of all cores) and event-loop delay over a window. */
function cpuWindow() {
  const machine = () =>
    cpus().reduce(
      (sum, cpu) => {
        const { user, nice, sys, irq, idle } = cpu.times;
        return { busy: sum.busy + user + nice + sys + irq, all: sum.all + user + nice + sys + irq + idle };
      },
      { busy: 0, all: 0 },
    );
  const usage = process.cpuUsage();
  const machineBefore = machine();
  const started = performance.now();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  return () => {
    loop.disable();
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(usage);
    const machineAfter = machine();
    return {
      seconds: round(wallMs / 1000),
      processCpuPctOfOneCore: round(((used.user + used.system) / 1000 / wallMs) * 100),
      machineCpuPctOfAllCores: round(
        ((machineAfter.busy - machineBefore.busy) / (machineAfter.all - machineBefore.all)) * 100,
      ),
      loadAvg1m: round(loadavg()[0] ?? NaN, 2),
      eventLoopDelayMs: {
        p50: round(loop.percentile(50) / 1e6),
        p99: round(loop.percentile(99) / 1e6),
        max: round(loop.max / 1e6),
      },
    };
  };
}

async function main() {
  installRuntime('ERROR');
  const sim = createSimWorld(symbols);
  // Both legs quoted, 100 bps apart (perp bid 101 over spot ask 100): above the 10 bps exit all run long.
  for (const symbol of symbols)
    for (const [venue, kind, bid, ask] of [
      ['binance', 'spot', '99.9', '100'],
      ['bybit', 'perp', '101', '101.1'],
    ] as const) {
      const market = sim.exchange.market(venue, kind);
      market.placeOrder({ account: 'keel', symbol, side: 'buy', type: 'limit', price: bid, quantity: '1' });
      market.placeOrder({ account: 'keel', symbol, side: 'sell', type: 'limit', price: ask, quantity: '1' });
    }
  const stack = await startLocalStack({
    name: 'bench-trackers',
    taskQueue: 'bench',
    connectors: sim.connectors,
  });
  const { client } = stack;
  const { pool } = stack.database;
  let own: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
  try {
    let taskQueue = 'bench';
    if (slots !== undefined) {
      taskQueue = 'bench-trackers';
      if (!(client.connection instanceof Connection)) throw new Error("the stack's client has no address");
      const connection = await NativeConnection.connect({ address: client.connection.options.address });
      const worker = await Worker.create({
        connection,
        taskQueue,
        workflowBundle: await bundleWorkflows(),
        dataConverter: keelDataConverter,
        activities: createScannerTrackingActivities({ pool, connectors: sim.connectors }),
        maxConcurrentActivityTaskExecutions: slots,
      });
      own = { worker, running: worker.run(), connection };
    }

    const idle = cpuWindow();
    await sleep(windowMs);
    const baseline = idle();

    const input = (symbol: string): TrackerInputArg => ({
      symbol,
      direction: DIRECTION,
      ...trackerLegs(DIRECTION),
      entryBps: 100,
      intervalMs,
      horizonMs: windowMs + HORIZON_MARGIN_MS,
    });
    const startedAt = new Map<string, number>();
    const handles: WorkflowHandleWithFirstExecutionRunId[] = [];
    const startBegan = Date.now();
    for (let index = 0; index < symbols.length; index += 20)
      handles.push(
        ...(await Promise.all(
          symbols.slice(index, index + 20).map(async (symbol) => {
            const handle = await client.workflow.start('spreadTrackerWorkflow', {
              taskQueue,
              workflowId: trackerWorkflowId(symbol, DIRECTION),
              args: [input(symbol)],
            });
            startedAt.set(`${handle.workflowId}/${handle.firstExecutionRunId}`, Date.now());
            return handle;
          }),
        )),
      );
    const startMs = Date.now() - startBegan;
    const ids = [...startedAt.keys()];

    /** Per tracker: when slot 0 was due (its row, else the client's start time) and the last slot written. */
    const progress = async () => {
      const { rows } = await pool.query<{ id: string; opened: number; last: number | null }>(
        `SELECT t.id, extract(epoch FROM t.opened_at) * 1000 AS opened,
                greatest((SELECT max(seq) FROM scanner_samples s WHERE s.tracking_id = t.id),
                         (SELECT max(to_seq) FROM scanner_gaps g WHERE g.tracking_id = t.id)) AS last
         FROM scanner_trackings t WHERE t.id = ANY($1)`,
        [ids],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => {
        const row = byId.get(id);
        return { id, opened: row ? Number(row.opened) : undefined, last: row?.last ?? -1 };
      });
    };
    let longestWaitToSampleMs = 0;
    const lagSlots = async () => {
      const now = Date.now();
      let lag = 0;
      for (const { id, opened, last } of await progress()) {
        if (opened === undefined)
          longestWaitToSampleMs = Math.max(longestWaitToSampleMs, now - (startedAt.get(id) ?? now));
        else lag = Math.max(lag, Math.floor((now - opened) / intervalMs) - last);
      }
      return lag;
    };

    const measured = cpuWindow();
    const windowStart = Date.now();
    const lags: number[] = [];
    while (Date.now() - windowStart < windowMs) {
      const tick = sleep(1_000);
      lags.push(await lagSlots());
      await tick;
    }
    const windowEnd = Date.now();
    const load = measured();

    await Promise.all(handles.map((handle) => handle.terminate('benchmark over').catch(() => undefined)));
    await sleep(3_000); // terminated samplers notice at their next heartbeat and flush what they hold

    const opened = await progress();
    const { rows: late } = await pool.query<{ late: number; offset: number }>(
      `SELECT extract(epoch FROM s.at - t.opened_at) * 1000 - s.seq * t.interval_ms AS late,
              s.seq * t.interval_ms AS offset
       FROM scanner_samples s JOIN scanner_trackings t ON t.id = s.tracking_id
       WHERE t.id = ANY($1) AND s.at <= to_timestamp($2::float8 / 1000)`,
      [ids, windowEnd],
    );
    const { rows: gaps } = await pool.query<{ reason: string; missed: number }>(
      `SELECT reason, sum(missed)::int AS missed FROM scanner_gaps
       WHERE tracking_id = ANY($1) AND from_at <= to_timestamp($2::float8 / 1000) GROUP BY reason`,
      [ids, windowEnd],
    );
    const { rows: sampling } = await pool.query<{ n: number }>(
      `SELECT count(DISTINCT tracking_id)::int AS n FROM scanner_samples WHERE tracking_id = ANY($1)`,
      [ids],
    );

    const lateness = late.map((row) => Number(row.late)).sort((a, b) => a - b);
    const within50 = lateness.filter((ms) => ms <= 50).length;
    /** After each tracker's first 5 s (slot 0 is due when the workflow starts, before its activity does). */
    const steady = late.filter((row) => Number(row.offset) >= 5_000).map((row) => Number(row.late));
    const missed = gaps.reduce((sum, gap) => sum + gap.missed, 0);
    // A tracker that never began sampling is due from its start: all its slots count as never handled.
    const due = opened.reduce(
      (sum, { id, opened: at = startedAt.get(id) ?? windowEnd }) =>
        sum + Math.max(0, Math.floor((windowEnd - at) / intervalMs) + 1),
      0,
    );
    const unhandled = Math.max(0, due - lateness.length - missed);
    // The slot being read at the poll is due but cannot be written yet: one batch behind is batchSize + 1.
    const maxLagBatches = (Math.max(...lags) - 1) / BATCH_SIZE;
    const share = (part: number, whole: number) => round((part / whole) * 100, 3);
    const trackerCpu = round(load.processCpuPctOfOneCore - baseline.processCpuPctOfOneCore);

    console.log(
      JSON.stringify(
        {
          trackers: count,
          intervalMs,
          batchSize: BATCH_SIZE,
          worker:
            slots === undefined
              ? "the stack's Keel worker (activity slots: SDK default 100)"
              : `a bench worker with ${slots} activity slots`,
          startAllMs: startMs,
          trackersThatSampled: sampling[0]?.n ?? 0,
          windowSeconds: round((windowEnd - windowStart) / 1000),
          samples: {
            written: lateness.length,
            latenessMs: {
              p50: round(percentile(lateness, 50)),
              p99: round(percentile(lateness, 99)),
              'p99.9': round(percentile(lateness, 99.9)),
              max: round(lateness.at(-1) ?? NaN),
            },
            within50msPctOfWritten: share(within50, lateness.length),
            within50msPctOfSlotsDue: share(within50, due),
            afterFirst5s: {
              written: steady.length,
              p99Ms: round(
                percentile(
                  steady.sort((a, b) => a - b),
                  99,
                ),
              ),
              within50msPct: share(steady.filter((ms) => ms <= 50).length, steady.length),
            },
          },
          slots: {
            due,
            missedAsGaps: missed,
            missedByReason: Object.fromEntries(gaps.map((gap) => [gap.reason, gap.missed])),
            missedPct: share(missed, due),
            neverHandled: unhandled,
            neverHandledPct: share(unhandled, due),
          },
          writeLag: {
            polls: lags.length,
            maxSlots: Math.max(...lags),
            maxBatchesExcludingSlotInProgress: round(maxLagBatches, 2),
            p50Slots: percentile(
              [...lags].sort((a, b) => a - b),
              50,
            ),
            longestWaitToSampleMs,
          },
          cpu: {
            note: 'this process: the workflow worker, the sampling activities, the client and the lag poll (dev server and PostgreSQL are child processes, not counted)',
            idleBaseline: baseline,
            trackersRunning: load,
            trackersMinusIdlePctOfOneCore: trackerCpu,
            ratioToIdle: round(load.processCpuPctOfOneCore / baseline.processCpuPctOfOneCore),
            machineCores: cpus().length,
          },
          targets: {
            'samples within 50 ms >= 99.9 % (of slots due)': share(within50, due) >= 99.9,
            'samples within 50 ms >= 99.9 % (of samples written)': share(within50, lateness.length) >= 99.9,
            'sampling worker < 25 % of one core (this process, minus idle)': trackerCpu < 25,
            'writes never behind by more than one batch': maxLagBatches <= 1,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    if (own) {
      own.worker.shutdown();
      await own.running;
      await own.connection.close();
    }
    await stack.stop();
  }
}

await main();
