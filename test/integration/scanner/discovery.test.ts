import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { createScannerDiscoveryActivities, type ListingTuple } from '../../../activities/scanner-discovery';
import { ConnectorError, type ConnectorFactory } from '../../../connectors/exchange-connector';
import { simConnectorFactory } from '../../../connectors/sim/connector-factory';
import {
  latestScannerSnapshotHead,
  scannerSnapshotHeads,
  scannerSnapshotListings,
  scannerSnapshotPairs,
} from '../../../db/scanner-snapshots';
import {
  DiscoveryAlreadyRunningError,
  ensureDiscoverySchedule,
  runDiscoveryNow,
  triggerDiscoverySchedule,
} from '../../../scanner/discovery-schedule';
import { SimExchange, VENUE_NAMES, defaultVenueConfig } from '../../../sim';
import type { PairDiscoveryInput, PairDiscoveryResult } from '../../../workflows/scanner/discovery-workflow';
import { startHarness, type Harness, type TestWorker } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

type Listings = Record<string, { spot: string[]; perp: string[] }>;

/** What each venue lists in the first run (symbols shortened: BTC is BTC-USDT). */
const LISTINGS: Listings = {
  binance: { spot: ['BTC', 'ETH', 'SOL', 'XRP'], perp: ['BTC', 'ETH', 'SOL'] },
  bybit: { spot: ['BTC', 'ETH'], perp: ['BTC', 'ETH', 'XRP'] },
  mexc: { spot: ['BTC', 'SOL', 'XRP'], perp: ['BTC', 'SOL'] },
  okx: { spot: ['BTC', 'ETH', 'SOL', 'XRP'], perp: ['ETH', 'XRP'] },
};

/**
 * The pairs per direction (spot on X ∩ perp on Y), worked out by hand from LISTINGS, in seed 004's
 * direction order.
 */
const EXPECTED_DIRECTIONS: Array<[string, string[]]> = [
  ['okx-spot>mexc-perp', ['BTC', 'SOL']],
  ['okx-spot>bybit-perp', ['BTC', 'ETH', 'XRP']],
  ['okx-spot>binance-perp', ['BTC', 'ETH', 'SOL']],
  ['mexc-spot>okx-perp', ['XRP']],
  ['mexc-spot>bybit-perp', ['BTC', 'XRP']],
  ['mexc-spot>binance-perp', ['BTC', 'SOL']],
  ['bybit-spot>okx-perp', ['ETH']],
  ['bybit-spot>mexc-perp', ['BTC']],
  ['bybit-spot>binance-perp', ['BTC', 'ETH']],
  ['binance-spot>okx-perp', ['ETH', 'XRP']],
  ['binance-spot>mexc-perp', ['BTC', 'SOL']],
  ['binance-spot>bybit-perp', ['BTC', 'ETH', 'XRP']],
];

const usdt = (base: string) => `${base}-USDT`;

/** Keel's resting bid and ask per base (mid between them), unless a test sets its own. */
const BOOKS: Record<string, [bid: string, ask: string]> = {
  BTC: ['99', '101'],
  ETH: ['49', '51'],
  SOL: ['19', '21'],
  XRP: ['9', '11'],
};

/**
 * A quiet simulated exchange listing exactly `listings` (filters as createSimWorld's), with a book of
 * Keel's resting orders on every listing (so stream validation sees a sound top at once); `book` may
 * change one (a ×1000 price) or leave it empty (undefined).
 */
function exchangeListing(
  listings: Listings,
  book: (venue: string, market: 'spot' | 'perp', base: string) => [string, string] | undefined = (
    _v,
    _m,
    b,
  ) => BOOKS[b],
): SimExchange {
  const spec = { tickSize: '0.01', lotSize: '0.001', minQty: '0.001', maxQty: '1000000', minNotional: '5' };
  const venues = VENUE_NAMES.map((name) => {
    const config = defaultVenueConfig(name);
    const listed = listings[name] ?? { spot: [], perp: [] };
    return {
      ...config,
      spot: { ...config.spot, instruments: listed.spot.map((b) => ({ symbol: usdt(b), ...spec })) },
      perp: {
        ...config.perp,
        instruments: listed.perp.map((b) => ({ symbol: usdt(b), ...spec, maintenanceMarginPpm: 5000 })),
      },
    };
  });
  const exchange = new SimExchange({ venues });
  exchange.fundAccount('keel');
  for (const [venue, listed] of Object.entries(listings))
    for (const market of ['spot', 'perp'] as const)
      for (const base of listed[market]) {
        const top = book(venue, market, base);
        if (!top) continue;
        const m = exchange.market(venue, market);
        for (const [side, price] of [
          ['buy', top[0]],
          ['sell', top[1]],
        ] as const)
          m.placeOrder({ account: 'keel', symbol: usdt(base), side, type: 'limit', price, quantity: '1' });
      }
  return exchange;
}

describe('pair discovery: a durable, scheduled workflow writing versioned snapshots', () => {
  let harness: Harness;
  let database: TestDatabase;
  let client: Client;
  let worker: TestWorker;
  let running: Promise<void>;
  let taskQueue: string;
  /** The exchange the connectors read; a test swaps it to change listings between runs. */
  let exchange = exchangeListing(LISTINGS);
  /** instruments() calls per `venue/market`. */
  const calls = new Map<string, number>();
  /** Per `venue/market`: how its quote stream fails (a test sets it), given the symbols subscribed. */
  const streamFaults = new Map<string, (symbols: string[]) => Error | undefined>();
  const connectors: ConnectorFactory = (venue, market, account) => {
    const connector = simConnectorFactory(exchange)(venue, market, account);
    return {
      ...connector,
      instruments: () => {
        const key = `${venue}/${market}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return connector.instruments();
      },
      watchBestBidAsk: (symbols, onQuote, signal) => {
        const error = streamFaults.get(`${venue}/${market}`)?.(symbols);
        return error ? Promise.reject(error) : connector.watchBestBidAsk(symbols, onQuote, signal);
      },
    };
  };

  before(async () => {
    const started = await startHarness({ database: 'scanner_discovery', worker: false });
    ({ database, client } = started);
    harness = started;
    const created = await harness.createWorker({
      workflows: join(import.meta.dirname, '../../../workflows/scanner/discovery-workflow.ts'),
      activities: createScannerDiscoveryActivities({ pool: database.pool, connectors }),
    });
    ({ worker, taskQueue } = created);
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await harness?.stop();
  });

  const discover = (input: PairDiscoveryInput = {}) =>
    client.workflow.execute<(input: PairDiscoveryInput) => Promise<PairDiscoveryResult>>(
      'pairDiscoveryWorkflow',
      { taskQueue, workflowId: uniqueName('discovery'), args: [input] },
    );
  const start = (input: PairDiscoveryInput = {}) =>
    client.workflow.start('pairDiscoveryWorkflow', {
      taskQueue,
      workflowId: uniqueName('discovery'),
      args: [input],
    });

  /** The workflow's failure: its message and type (the ApplicationFailure it threw). */
  async function failureOf(handle: Awaited<ReturnType<typeof start>>) {
    const error = await handle.result().then(
      () => assert.fail('the discovery run should have failed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
    return { message: error.cause.message, type: error.cause.type, nonRetryable: error.cause.nonRetryable };
  }

  const versions = async () => (await scannerSnapshotHeads(database.pool)).map((h) => h.version);

  test('(a) the simulator venues give the hand-worked directions, saved as snapshot version 1', async () => {
    const result = await discover();
    assert.equal(result.version, 1);
    assert.equal(result.previousVersion, null);
    assert.deepEqual(result.failedSources, []);
    assert.equal(result.counts.answeredSources, 8);
    assert.equal(result.counts.symbols, 4);
    assert.equal(result.counts.pairs, 24);
    assert.deepEqual(
      Object.entries(result.counts.pairsPerDirection),
      EXPECTED_DIRECTIONS.map(([name, bases]) => [name, bases.length]),
    );
    // Everything is new against no previous snapshot.
    assert.equal(result.diff.added.length, 24);
    assert.deepEqual(result.diff.addedSymbols, ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);

    // In PostgreSQL: the pairs by name, per direction.
    const saved = await scannerSnapshotPairs(database.pool);
    assert.ok(saved);
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.symbols, ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);
    assert.deepEqual(
      saved.directions.map((d) => [d.name, d.symbolIds.map((id) => saved.symbols[id])]),
      EXPECTED_DIRECTIONS.map(([name, bases]) => [name, bases.map(usdt)]),
    );
    // 4+3 + 2+3 + 3+2 + 4+2 listings, with their filters and venue symbols.
    const listings = await scannerSnapshotListings(database.pool, 1);
    assert.equal(listings.length, 23);
    const okxPerpEth = listings.find((l) => l.source === 'okx-perp' && l.symbol === 'ETH-USDT');
    assert.ok(okxPerpEth, 'okx-perp ETH-USDT listed');
    assert.equal(Number(okxPerpEth.tick_size), 0.01);
    assert.equal(Number(okxPerpEth.lot_size), 0.001);
    assert.equal(Number(okxPerpEth.min_qty), 0.001);
    assert.equal(Number(okxPerpEth.min_notional), 5);
    const head = await latestScannerSnapshotHead(database.pool);
    assert.equal(head?.version, 1);
    // Every listing has a book: stream validation found each leg valid, and the price check ran on the mids.
    assert.equal(head?.price_check, 'run');
    assert.equal(result.counts.heldOut, 0);
    assert.equal(result.counts.unchecked, 0);
    assert.deepEqual(
      result.validation?.map((v) => [v.source, v.status, v.valid, v.symbols]),
      [
        ['binance-spot', 'validated', 4, 4],
        ['binance-perp', 'validated', 3, 3],
        ['bybit-spot', 'validated', 2, 2],
        ['bybit-perp', 'validated', 3, 3],
        ['mexc-spot', 'validated', 3, 3],
        ['mexc-perp', 'validated', 2, 2],
        ['okx-spot', 'validated', 4, 4],
        ['okx-perp', 'validated', 2, 2],
      ],
    );
    assert.deepEqual(head?.failed_sources, []);
    assert.equal((head?.settings as { quorum: number }).quorum, 6);
  });

  test('(b) a symbol delisted on one source: version 2 with the delisted pairs as its diff', async () => {
    exchange = exchangeListing({
      ...LISTINGS,
      mexc: { spot: LISTINGS.mexc!.spot, perp: ['BTC'] },
    });
    const result = await discover();
    assert.equal(result.version, 2);
    assert.equal(result.previousVersion, 1);
    assert.deepEqual(result.diff.added, []);
    // SOL-USDT perp left mexc: the two directions selling mexc's SOL perp lose it, nothing else changes.
    assert.deepEqual(result.diff.delisted, [
      { symbol: 'SOL-USDT', direction: 'okx-spot>mexc-perp', directionId: 0 },
      { symbol: 'SOL-USDT', direction: 'binance-spot>mexc-perp', directionId: 10 },
    ]);
    assert.deepEqual(result.diff.removedSymbols, []);
    assert.equal(result.counts.pairs, 22);
    const head = await latestScannerSnapshotHead(database.pool);
    assert.equal(head?.version, 2);
    assert.equal(head?.based_on, 1);
    assert.deepEqual(head?.diff, result.diff);
    assert.deepEqual(await versions(), [1, 2]);
  });

  test('(c) a failing source is retried 3 times and named; 3 down misses the quorum and writes nothing', async (t) => {
    t.after(() => exchange.faults.clear());
    exchange.faults.add({ venue: 'okx', market: 'spot', op: 'query', fault: 'server-error' });
    calls.clear();
    const handle = await start();
    const result = (await handle.result()) as PairDiscoveryResult;
    assert.equal(result.version, 3);
    assert.deepEqual(
      result.failedSources.map((f) => f.source),
      ['okx-spot'],
    );
    assert.match(result.failedSources[0]!.reason, /3 attempts/);
    assert.equal(calls.get('okx/spot'), 3);
    assert.equal(calls.get('okx/perp'), 1);

    // Temporal's retry policy made the attempts: the last one started is attempt 3, then it failed.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityId === 'fetch-okx-spot',
    );
    assert.ok(scheduled?.eventId, 'fetch-okx-spot scheduled');
    const ofIt = (id: unknown) => String(id) === String(scheduled.eventId);
    const startedEvent = events.find((e) => ofIt(e.activityTaskStartedEventAttributes?.scheduledEventId));
    assert.equal(startedEvent?.activityTaskStartedEventAttributes?.attempt, 3);
    assert.ok(events.some((e) => ofIt(e.activityTaskFailedEventAttributes?.scheduledEventId)));
    const okxPerp = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityId === 'fetch-okx-perp',
    );
    const okxPerpStarted = events.find(
      (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(okxPerp?.eventId),
    );
    assert.equal(okxPerpStarted?.activityTaskStartedEventAttributes?.attempt, 1);

    // Two more sources down: 5 of 8 answer, below the quorum of 6.
    exchange.faults.add({ venue: 'bybit', market: 'perp', op: 'query', fault: 'server-error' });
    exchange.faults.add({ venue: 'mexc', market: 'spot', op: 'query', fault: 'rate-limit' });
    const failure = await failureOf(await start());
    assert.equal(failure.type, 'QuorumNotMet');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /only 5 of 8 sources answered \(quorum 6\)/);
    for (const source of ['okx-spot', 'bybit-perp', 'mexc-spot']) assert.ok(failure.message.includes(source));
    assert.match(failure.message, /previous snapshot stays in force/);
    assert.deepEqual(await versions(), [1, 2, 3]);
  });

  test('(d) bad settings fail at once, naming each bad key, and write nothing', async () => {
    calls.clear();
    const failure = await failureOf(await start({ quorum: 0, maxPriceRatio: '1' }));
    assert.equal(failure.type, 'InvalidDiscoverySettings');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /quorum: /);
    assert.match(failure.message, /maxPriceRatio: must be above 1/);
    const below = await failureOf(await start({ maxPriceRatio: '0.5', account: '' }));
    assert.match(below.message, /maxPriceRatio: must be above 1/);
    assert.match(below.message, /account: /);
    const streams = await failureOf(
      await start({ validation: { batchSize: { mexc: 0 }, collectMs: 60_000, batchTimeoutMs: 1_000 } }),
    );
    assert.equal(streams.type, 'InvalidDiscoverySettings');
    assert.match(streams.message, /validation\.batchSize\.mexc: /);
    assert.match(streams.message, /validation\.batchTimeoutMs: must be at least collectMs/);
    assert.equal(calls.size, 0, 'no source was asked');
    assert.deepEqual(await versions(), [1, 2, 3]);
  });

  test('(e) the schedule is created once and updated in place; triggered and on-demand runs save snapshots', async (t) => {
    const scheduleId = uniqueName('discovery-schedule');
    t.after(() => client.schedule.getHandle(scheduleId).delete());

    const first = await ensureDiscoverySchedule(client, { taskQueue, scheduleId });
    const second = await ensureDiscoverySchedule(client, { taskQueue, scheduleId, every: '6h' });
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    const described = await second.handle.describe();
    assert.deepEqual(
      described.spec.intervals?.map((i) => i.every),
      [6 * 3_600_000],
    );
    assert.equal(described.policies.overlap, 'SKIP');
    assert.equal(described.action.taskQueue, taskQueue);
    const listed = await waitFor('the schedule in the list', async () => {
      const ids: string[] = [];
      for await (const s of client.schedule.list()) if (s.scheduleId === scheduleId) ids.push(s.scheduleId);
      return ids.length > 0 && ids;
    });
    assert.equal(listed.length, 1);

    // Ensured again with another interval and settings: the same schedule, updated.
    await ensureDiscoverySchedule(client, { taskQueue, scheduleId, every: '12h', settings: { quorum: 7 } });
    const updated = await client.schedule.getHandle(scheduleId).describe();
    assert.deepEqual(
      updated.spec.intervals?.map((i) => i.every),
      [12 * 3_600_000],
    );
    assert.deepEqual(updated.action.args, [{ quorum: 7 }]);

    // A triggered run saves the next snapshot (all 8 sources answer: quorum 7 is met).
    await triggerDiscoverySchedule(client, scheduleId);
    const action = await waitFor('the triggered run', async () => {
      const { info } = await client.schedule.getHandle(scheduleId).describe();
      return info.recentActions[0]?.action.workflow;
    });
    const scheduled = client.workflow.getHandle(action.workflowId, action.firstExecutionRunId);
    const scheduledResult = (await scheduled.result()) as PairDiscoveryResult;
    assert.equal(scheduledResult.version, 4);
    assert.equal(scheduledResult.previousVersion, 3);
    assert.equal((await latestScannerSnapshotHead(database.pool))?.run_id, action.firstExecutionRunId);

    // On demand: one run at a time under the fixed id (a slow venue keeps the first one going).
    const fault = exchange.faults.add({ venue: 'okx', op: 'query', fault: 'latency', latencyMs: 1_500 });
    t.after(() => exchange.faults.remove(fault.id));
    const workflowId = uniqueName('discovery-now');
    const now = await runDiscoveryNow(client, { taskQueue, workflowId });
    await assert.rejects(runDiscoveryNow(client, { taskQueue, workflowId }), DiscoveryAlreadyRunningError);
    const nowResult = await now.result();
    assert.equal(nowResult.version, 5);
    // The id is free again once the run is over.
    exchange.faults.remove(fault.id);
    assert.equal((await (await runDiscoveryNow(client, { taskQueue, workflowId })).result()).version, 6);
    assert.deepEqual(await versions(), [1, 2, 3, 4, 5, 6]);
  });

  test('(f) saving is idempotent per run and refuses a diff against a version no longer the latest', async () => {
    const activities = createScannerDiscoveryActivities({ pool: database.pool, connectors });
    const latest = (await activities.latestDiscoverySnapshot())?.version ?? 0;
    const before = await versions();
    const snapshot = {
      workflowId: 'w',
      runId: uniqueName('run'),
      basedOn: latest,
      settings: {},
      counts: {},
      sources: [],
      failedSources: [],
      priceCheck: 'not_run' as const,
      heldOut: [],
      unchecked: [],
      rejected: [],
      diff: { added: [] },
      symbols: ['BTC-USDT'],
      listings: [['okx-spot', 0, 'BTC-USDT', '0.1', '0.01', '0.01', null, '1'] as ListingTuple],
      directions: [{ id: 0, name: 'okx-spot>mexc-perp', symbolIds: [0] }],
    };
    assert.deepEqual(await activities.saveDiscoverySnapshot(snapshot), {
      version: latest + 1,
      alreadySaved: false,
    });
    // The same run saving again (a retry after a crash): the version it saved, nothing new.
    assert.deepEqual(await activities.saveDiscoverySnapshot(snapshot), {
      version: latest + 1,
      alreadySaved: true,
    });
    // Another run still diffing against the old latest: refused, to diff again.
    await assert.rejects(
      activities.saveDiscoverySnapshot({ ...snapshot, runId: uniqueName('run') }),
      (error) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'SnapshotConflict');
        assert.equal(error.nonRetryable, true);
        return true;
      },
    );
    assert.deepEqual(await versions(), [...before, latest + 1]);
    const listings = await scannerSnapshotListings(database.pool, latest + 1);
    assert.deepEqual(
      listings.map((l) => [l.venue_symbol, l.tick_size, l.max_qty]),
      [['BTC-USDT', '0.1', null]],
    );
  });

  /** Short collection windows: a symbol without a quote is given up on after a second. */
  const quick = { collectMs: 1_000, idleMs: 500, batchTimeoutMs: 5_000 };
  const everywhere = ['BTC', 'ETH', 'SOL'];
  const ALL: Listings = Object.fromEntries(
    ['binance', 'bybit', 'mexc', 'okx'].map((v) => [v, { spot: everywhere, perp: everywhere }]),
  );
  const pairsOf = (heldOut: unknown[], reason: string) =>
    (heldOut as { reason: string; symbol: string; direction: string }[])
      .filter((h) => h.reason === reason)
      .map((h) => `${h.direction} ${h.symbol}`);

  test('(g) stream validation: a ×1000 price on one venue is held out by the price check, an empty book as no_data', async () => {
    exchange = exchangeListing(ALL, (venue, market, base) => {
      if (base === 'SOL' && venue === 'bybit' && market === 'spot') return undefined; // empty book
      const top = BOOKS[base];
      if (base === 'ETH' && venue === 'mexc' && market === 'perp' && top)
        return [`${top[0]}000`, `${top[1]}000`]; // ×1000: a unit factor (or another coin named ETH)
      return top;
    });
    const result = await discover({ validation: quick });
    assert.equal(result.counts.symbols, 3);
    assert.equal(result.counts.pairs, 36 - 6);
    const head = await latestScannerSnapshotHead(database.pool);
    assert.equal(head?.version, result.version);
    assert.equal(head?.price_check, 'run');
    assert.deepEqual(head?.unchecked, []);
    assert.deepEqual(pairsOf(head?.held_out ?? [], 'price_disagreement'), [
      'okx-spot>mexc-perp ETH-USDT',
      'bybit-spot>mexc-perp ETH-USDT',
      'binance-spot>mexc-perp ETH-USDT',
    ]);
    const ratios = (
      head?.held_out as { reason: string; ratio?: string; spotMid?: string; perpMid?: string }[]
    )
      .filter((h) => h.reason === 'price_disagreement')
      .map((h) => [h.ratio, h.spotMid, h.perpMid]);
    assert.deepEqual(ratios, Array(3).fill(['1000', '50', '50000']));
    assert.deepEqual(pairsOf(head?.held_out ?? [], 'no_data'), [
      'bybit-spot>okx-perp SOL-USDT',
      'bybit-spot>mexc-perp SOL-USDT',
      'bybit-spot>binance-perp SOL-USDT',
    ]);
    const noData = (head?.held_out as { reason: string; legs?: unknown }[]).find(
      (h) => h.reason === 'no_data',
    );
    assert.deepEqual(noData?.legs, [{ source: 'bybit-spot', reason: 'no_data' }]);
    const bybitSpot = result.validation?.find((v) => v.source === 'bybit-spot');
    assert.deepEqual(bybitSpot && [bybitSpot.valid, bybitSpot.noData], [2, 1]);
    // The kept pairs are the others: SOL from bybit's spot and ETH into mexc's perp are gone.
    const saved = await scannerSnapshotPairs(database.pool);
    const byName = new Map(
      saved?.directions.map((d) => [d.name, d.symbolIds.map((id) => saved.symbols[id])]),
    );
    assert.deepEqual(byName.get('bybit-spot>mexc-perp'), ['BTC-USDT']);
    assert.deepEqual(byName.get('okx-spot>bybit-perp'), ['BTC-USDT', 'ETH-USDT', 'SOL-USDT']);
  });

  test('(h) a refused symbol is narrowed down to itself (rejected); a source whose validation fails holds its pairs out as no_data', async (t) => {
    t.after(() => streamFaults.clear());
    exchange = exchangeListing(ALL);
    streamFaults.set('okx/spot', (symbols) =>
      symbols.includes('ETH-USDT')
        ? new ConnectorError('unknown-symbol', 'ETH-USDT: no such channel')
        : undefined,
    );
    streamFaults.set('binance/perp', () => new ConnectorError('auth', 'stream login refused'));
    const result = await discover({ validation: quick });
    const head = await latestScannerSnapshotHead(database.pool);
    assert.equal(head?.price_check, 'run');
    const heldOut = head?.held_out ?? [];
    assert.deepEqual(pairsOf(heldOut, 'rejected'), [
      'okx-spot>mexc-perp ETH-USDT',
      'okx-spot>bybit-perp ETH-USDT',
      'okx-spot>binance-perp ETH-USDT',
    ]);
    const rejected = (heldOut as { reason: string; legs?: unknown }[]).find((h) => h.reason === 'rejected');
    assert.deepEqual(rejected?.legs, [
      { source: 'okx-spot', reason: 'rejected', detail: 'ETH-USDT: no such channel' },
    ]);
    // binance-perp's validation failed (not retryable): its 3 directions × 3 symbols held out, naming why
    // (okx-spot>binance-perp ETH above: its first invalid leg, the spot one, gives the reason).
    const failedLegs = (
      heldOut as { reason: string; direction: string; legs?: { detail?: string }[] }[]
    ).filter((h) => h.reason === 'no_data');
    assert.equal(failedLegs.length, 8);
    assert.ok(failedLegs.every((h) => h.direction.endsWith('>binance-perp')));
    assert.match(
      failedLegs[0]?.legs?.[0]?.detail ?? '',
      /validation of binance-perp failed: stream login refused \(not retryable\)/,
    );
    assert.equal(result.counts.pairs, 36 - 3 - 8);
    const binancePerp = result.validation?.find((v) => v.source === 'binance-perp');
    assert.equal(binancePerp?.status, 'failed');
    assert.deepEqual(result.failedSources, []);
  });
});
