import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { createScannerTrackingActivities } from '../../../activities/scanner-tracking';
import type { ConnectorFactory, ExchangeConnector } from '../../../connectors/exchange-connector';
import { createSimHttpConnector } from '../../../connectors/sim/http-connector';
import { connectPool } from '../../../db/pool';
import { trackingGaps, trackingSamples, findTracking } from '../../../db/scanner-trackings';
import type { MarketKind } from '../../../domain/venues';
import type { VenueName } from '../../../sim/ids';
import { createSimServer } from '../../../sim/server/server';
import { ScannerDirectionKey, ScannerOutcomeKey, SymbolKey } from '../../../temporal/search-attributes';
import {
  trackerLegs,
  trackerStateQuery,
  trackerWorkflowId,
  type TrackerInputArg,
  type TrackerResult,
} from '../../../workflows/scanner/tracker/tracker-messages';
import { lastSlot } from '../../../workflows/scanner/tracker/tracking-rules';
import { createSimWorld, startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { killed } from '../../support/worker-process';
import { setTops, type Tops } from './scanner-kit';

const WORKFLOWS = join(import.meta.dirname, '../../../workflows/scanner/tracker/tracker-workflow.ts');
const DIRECTION = 'binance-spot>bybit-perp';
/** Set in the child process this file starts as a worker it can SIGKILL (case d). */
const CHILD_QUEUE = process.env.KEEL_TRACKER_CHILD_QUEUE;

if (CHILD_QUEUE) await runChildWorker(CHILD_QUEUE);
else
  describe('spread tracker: one workflow per (symbol, direction), samples in PostgreSQL', () => {
    let database: TestDatabase;
    let harness: Harness;
    const children: ChildProcess[] = [];

    before(async () => {
      const started = await startHarness({ database: 'scanner_tracker', worker: false });
      ({ database } = started);
      harness = started;
    });
    after(async () => {
      for (const child of children) await killed(child);
      await harness?.stop();
    });

    /** A quiet simulated exchange listing a symbol of the test's own (fresh workflow ids on a shared server). */
    function world() {
      const symbol = `T${Math.random().toString(36).slice(2, 9).toUpperCase()}-USDT`;
      return { symbol, ...createSimWorld([symbol]) };
    }

    /** 100 bps: perp bid 101 on bybit over spot ask 100 on binance. */
    const DISLOCATED: Tops = { spot: ['99.9', '100'], perp: ['101', '101.1'] };
    /** 4 bps, below the 10 bps exit. */
    const CONVERGED: Tops = { spot: ['99.9', '100'], perp: ['100.04', '100.1'] };

    const inputFor = (symbol: string, overrides: Partial<TrackerInputArg> = {}): TrackerInputArg => ({
      symbol,
      direction: DIRECTION,
      ...trackerLegs(DIRECTION),
      entryBps: 100,
      intervalMs: 100,
      horizonMs: 120_000,
      batchSize: 10,
      flushMs: 1_000,
      ...overrides,
    });

    async function trackerWorker(connectors: ConnectorFactory, taskQueue = uniqueName('tracker')) {
      return harness.createWorker(
        {
          workflows: WORKFLOWS,
          activities: createScannerTrackingActivities({ pool: database.pool, connectors }),
        },
        taskQueue,
      );
    }

    const start = (taskQueue: string, input: TrackerInputArg) =>
      harness.client.workflow.start('spreadTrackerWorkflow', {
        taskQueue,
        workflowId: trackerWorkflowId(input.symbol, input.direction),
        args: [input],
      });

    const trackingIdOf = (handle: WorkflowHandleWithFirstExecutionRunId) =>
      `${handle.workflowId}/${handle.firstExecutionRunId}`;
    const samplesWritten = async (trackingId: string) =>
      (await trackingSamples(database.pool, trackingId)).length;

    /** Every slot 0..last is a sample or inside exactly one gap; no slot twice. */
    async function assertEverySlotAccounted(trackingId: string, last: number) {
      const { rows } = await database.pool.query<{ n: number; distinct: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct FROM scanner_samples WHERE tracking_id = $1`,
        [trackingId],
      );
      assert.equal(rows[0]?.n, rows[0]?.distinct, 'no duplicated sample');
      const slots = (await trackingSamples(database.pool, trackingId)).map((sample) => sample.seq);
      for (const gap of await trackingGaps(database.pool, trackingId))
        for (let seq = gap.from_seq; seq <= gap.to_seq; seq++) slots.push(seq);
      slots.sort((a, b) => a - b);
      assert.deepEqual(
        slots,
        Array.from({ length: last + 1 }, (_, seq) => seq),
        'every slot is a sample or a gap, exactly once',
      );
    }

    test('(a, c) a dislocation is tracked until it converges; a second tracker of the pair is refused meanwhile', async () => {
      const { symbol, exchange, connectors } = world();
      setTops(exchange, symbol, DIRECTION, DISLOCATED);
      const { worker, taskQueue } = await trackerWorker(connectors);
      await worker.runUntil(async () => {
        const handle = await start(taskQueue, inputFor(symbol));
        const trackingId = trackingIdOf(handle);
        await waitFor(
          '25 samples written',
          async () => (await samplesWritten(trackingId)) >= 25,
          30_000,
          100,
        );
        const running = await handle.query(trackerStateQuery);
        assert.equal(running.phase, 'sampling');
        assert.equal(running.trackingId, trackingId);

        // (c) Temporal itself refuses a second tracker of the same (symbol, direction) while one runs.
        await assert.rejects(start(taskQueue, inputFor(symbol)), WorkflowExecutionAlreadyStartedError);

        setTops(exchange, symbol, DIRECTION, CONVERGED);
        const result = (await handle.result()) as TrackerResult;
        assert.equal(result.outcome, 'CONVERGED');
        assert.ok(result.lastSpreadBps !== null && result.lastSpreadBps < 10 && result.lastSpreadBps > 3);

        const samples = await trackingSamples(database.pool, trackingId);
        assert.equal(result.samples, samples.length);
        assert.ok(samples.length >= 25);
        // Sampling starts on time: slot 0 is due when the activity first starts, not when the workflow
        // did, so the first slots are samples, not gaps.
        assert.equal(samples[0]?.seq, 0);
        assert.deepEqual(await trackingGaps(database.pool, trackingId), []);
        // Every sample but the last saw the dislocation; the last one its end.
        for (const sample of samples.slice(0, -1)) assert.ok(Math.abs(sample.spread_bps - 100) < 1e-6);
        assert.deepEqual([samples.at(-1)?.spot_ask, samples.at(-1)?.perp_bid].map(Number), [100, 100.04]);
        const row = await findTracking(database.pool, trackingId);
        assert.equal(row?.outcome, 'CONVERGED');
        assert.equal(row?.samples, samples.length);
        assert.equal(row?.direction, DIRECTION);
        await assertEverySlotAccounted(trackingId, samples.at(-1)?.seq ?? -1);

        // The samples never entered the history: it stays a handful of events.
        const history = await handle.fetchHistory();
        const events = history.events?.length ?? 0;
        assert.ok(events <= 30, `history has ${events} events for ${samples.length} samples`);

        const description = await handle.describe();
        assert.equal(description.typedSearchAttributes.get(SymbolKey), symbol);
        assert.equal(description.typedSearchAttributes.get(ScannerDirectionKey), DIRECTION);
        assert.equal(description.typedSearchAttributes.get(ScannerOutcomeKey), 'CONVERGED');
        const closed = await handle.query(trackerStateQuery);
        assert.deepEqual(
          [closed.phase, closed.outcome, closed.samples],
          ['closed', 'CONVERGED', samples.length],
        );

        // Closed: the pair is eligible again at once (here it converges on its first sample).
        const again = await start(taskQueue, inputFor(symbol));
        assert.notEqual(again.firstExecutionRunId, handle.firstExecutionRunId);
        const second = (await again.result()) as TrackerResult;
        assert.deepEqual([second.outcome, second.samples], ['CONVERGED', 1]);
      });
    });

    test('(b) an unchanged dislocation under a 2 s horizon expires', async () => {
      const { symbol, exchange, connectors } = world();
      setTops(exchange, symbol, DIRECTION, DISLOCATED);
      const { worker, taskQueue } = await trackerWorker(connectors);
      const result = await worker.runUntil(async () => {
        const handle = await start(taskQueue, inputFor(symbol, { horizonMs: 2_000 }));
        return (await handle.result()) as TrackerResult;
      });
      assert.equal(result.outcome, 'EXPIRED');
      assert.ok(result.lastSpreadBps !== null && Math.abs(result.lastSpreadBps - 100) < 1e-6);
      // Slots 0..20, each sampled or (on this loaded machine) skipped and counted.
      assert.equal(result.samples + result.missed, lastSlot(2_000, 100) + 1);
      assert.ok(result.samples >= 15, `${result.samples} samples`);
      await assertEverySlotAccounted(result.trackingId, lastSlot(2_000, 100));
      const row = await findTracking(database.pool, result.trackingId);
      assert.equal(row?.outcome, 'EXPIRED');
    });

    test('(e) a leg that cannot be read for longer than the limit ends the tracking FEED_DOWN, not CONVERGED', async () => {
      const { symbol, exchange, connectors } = world();
      setTops(exchange, symbol, DIRECTION, DISLOCATED);
      const { worker, taskQueue } = await trackerWorker(connectors);
      const result = await worker.runUntil(async () => {
        const handle = await start(taskQueue, inputFor(symbol, { feedDownMs: 1_000 }));
        const trackingId = trackingIdOf(handle);
        await waitFor(
          '10 samples written',
          async () => (await samplesWritten(trackingId)) >= 10,
          30_000,
          100,
        );
        // Bybit's perp market stops answering; its book, had it been read, would look converged.
        exchange.faults.add({ venue: 'bybit', market: 'perp', op: 'query', fault: 'server-error' });
        setTops(exchange, symbol, DIRECTION, CONVERGED);
        return (await handle.result()) as TrackerResult;
      });
      assert.equal(result.outcome, 'FEED_DOWN');
      assert.match(result.feedError ?? '', /bybit\/perp/);
      const samples = await trackingSamples(database.pool, result.trackingId);
      assert.ok(
        samples.every((sample) => Math.abs(sample.spread_bps - 100) < 1e-6),
        'no converged sample',
      );
      const gaps = await trackingGaps(database.pool, result.trackingId);
      const feedGaps = gaps.filter((gap) => gap.reason === 'feed');
      assert.ok(feedGaps.length >= 1);
      const lost = feedGaps.reduce((sum, gap) => sum + gap.missed, 0);
      assert.ok(lost >= 8, `${lost} slots lost to the feed in about 1 s`);
      assert.equal(result.samples, samples.length);
      const row = await findTracking(database.pool, result.trackingId);
      assert.equal(row?.outcome, 'FEED_DOWN');
    });

    test('(d) a worker SIGKILLed mid-tracking: another resumes it, no duplicate sample, the lost interval is a gap', async () => {
      const { symbol, exchange, connectors } = world();
      setTops(exchange, symbol, DIRECTION, DISLOCATED);
      const simServer = createSimServer(exchange);
      const simUrl = await simServer.listen(0, '127.0.0.1');
      const taskQueue = uniqueName('tracker-kill');
      try {
        const child = await spawnChildWorker({
          KEEL_TRACKER_CHILD_QUEUE: taskQueue,
          KEEL_TRACKER_SIM_URL: simUrl,
          KEEL_TRACKER_DATABASE_URL: database.url,
        });
        children.push(child);
        const handle = await start(taskQueue, inputFor(symbol));
        const trackingId = trackingIdOf(handle);
        await waitFor(
          '30 samples written',
          async () => (await samplesWritten(trackingId)) >= 30,
          60_000,
          100,
        );
        const killedAt = Date.now();
        await killed(child);
        // What the dead worker made durable: the retry resumes right after it.
        const beforeKill = await trackingSamples(database.pool, trackingId);
        const lastDurable = Math.max(
          beforeKill.at(-1)?.seq ?? -1,
          ...(await trackingGaps(database.pool, trackingId)).map((g) => g.to_seq),
        );

        // Another worker on the same task queue picks the attempt up once its heartbeat is missed.
        const { worker } = await trackerWorker(connectors, taskQueue);
        const result = await worker.runUntil(async () => {
          const gap = await waitFor(
            'the restart gap',
            async () => (await trackingGaps(database.pool, trackingId)).find((g) => g.reason === 'restart'),
            60_000,
            100,
          );
          await waitFor(
            '10 samples after the gap',
            async () =>
              (await trackingSamples(database.pool, trackingId, { afterSeq: gap.to_seq })).length >= 10,
            30_000,
            100,
          );
          setTops(exchange, symbol, DIRECTION, CONVERGED);
          return (await handle.result()) as TrackerResult;
        });
        assert.equal(result.outcome, 'CONVERGED');

        const samples = await trackingSamples(database.pool, trackingId);
        const gaps = await trackingGaps(database.pool, trackingId);
        // What the dead worker had written is still there, unchanged.
        assert.deepEqual(samples.slice(0, beforeKill.length), beforeKill);
        const restart = gaps.filter((g) => g.reason === 'restart');
        assert.equal(restart.length, 1, JSON.stringify(gaps));
        const [gap] = restart as [(typeof restart)[number]];
        assert.equal(gap.from_seq, lastDurable + 1);
        // It starts with the first slot not yet written when the worker died (at most one slot after the
        // kill) and ends once the new attempt sampled: no sooner than the missed heartbeat was noticed.
        const span = `gap ${gap.from_at.toISOString()}..${gap.to_at.toISOString()}, killed ${new Date(killedAt).toISOString()}`;
        assert.ok(gap.from_at.getTime() <= killedAt + 100, span);
        assert.ok(gap.to_at.getTime() >= killedAt + 1_000, span);
        assert.ok(gap.missed >= 10, `${gap.missed} slots missed`);
        await assertEverySlotAccounted(trackingId, samples.at(-1)?.seq ?? -1);
        assert.equal(result.samples, samples.length);
        assert.equal(
          result.missed,
          gaps.reduce((sum, g) => sum + g.missed, 0),
        );
      } finally {
        await Promise.all(children.map((child) => killed(child)));
        await simServer.close();
      }
    });
  });

/** This file again, as a tracker worker in a process of its own (so the test can SIGKILL it). */
function spawnChildWorker(env: Record<string, string>): Promise<ChildProcess> {
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`tracker worker exited with ${code} before it was ready`)));
  });
}

/** The child: the tracker's workflow and activities, reading the simulator over HTTP. Prints `ready`. */
async function runChildWorker(taskQueue: string): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const pool = await connectPool(env('KEEL_TRACKER_DATABASE_URL'));
  const cache = new Map<string, ExchangeConnector>();
  const connectors: ConnectorFactory = (venue, market: MarketKind, account) => {
    const key = `${venue}/${market}/${account}`;
    let connector = cache.get(key);
    if (!connector) {
      connector = createSimHttpConnector({
        baseUrl: env('KEEL_TRACKER_SIM_URL'),
        venue: venue as VenueName,
        market,
        account,
        requestTimeoutMs: 1_000,
      });
      cache.set(key, connector);
    }
    return connector;
  };
  const started = await startHarness({
    taskQueue,
    worker: { workflows: WORKFLOWS, activities: createScannerTrackingActivities({ pool, connectors }) },
  });
  process.on('SIGTERM', () => void started.stop().then(() => pool.end()));
  console.log('ready');
}
