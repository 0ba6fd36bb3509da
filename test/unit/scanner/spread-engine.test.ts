import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VENUE_SPECS } from '../../../connectors/ccxt/venues';
import {
  buildLegIndex,
  defaultSpreadEngineSettings,
  EngineTopologySchema,
  feedAliveUntil,
  LEG_FEED_SILENT,
  LEG_FRESH,
  LEG_LAGGING,
  LEG_NO_QUOTE,
  LEG_SYMBOL_SILENT,
  legState,
  parseSpreadEngineSettings,
  quoteFreshUntil,
  SCANNER_DIRECTIONS,
  scannerTopology,
  SpreadEngine,
  SpreadSettingsError,
  stalenessForHabit,
  type OpeningSink,
  type SpreadEngineSettings,
} from '../../../scanner/engine';
import { SOURCES, sourceOf, type SourceName } from '../../../workflows/scanner/discovery/sources';

const src = (name: SourceName): number => sourceOf(name).id;
const BINANCE_SPOT = src('binance-spot');
const BYBIT_PERP = src('bybit-perp');
const MEXC_SPOT = src('mexc-spot');
const OKX_SPOT = src('okx-spot');
const OKX_PERP = src('okx-perp');
const dir = (spot: number, perp: number): number =>
  SCANNER_DIRECTIONS.find((d) => d.spotSource === spot && d.perpSource === perp)!.id;
const BINANCE_TO_OKX = dir(BINANCE_SPOT, OKX_PERP);
const MEXC_TO_OKX = dir(MEXC_SPOT, OKX_PERP);

/** Symbol 0 on all eight sources, symbol 1 on binance spot and okx perp only, symbol 2 on okx spot only. */
const topology = scannerTopology(3, [[0, 1], [0], [0], [0], [0], [0], [0, 2], [0, 1]]);

class Openings implements OpeningSink {
  readonly seen: Array<{ symbolId: number; directionId: number; spreadBps: number; at: number }> = [];
  onOpening(symbolId: number, directionId: number, spreadBps: number, at: number): void {
    this.seen.push({ symbolId, directionId, spreadBps, at });
  }
}

function engineWith(settings: Partial<SpreadEngineSettings> = {}): {
  engine: SpreadEngine;
  openings: Openings;
} {
  const openings = new Openings();
  const engine = new SpreadEngine(topology, { ...defaultSpreadEngineSettings(8), ...settings }, openings);
  return { engine, openings };
}

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

describe('spread engine: the spread', () => {
  test('is (perp bid − spot ask) / spot ask in bps, worked out by hand', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(BINANCE_SPOT, 0, 99.9, 100, 1_000, 1_010);
    engine.onQuote(OKX_PERP, 0, 100.3, 100.4, 1_000, 1_010);
    close(engine.spreadBps(0, BINANCE_TO_OKX), 30); // 0.3 / 100 = 0.3 % = 30 bps, below the 50 bps entry
    engine.onQuote(MEXC_SPOT, 0, 100.9, 101, 1_001, 1_011);
    close(engine.spreadBps(0, MEXC_TO_OKX), (-0.7 / 101) * 10_000); // -69.3069… bps: perp bid below spot ask
    // okx spot → binance perp has no quotes on either leg: never computed.
    assert.ok(Number.isNaN(engine.spreadBps(0, dir(OKX_SPOT, src('binance-perp')))));
    assert.equal(openings.seen.length, 0);

    engine.onQuote(OKX_PERP, 0, 100.6, 100.7, 1_002, 1_012); // 0.6 / 100 = 60 bps ≥ 50
    assert.deepEqual(
      openings.seen.map((o) => [o.symbolId, o.directionId, o.at]),
      [[0, BINANCE_TO_OKX, 1_012]],
    );
    close(openings.seen[0]!.spreadBps, 60);
  });

  test('a quote recomputes only the directions its leg is in', () => {
    const { engine } = engineWith();
    for (let source = 0; source < 8; source++) engine.onQuote(source, 0, 100, 100.1, 1_000, 1_000 + source);
    engine.onQuote(BINANCE_SPOT, 1, 50, 50.1, 1_000, 1_010);
    engine.onQuote(OKX_PERP, 1, 50, 50.1, 1_000, 1_010);
    const before = Array.from({ length: 3 * 12 }, (_, cell) =>
      engine.spreadBps(Math.floor(cell / 12), cell % 12),
    );
    const evaluationsBefore = engine.totalsSnapshot().evaluations;

    engine.onQuote(BYBIT_PERP, 0, 100.2, 100.3, 1_001, 1_020);

    const affected = SCANNER_DIRECTIONS.filter((d) => d.perpSource === BYBIT_PERP).map((d) => d.id);
    assert.equal(affected.length, 3);
    assert.equal(engine.totalsSnapshot().evaluations - evaluationsBefore, 3);
    for (let cell = 0; cell < 3 * 12; cell++) {
      const [symbol, direction] = [Math.floor(cell / 12), cell % 12];
      const after = engine.spreadBps(symbol, direction);
      if (symbol === 0 && affected.includes(direction)) close(after, ((100.2 - 100.1) / 100.1) * 10_000);
      else assert.ok(Object.is(after, before[cell]), `symbol ${symbol} direction ${direction} changed`);
    }
  });

  test('the leg index lists each leg in exactly its directions', () => {
    const index = buildLegIndex(topology);
    const directionsOf = (source: number, symbol: number): number[] => {
      const leg = source * 3 + symbol;
      return Array.from(index.directionOf.subarray(index.start[leg], index.start[leg + 1]));
    };
    assert.deepEqual(directionsOf(BYBIT_PERP, 0), [1, 4, 11]);
    assert.deepEqual(directionsOf(BINANCE_SPOT, 0), [9, 10, 11]);
    assert.deepEqual(directionsOf(BINANCE_SPOT, 1), [BINANCE_TO_OKX]);
    assert.deepEqual(directionsOf(OKX_SPOT, 2), []); // listed on one source only
  });
});

describe('spread engine: openings', () => {
  test('at most one per (symbol, direction) until the tracking ended', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(BINANCE_SPOT, 1, 49.9, 50, 1_000, 1_000);
    engine.onQuote(OKX_PERP, 1, 50.5, 50.6, 1_000, 1_000); // 100 bps
    engine.onQuote(OKX_PERP, 1, 50.6, 50.7, 1_001, 1_001); // 120 bps, still tracking
    engine.onQuote(BINANCE_SPOT, 1, 49.8, 49.9, 1_002, 1_002);
    assert.equal(openings.seen.length, 1);
    assert.ok(engine.isTracking(1, BINANCE_TO_OKX));
    close(engine.spreadBps(1, BINANCE_TO_OKX), ((50.6 - 49.9) / 49.9) * 10_000); // still computed

    engine.trackingEnded(1, BINANCE_TO_OKX);
    assert.equal(engine.isTracking(1, BINANCE_TO_OKX), false);
    engine.onQuote(OKX_PERP, 1, 50.01, 50.1, 1_003, 1_003); // 22 bps: below entry, nothing
    assert.equal(openings.seen.length, 1);
    engine.onQuote(OKX_PERP, 1, 50.5, 50.6, 1_004, 1_004);
    engine.onQuote(OKX_PERP, 1, 50.5, 50.6, 1_005, 1_005);
    assert.deepEqual(
      openings.seen.map((o) => [o.symbolId, o.directionId, o.at]),
      [
        [1, BINANCE_TO_OKX, 1_000],
        [1, BINANCE_TO_OKX, 1_004],
      ],
    );
    assert.equal(engine.totalsSnapshot().openings, 2);
  });

  test('each direction of a symbol opens on its own', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(BINANCE_SPOT, 0, 99.9, 100, 1_000, 1_000);
    engine.onQuote(MEXC_SPOT, 0, 99.9, 100, 1_000, 1_000);
    engine.onQuote(OKX_PERP, 0, 101, 101.1, 1_000, 1_000); // 100 bps from both spots
    assert.deepEqual(openings.seen.map((o) => o.directionId).sort(), [MEXC_TO_OKX, BINANCE_TO_OKX].sort());
  });
});

describe('spread engine: staleness', () => {
  test('a quote that arrived late is ignored and counted on its source', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 5_000, 5_000);
    engine.onQuote(OKX_PERP, 1, 101, 101.1, 3_000, 5_000); // 2 s behind the venue's clock, max 1 s
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 1);
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 5_001, 5_001); // its counterpart is the late leg
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 2);
    assert.equal(engine.sourceCounters(BINANCE_SPOT).staleSkips, 0);
    assert.equal(openings.seen.length, 0);
    assert.ok(Number.isNaN(engine.spreadBps(1, BINANCE_TO_OKX)));
    engine.onQuote(OKX_PERP, 1, 101, 101.1, 5_002, 5_010); // fresh again
    assert.equal(openings.seen.length, 1);
  });

  test('a silent feed makes its legs stale; a quiet symbol on a live feed is not', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(OKX_PERP, 1, 101, 101.1, 1_000, 1_000);
    // 12 s later, okx perp sent nothing at all: its feed counts as down (10 s), the leg is stale.
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 13_000, 13_000);
    assert.equal(openings.seen.length, 0);
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 1);

    // Another okx perp symbol speaks: the feed is alive, and symbol 1 only did not move (on-change venue).
    engine.onQuote(OKX_PERP, 0, 7, 7.1, 13_500, 13_500);
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 14_000, 14_000);
    assert.equal(openings.seen.length, 1);
    close(openings.seen[0]!.spreadBps, 100);

    // A heartbeat keeps the feed alive just as well.
    engine.trackingEnded(1, BINANCE_TO_OKX);
    engine.onFeedMessage(OKX_PERP, 30_000);
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 31_000, 31_000);
    assert.equal(openings.seen.length, 2);
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 1);
  });

  test('legState names the reason and agrees with the bounds the engine keeps', () => {
    // [exchangeTs, receivedAt, lastFeedMessageAt, now, maxLagMs, feedSilenceMs, symbolSilenceMs] → state
    const cases: Array<[[number, number, number, number, number, number, number], number]> = [
      [[0, 0, 500, 1_000, 1_000, 10_000, Infinity], LEG_NO_QUOTE],
      [[100, 1_200, 1_200, 1_300, 1_000, 10_000, Infinity], LEG_LAGGING],
      [[1_000, 1_100, 1_100, 1_100, 1_000, 10_000, Infinity], LEG_FRESH], // lag 100 ms
      [[1_200, 1_100, 1_100, 1_100, 1_000, 10_000, Infinity], LEG_FRESH], // venue clock ahead
      [[1_000, 1_000, 1_000, 11_001, 1_000, 10_000, Infinity], LEG_FEED_SILENT],
      [[1_000, 1_000, 50_000, 50_001, 1_000, 10_000, Infinity], LEG_FRESH], // quiet symbol, live feed
      [[1_000, 1_000, 50_000, 50_001, 1_000, 10_000, 5_000], LEG_SYMBOL_SILENT],
    ];
    for (const [[exchangeTs, receivedAt, last, now, maxLag, feedSilence, symbolSilence], expected] of cases) {
      assert.equal(legState(exchangeTs, receivedAt, last, now, maxLag, feedSilence, symbolSilence), expected);
      if (expected === LEG_NO_QUOTE) continue;
      const fresh =
        now <= quoteFreshUntil(exchangeTs, receivedAt, maxLag, symbolSilence) &&
        now <= feedAliveUntil(last, feedSilence);
      assert.equal(fresh, expected === LEG_FRESH);
    }
  });

  test('on a venue that republishes periodically, a quiet symbol goes stale', () => {
    const staleness = defaultSpreadEngineSettings(8).staleness;
    staleness[OKX_PERP] = { ...staleness[OKX_PERP]!, symbolSilenceMs: 2_000 };
    const { engine, openings } = engineWith({ staleness });
    engine.onQuote(OKX_PERP, 1, 101, 101.1, 1_000, 1_000);
    engine.onQuote(OKX_PERP, 0, 7, 7.1, 3_900, 3_900); // feed alive
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 4_000, 4_000); // symbol 1 silent 3 s > 2 s
    assert.equal(openings.seen.length, 0);
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 1);
  });
});

describe('spread engine: venue update habits', () => {
  test('a stream that re-sends unchanged quotes gets a symbol silence rule of two re-sends plus the lag', () => {
    assert.deepEqual(stalenessForHabit(undefined), {
      maxLagMs: 1_000,
      feedSilenceMs: 10_000,
      symbolSilenceMs: null,
    });
    // 2 × 3 000 + 1 000
    assert.equal(stalenessForHabit(3_000).symbolSilenceMs, 7_000);
  });

  test('with the ccxt venue habits, a quiet Bybit symbol goes stale while a quiet OKX one does not', () => {
    const staleness = SOURCES.map((source) =>
      stalenessForHabit(VENUE_SPECS[source.venue].capabilities[source.market].quoteRepublishMs),
    );
    const { engine, openings } = engineWith({ staleness });
    engine.onQuote(BYBIT_PERP, 0, 101, 101.1, 1_000, 1_000);
    engine.onQuote(OKX_PERP, 0, 101, 101.1, 1_000, 1_000);
    // 7.1 s later both perps are still quiet, their feeds alive (under 10 s): Bybit should have re-sent
    // twice, OKX sends only on change. Spot at 100 makes both spreads (101 − 100) / 100 = 100 bps.
    engine.onQuote(BINANCE_SPOT, 0, 99.9, 100, 8_100, 8_100);
    assert.deepEqual(
      openings.seen.map((o) => o.directionId),
      [dir(BINANCE_SPOT, OKX_PERP)],
    );
    assert.equal(engine.sourceCounters(BYBIT_PERP).staleSkips, 1);
    assert.equal(engine.sourceCounters(OKX_PERP).staleSkips, 0);
  });
});

describe('spread engine: a new snapshot adopts the state of the last', () => {
  test('kept symbols keep their legs and tracking marks under their new ids; added ones start empty', () => {
    const { engine: previous } = engineWith();
    previous.onQuote(BINANCE_SPOT, 1, 99.9, 100, 1_000, 1_000);
    previous.onQuote(OKX_PERP, 1, 101, 101.1, 1_000, 1_000); // (101 − 100) / 100 = 100 bps: opened
    assert.ok(previous.isTracking(1, BINANCE_TO_OKX));

    // The new snapshot: old symbol 1 is now id 0, id 1 is new; both on binance spot and okx perp.
    const listed = SOURCES.map((source) =>
      source.id === BINANCE_SPOT || source.id === OKX_PERP ? [0, 1] : [],
    );
    const openings = new Openings();
    const engine = new SpreadEngine(scannerTopology(2, listed), defaultSpreadEngineSettings(8), openings);
    engine.adoptFrom(previous, [1, -1]);
    assert.ok(engine.isTracking(0, BINANCE_TO_OKX), 'the tracked pair is still tracked: no second tracker');
    close(engine.spreadBps(0, BINANCE_TO_OKX), 100);

    // Only the perp moves; the spot leg is the one adopted: (101.3 − 100) / 100 = 130 bps.
    engine.trackingEnded(0, BINANCE_TO_OKX);
    engine.onQuote(OKX_PERP, 0, 101.3, 101.4, 1_500, 1_500);
    assert.deepEqual(
      openings.seen.map((o) => [o.symbolId, o.directionId]),
      [[0, BINANCE_TO_OKX]],
    );
    close(openings.seen[0]!.spreadBps, 130);
    engine.onQuote(OKX_PERP, 1, 101.3, 101.4, 1_500, 1_500);
    assert.ok(Number.isNaN(engine.spreadBps(1, BINANCE_TO_OKX)), 'the added symbol has no spot quote yet');
    assert.equal(openings.seen.length, 1);
  });

  test('a mapping of the wrong length or to a symbol the last engine did not have is refused', () => {
    const { engine: previous } = engineWith();
    const { engine } = engineWith();
    assert.throws(() => engine.adoptFrom(previous, [0, 1]), /2 symbol mappings for 3 symbols/);
    assert.throws(() => engine.adoptFrom(previous, [0, 1, 3]), /no symbol 3 to adopt/);
  });
});

describe('spread engine: bad quotes', () => {
  test('bid ≤ 0, bid > ask and non-finite values are refused and counted', () => {
    const { engine, openings } = engineWith();
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 1_000, 1_000);
    const bad: Array<[number, number]> = [
      [0, 101],
      [-1, 101],
      [102, 101],
      [Number.NaN, 101],
      [101, Number.NaN],
      [101, Infinity],
    ];
    bad.forEach(([bid, ask], i) => engine.onQuote(OKX_PERP, 1, bid, ask, 1_001 + i, 1_001 + i));
    assert.equal(engine.sourceCounters(OKX_PERP).rejectedQuotes, bad.length);
    assert.equal(openings.seen.length, 0);
    assert.ok(Number.isNaN(engine.spreadBps(1, BINANCE_TO_OKX)));
    engine.onQuote(OKX_PERP, 1, 101, 101, 1_100, 1_100); // bid = ask is a valid (locked) book
    assert.equal(openings.seen.length, 1);
  });

  test('a quote older than the one held is ignored', () => {
    const { engine } = engineWith();
    engine.onQuote(BINANCE_SPOT, 1, 99.9, 100, 1_000, 1_000);
    engine.onQuote(OKX_PERP, 1, 100.1, 100.2, 1_010, 1_010);
    engine.onQuote(OKX_PERP, 1, 100.2, 100.3, 1_005, 1_011);
    assert.equal(engine.sourceCounters(OKX_PERP).outOfOrder, 1);
    close(engine.spreadBps(1, BINANCE_TO_OKX), 10);
  });

  test('a leg outside the topology is a caller bug', () => {
    const { engine } = engineWith();
    assert.throws(() => engine.onQuote(8, 0, 1, 1, 1, 1), RangeError);
    assert.throws(() => engine.onQuote(0, 3, 1, 1, 1, 1), RangeError);
    assert.throws(() => engine.trackingEnded(0, 12), RangeError);
  });
});

describe('spread engine: settings', () => {
  const valid = defaultSpreadEngineSettings(8);
  const refused = (input: unknown, key: RegExp): void =>
    assert.throws(
      () => parseSpreadEngineSettings(input),
      (error: unknown) => error instanceof SpreadSettingsError && key.test(error.message),
    );

  test('the defaults parse', () => {
    assert.deepEqual(parseSpreadEngineSettings(valid), valid);
  });

  test('thresholds that make no sense are refused, naming the key', () => {
    refused({ ...valid, entryBps: 10, exitBps: 10 }, /entryBps: must be above exitBps/);
    refused({ ...valid, entryBps: 5, exitBps: 10 }, /entryBps: must be above exitBps/);
    refused({ ...valid, exitBps: -1 }, /exitBps/);
    refused({ ...valid, entryBps: -50, exitBps: -60 }, /entryBps/);
    refused({ ...valid, entryBps: Number.NaN }, /entryBps/);
    refused({ ...valid, entryBps: Infinity }, /entryBps/);
    refused(
      { ...valid, staleness: [{ maxLagMs: 0, feedSilenceMs: Number.NaN, symbolSilenceMs: null }] },
      /staleness\.0\.maxLagMs.*staleness\.0\.feedSilenceMs/,
    );
    refused({ ...valid, staleness: [] }, /staleness/);
  });

  test('the engine refuses settings and topologies that do not fit', () => {
    const sink = new Openings();
    assert.throws(() => new SpreadEngine(topology, { ...valid, exitBps: 80 }, sink), SpreadSettingsError);
    assert.throws(
      () => new SpreadEngine(topology, defaultSpreadEngineSettings(7), sink),
      /7 staleness rules for 8/,
    );
    const badDirection = { ...topology, directions: [{ id: 0, spotSource: 1, perpSource: 1 }], pairs: [[0]] };
    assert.equal(EngineTopologySchema.safeParse(badDirection).success, false);
    const badSymbol = { ...topology, pairs: topology.pairs.map(() => [3]) };
    assert.equal(EngineTopologySchema.safeParse(badSymbol).success, false);
  });
});
