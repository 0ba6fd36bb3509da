/**
 * Spread-engine benchmark: ~700 symbols × 8 sources (seed 004's listing fractions), seed 004's 12
 * directions, random-walk best bid/ask quotes pre-generated into typed arrays (a pool replayed with rising
 * timestamps, so generation is not timed), a few injected dislocations (a perp quote lifted 80 bps). In one
 * run, for the engine and for a naive baseline (a `Map` keyed `${source}:${symbol}` holding quote objects,
 * recomputing all 12 directions of the symbol with an object per result on every update):
 * updates/s on one core, update-to-detection latency p50/p99 (process.hrtime.bigint around the dislocated
 * updates, to the opening callback), heap and RSS before and after, heap growth and GCs during the run.
 * The bench's sink ends each tracking at once, so a pair re-arms as soon as its tracker would close.
 *
 * Run: node --import tsx bench/spread-engine.ts [--symbols 700] [--updates 20000000] [--naive-updates 2000000]
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  defaultSpreadEngineSettings,
  legState,
  LEG_FRESH,
  SCANNER_DIRECTIONS,
  SCANNER_SOURCE_COUNT,
  scannerTopology,
  SpreadEngine,
  type OpeningSink,
  type SpreadEngineSettings,
} from '../scanner/engine';
import { createPrng } from '../sim/prng';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return Math.floor(value);
}

const SYMBOLS = option('symbols', 700);
const UPDATES = option('updates', 20_000_000);
const NAIVE_UPDATES = Math.min(UPDATES, option('naive-updates', 2_000_000));
const LATENCY_UPDATES = Math.min(UPDATES, 4_000_000);
const POOL = Math.min(UPDATES, 1 << 20);
const DISLOCATION_RATE = 1 / 1_000; // of perp quotes
const STEP_MS = 0.01; // simulated arrival: 100,000 quotes/s over all sources
const LAG_MS = 3;
const T0 = 1_700_000_000_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// --- workload --------------------------------------------------------------------------------------------

/** Seed 004's expected pairs per source over its ~682 unique pairs, as listing fractions. */
const LISTED = [460, 528, 394, 394, 547, 579, 278, 252].map((pairs) => pairs / 682);
const rng = createPrng(4);
const listed = Array.from({ length: SCANNER_SOURCE_COUNT }, (_, source) =>
  Array.from({ length: SYMBOLS }, (_, symbol) => symbol).filter(() => rng.next() < LISTED[source]!),
);
const topology = scannerTopology(SYMBOLS, listed);
const settings: SpreadEngineSettings = defaultSpreadEngineSettings(SCANNER_SOURCE_COUNT);
const legsListed = listed.flatMap((symbols, source) => symbols.map((symbol) => source * SYMBOLS + symbol));

interface Workload {
  source: Uint8Array;
  symbol: Uint16Array;
  bid: Float64Array;
  ask: Float64Array;
  dislocated: Uint8Array;
}

function makeWorkload(): Workload {
  const w: Workload = {
    source: new Uint8Array(POOL),
    symbol: new Uint16Array(POOL),
    bid: new Float64Array(POOL),
    ask: new Float64Array(POOL),
    dislocated: new Uint8Array(POOL),
  };
  const mid = Float64Array.from({ length: SYMBOLS }, () => 10 ** (rng.next() * 6 - 2));
  const basis = Float64Array.from(
    { length: SCANNER_SOURCE_COUNT * SYMBOLS },
    () => (rng.next() - 0.5) * 6e-4,
  );
  const half = Float64Array.from(
    { length: SCANNER_SOURCE_COUNT * SYMBOLS },
    () => (0.5 + rng.next() * 2.5) * 1e-4,
  );
  for (let i = 0; i < POOL; i++) {
    const leg = legsListed[Math.floor(rng.next() * legsListed.length)]!;
    const source = Math.floor(leg / SYMBOLS);
    const symbol = leg - source * SYMBOLS;
    mid[symbol] = mid[symbol]! * (1 + (rng.next() - 0.5) * 2e-4);
    const center = mid[symbol] * (1 + basis[leg]! + (rng.next() - 0.5) * 2e-4);
    const lift = source % 2 === 1 && rng.next() < DISLOCATION_RATE ? 1.008 : 1;
    w.source[i] = source;
    w.symbol[i] = symbol;
    w.bid[i] = center * (1 - half[leg]!) * lift;
    w.ask[i] = center * (1 + half[leg]!) * lift;
    w.dislocated[i] = lift > 1 ? 1 : 0;
  }
  return w;
}

// --- the naive baseline ----------------------------------------------------------------------------------

interface Quote {
  bid: number;
  ask: number;
  exchangeTs: number;
  receivedAt: number;
}

/** What one writes first: string keys, a quote object per update, all 12 directions, a result per direction. */
class NaiveScanner {
  private readonly quotes = new Map<string, Quote>();
  private readonly lastMessageAt = new Map<number, number>();
  private readonly tracking = new Set<string>();
  private readonly covered: Set<string>;

  constructor(private readonly sink: OpeningSink) {
    this.covered = new Set(
      topology.pairs.flatMap((symbols, direction) => symbols.map((s) => `${direction}:${s}`)),
    );
  }

  onQuote(
    source: number,
    symbol: number,
    bid: number,
    ask: number,
    exchangeTs: number,
    receivedAt: number,
  ): void {
    this.lastMessageAt.set(source, receivedAt);
    if (!(bid > 0 && bid <= ask && ask < Infinity)) return;
    this.quotes.set(`${source}:${symbol}`, { bid, ask, exchangeTs, receivedAt });
    const results: Array<{ symbol: number; direction: number; spreadBps: number }> = [];
    for (const direction of SCANNER_DIRECTIONS) {
      if (!this.covered.has(`${direction.id}:${symbol}`)) continue;
      const spot = this.quotes.get(`${direction.spotSource}:${symbol}`);
      const perp = this.quotes.get(`${direction.perpSource}:${symbol}`);
      if (!spot || !perp || !this.fresh(direction.spotSource, spot, receivedAt)) continue;
      if (!this.fresh(direction.perpSource, perp, receivedAt)) continue;
      results.push({
        symbol,
        direction: direction.id,
        spreadBps: ((perp.bid - spot.ask) / spot.ask) * 10_000,
      });
    }
    for (const result of results) {
      const key = `${result.symbol}:${result.direction}`;
      if (result.spreadBps >= settings.entryBps && !this.tracking.has(key)) {
        this.tracking.add(key);
        this.sink.onOpening(result.symbol, result.direction, result.spreadBps, receivedAt);
      }
    }
  }

  trackingEnded(symbol: number, direction: number): void {
    this.tracking.delete(`${symbol}:${direction}`);
  }

  private fresh(source: number, quote: Quote, now: number): boolean {
    const rule = settings.staleness[source]!;
    const state = legState(
      quote.exchangeTs,
      quote.receivedAt,
      this.lastMessageAt.get(source) ?? 0,
      now,
      rule.maxLagMs,
      rule.feedSilenceMs,
      rule.symbolSilenceMs ?? Infinity,
    );
    return state === LEG_FRESH;
  }
}

// --- measurement -----------------------------------------------------------------------------------------

interface Scanner {
  onQuote(
    source: number,
    symbol: number,
    bid: number,
    ask: number,
    exchangeTs: number,
    receivedAt: number,
  ): void;
  trackingEnded(symbol: number, direction: number): void;
}

/** Ends each tracking at once (the pair re-arms); when armed, stamps the first opening's time. */
class BenchSink implements OpeningSink {
  scanner: Scanner | undefined;
  openings = 0;
  armed = false;
  detectedAt = 0n;
  onOpening(symbolId: number, directionId: number): void {
    this.openings++;
    if (this.armed) {
      this.detectedAt = process.hrtime.bigint();
      this.armed = false;
    }
    this.scanner!.trackingEnded(symbolId, directionId);
  }
}

const gcEvents: Array<{ start: number; end: number }> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    gcEvents.push({ start: entry.startTime, end: entry.startTime + entry.duration });
}).observe({ entryTypes: ['gc'] });
const flushGcEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Feeds `count` updates; the engine through its staging slot (no double crosses a call), the naive one by arguments. */
function replay(scanner: Scanner, w: Workload, count: number): void {
  let j = 0;
  if (scanner instanceof SpreadEngine) {
    const staged = scanner.staged;
    for (let i = 0; i < count; i++) {
      const receivedAt = T0 + i * STEP_MS;
      staged[0] = w.bid[j]!;
      staged[1] = w.ask[j]!;
      staged[2] = receivedAt - LAG_MS;
      staged[3] = receivedAt;
      scanner.applyStaged(w.source[j]!, w.symbol[j]!);
      if (++j === POOL) j = 0;
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const receivedAt = T0 + i * STEP_MS;
    scanner.onQuote(w.source[j]!, w.symbol[j]!, w.bid[j]!, w.ask[j]!, receivedAt - LAG_MS, receivedAt);
    if (++j === POOL) j = 0;
  }
}

interface Throughput {
  perSecond: number;
  seconds: number;
  openings: number;
  heapBefore: number;
  heapAfter: number;
  heapRetained: number;
  rssBefore: number;
  rssAfter: number;
  gcs: number;
}

async function throughput(
  make: (sink: BenchSink) => Scanner,
  w: Workload,
  count: number,
): Promise<Throughput> {
  const warm = new BenchSink();
  warm.scanner = make(warm);
  replay(warm.scanner, w, Math.min(count, 500_000)); // JIT warm-up on a throwaway instance
  const sink = new BenchSink();
  sink.scanner = make(sink);
  gc();
  const before = process.memoryUsage();
  const from = performance.now();
  const t0 = process.hrtime.bigint();
  replay(sink.scanner, w, count);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const to = performance.now();
  const after = process.memoryUsage();
  gc();
  const retained = process.memoryUsage().heapUsed;
  await flushGcEvents();
  return {
    perSecond: count / seconds,
    seconds,
    openings: sink.openings,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    heapRetained: retained,
    rssBefore: before.rss,
    rssAfter: after.rss,
    gcs: gcEvents.filter((event) => event.start >= from && event.end <= to).length,
  };
}

/** Replays `count` updates; times the dislocated ones from just before the update to the opening callback. */
function latency(make: (sink: BenchSink) => Scanner, w: Workload, count: number): Float64Array {
  const sink = new BenchSink();
  const scanner = make(sink);
  sink.scanner = scanner;
  const engine = scanner instanceof SpreadEngine ? scanner : undefined;
  const samples = new Float64Array(count);
  let n = 0;
  let j = 0;
  for (let i = 0; i < count; i++) {
    const receivedAt = T0 + i * STEP_MS;
    const timed = w.dislocated[j] === 1;
    if (timed) {
      sink.armed = true;
      sink.detectedAt = 0n;
    }
    const start = timed ? process.hrtime.bigint() : 0n;
    if (engine) {
      engine.staged[0] = w.bid[j]!;
      engine.staged[1] = w.ask[j]!;
      engine.staged[2] = receivedAt - LAG_MS;
      engine.staged[3] = receivedAt;
      engine.applyStaged(w.source[j]!, w.symbol[j]!);
    } else {
      scanner.onQuote(w.source[j]!, w.symbol[j]!, w.bid[j]!, w.ask[j]!, receivedAt - LAG_MS, receivedAt);
    }
    if (timed) {
      sink.armed = false;
      if (sink.detectedAt !== 0n) samples[n++] = Number(sink.detectedAt - start);
    }
    if (++j === POOL) j = 0;
  }
  return samples.slice(0, n).sort();
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const us = (ns: number): string => `${(ns / 1_000).toFixed(2)} µs`;

// --- run -------------------------------------------------------------------------------------------------

const rssAtStart = process.memoryUsage().rss;
const workload = makeWorkload();
const dislocations = workload.dislocated.reduce((sum, flag) => sum + flag, 0);
const makeEngine = (sink: BenchSink): Scanner => new SpreadEngine(topology, settings, sink);
const makeNaive = (sink: BenchSink): Scanner => new NaiveScanner(sink);
const probe = new SpreadEngine(topology, settings, new BenchSink());

console.log(
  `spread engine: ${SYMBOLS} symbols × ${SCANNER_SOURCE_COUNT} sources, ${legsListed.length} legs listed, ` +
    `${SCANNER_DIRECTIONS.length} directions covering ${int(topology.pairs.reduce((s, p) => s + p.length, 0))} pairs; ` +
    `${int(UPDATES)} updates replayed from a pool of ${int(POOL)} (${dislocations} dislocated perp quotes in it); ` +
    `engine arrays ${mb(probe.arrayBytes())}; RSS of node + tsx before the workload ${mb(rssAtStart)}; node ${process.version}`,
);

const engine = await throughput(makeEngine, workload, UPDATES);
const engineLatency = latency(makeEngine, workload, LATENCY_UPDATES);
const engineRss = process.memoryUsage().rss;
const naive = await throughput(makeNaive, workload, NAIVE_UPDATES);
const naiveLatency = latency(makeNaive, workload, Math.min(LATENCY_UPDATES, NAIVE_UPDATES));

function report(name: string, t: Throughput, lat: Float64Array, count: number): void {
  console.log(
    `${name}: ${int(t.perSecond)} updates/s (${int(count)} in ${t.seconds.toFixed(2)} s, ${int(t.openings)} openings); ` +
      `detection p50 ${us(percentile(lat, 0.5))}, p99 ${us(percentile(lat, 0.99))} (${lat.length} samples); ` +
      `heap ${mb(t.heapBefore)} → ${mb(t.heapAfter)} (growth ${int((t.heapAfter - t.heapBefore) / 1024)} KB, ` +
      `${t.gcs} GCs during the run, ${mb(t.heapRetained)} after GC); RSS ${mb(t.rssBefore)} → ${mb(t.rssAfter)}`,
  );
}
report('engine', engine, engineLatency, UPDATES);
report('naive ', naive, naiveLatency, NAIVE_UPDATES);
console.log(
  `ratio engine/naive: ×${(engine.perSecond / naive.perSecond).toFixed(1)} updates/s, ` +
    `×${(percentile(naiveLatency, 0.99) / percentile(engineLatency, 0.99)).toFixed(1)} lower detection p99, ` +
    `heap growth per million updates ${int((engine.heapAfter - engine.heapBefore) / (UPDATES / 1e6) / 1024)} KB ` +
    `against ${int((naive.heapAfter - naive.heapBefore) / (NAIVE_UPDATES / 1e6) / 1024)} KB ` +
    `(${engine.gcs} against ${naive.gcs} GCs)`,
);
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
console.log(
  `targets: ≥ 5,000,000 updates/s on one core: ${met(engine.perSecond >= 5e6)} (${int(engine.perSecond)}); ` +
    `detection p99 < 1 ms: ${met(percentile(engineLatency, 0.99) < 1e6)} (${us(percentile(engineLatency, 0.99))}); ` +
    `engine RSS < 150 MB: ${met(engineRss < 150 * MB)} (${mb(engineRss)}, the whole process with its ` +
    `${mb(POOL * 20)} workload pool, before the baseline ran)`,
);
