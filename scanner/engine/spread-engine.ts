import { buildLegIndex, type LegIndex } from './leg-index';
import { parseSpreadEngineSettings, type SpreadEngineSettings } from './settings';
import { feedAliveUntil, quoteFreshUntil } from './staleness';
import { EngineTopologySchema, type EngineTopology } from './topology';

/** Told once per (symbol, direction) when its spread opens; arguments are numbers so nothing is allocated. */
export interface OpeningSink {
  onOpening(symbolId: number, directionId: number, spreadBps: number, receivedAt: number): void;
}

/** Counters of one source, read off the hot path. */
export interface SourceCounters {
  /** Direction evaluations skipped because this source's leg was stale. */
  staleSkips: number;
  /** Quotes refused: bid ≤ 0, ask ≤ 0, bid > ask, or a value not finite. */
  rejectedQuotes: number;
  /** Quotes older (exchange time) than the one the leg already holds. */
  outOfOrder: number;
}

const STALE_SKIPS = 0;
const REJECTED = 1;
const OUT_OF_ORDER = 2;
const COUNTERS_PER_SOURCE = 3;

/**
 * The latest best bid/ask of every leg (source, symbol) and the entry spread of every (symbol, direction),
 * in flat typed arrays; leg `source * symbolCount + symbol`, cell `symbol * directionCount + direction`.
 *
 * The entry spread of a direction (buy spot on X, sell the perp on Y) is what opening both legs at the
 * touch earns: `(perpBid − spotAsk) / spotAsk`, kept in basis points. A quote recomputes only the
 * directions its leg is in (at most six with four venues), read from a precomputed int32 table.
 *
 * `applyStaged` allocates nothing: typed-array reads and writes, number arithmetic and, on an opening, one
 * call with four numbers. An opening is reported at most once per (symbol, direction) until
 * `trackingEnded` says the tracker closed; while tracking, the spread is still computed but not reported.
 */
export class SpreadEngine {
  readonly symbolCount: number;
  readonly sourceCount: number;
  readonly directionCount: number;
  readonly entryBps: number;
  private readonly index: LegIndex;
  private readonly bid: Float64Array;
  private readonly ask: Float64Array;
  private readonly exchangeTs: Float64Array;
  private readonly receivedAt: Float64Array;
  /** Per leg: `quoteFreshUntil` of its quote (staleness.ts); 0 before the first quote. */
  private readonly freshUntil: Float64Array;
  private readonly lastFeedMessageAt: Float64Array;
  /** Per source: `feedAliveUntil` of its last message. */
  private readonly aliveUntil: Float64Array;
  private readonly maxLagMs: Float64Array;
  private readonly feedSilenceMs: Float64Array;
  private readonly symbolSilenceMs: Float64Array;
  private readonly spread: Float64Array;
  private readonly tracking: Uint8Array;
  private readonly counters: Float64Array;
  /** [quotes applied, direction evaluations, openings]. */
  private readonly totals = new Float64Array(3);

  constructor(
    topology: EngineTopology,
    settings: SpreadEngineSettings,
    private readonly sink: OpeningSink,
  ) {
    const checked = EngineTopologySchema.parse(topology);
    const parsed = parseSpreadEngineSettings(settings);
    if (parsed.staleness.length !== checked.sourceCount) {
      throw new RangeError(
        `spread engine: ${parsed.staleness.length} staleness rules for ${checked.sourceCount} sources`,
      );
    }
    this.index = buildLegIndex(checked);
    this.symbolCount = checked.symbolCount;
    this.sourceCount = checked.sourceCount;
    this.directionCount = checked.directions.length;
    this.entryBps = parsed.entryBps;
    const legs = this.sourceCount * this.symbolCount;
    this.bid = new Float64Array(legs);
    this.ask = new Float64Array(legs);
    this.exchangeTs = new Float64Array(legs);
    this.receivedAt = new Float64Array(legs);
    this.freshUntil = new Float64Array(legs);
    this.lastFeedMessageAt = new Float64Array(this.sourceCount);
    this.aliveUntil = new Float64Array(this.sourceCount);
    this.maxLagMs = Float64Array.from(parsed.staleness, (rule) => rule.maxLagMs);
    this.feedSilenceMs = Float64Array.from(parsed.staleness, (rule) => rule.feedSilenceMs);
    this.symbolSilenceMs = Float64Array.from(parsed.staleness, (rule) => rule.symbolSilenceMs ?? Infinity);
    this.spread = new Float64Array(this.symbolCount * this.directionCount).fill(NaN);
    this.tracking = new Uint8Array(this.symbolCount * this.directionCount);
    this.counters = new Float64Array(this.sourceCount * COUNTERS_PER_SOURCE);
  }

  /**
   * The staging slot of the allocation-free path: write `[bid, ask, exchangeTs, receivedAt]` here, then call
   * `applyStaged(source, symbolId)`. V8 boxes a double passed to a function it did not inline, so a caller
   * on the hot path (the market-data hub, the bench) hands the four doubles over through this array and
   * passes only small integers.
   */
  readonly staged = new Float64Array(4);

  /**
   * Applies one best bid/ask of `symbolId` on `source` (`exchangeTs`: the venue's event time; `receivedAt`:
   * our receive time, also "now" for every staleness judgement; both in ms, `receivedAt` > 0) and evaluates
   * the directions that leg is in. The same as staging the quote and calling `applyStaged`.
   */
  onQuote(
    source: number,
    symbolId: number,
    bid: number,
    ask: number,
    exchangeTs: number,
    receivedAt: number,
  ): void {
    const staged = this.staged;
    staged[0] = bid;
    staged[1] = ask;
    staged[2] = exchangeTs;
    staged[3] = receivedAt;
    this.applyStaged(source, symbolId);
  }

  /** Applies the quote in `staged` to (source, symbol): see `onQuote`. */
  applyStaged(source: number, symbolId: number): void {
    if (!(source >= 0 && source < this.sourceCount && symbolId >= 0 && symbolId < this.symbolCount)) {
      throw new RangeError(`spread engine: no leg for source ${source}, symbol ${symbolId}`);
    }
    const staged = this.staged;
    const bid = staged[0]!;
    const ask = staged[1]!;
    const exchangeTs = staged[2]!;
    const receivedAt = staged[3]!;
    if (receivedAt > this.lastFeedMessageAt[source]!) {
      // As `onFeedMessage`, written out so no double crosses a call V8 might not inline.
      this.lastFeedMessageAt[source] = receivedAt;
      this.aliveUntil[source] = feedAliveUntil(receivedAt, this.feedSilenceMs[source]!);
    }
    // `!(a < b)` also refuses NaN; an infinite ask fails `bid <= ask` only with an infinite bid, so test it.
    if (!(bid > 0 && bid <= ask && ask < Infinity && exchangeTs === exchangeTs)) {
      this.counters[source * COUNTERS_PER_SOURCE + REJECTED]!++;
      return;
    }
    const leg = source * this.symbolCount + symbolId;
    if (exchangeTs < this.exchangeTs[leg]!) {
      this.counters[source * COUNTERS_PER_SOURCE + OUT_OF_ORDER]!++;
      return;
    }
    this.bid[leg] = bid;
    this.ask[leg] = ask;
    this.exchangeTs[leg] = exchangeTs;
    this.receivedAt[leg] = receivedAt;
    const freshUntil = quoteFreshUntil(
      exchangeTs,
      receivedAt,
      this.maxLagMs[source]!,
      this.symbolSilenceMs[source]!,
    );
    this.freshUntil[leg] = freshUntil;
    this.totals[0]!++;

    const index = this.index;
    const end = index.start[leg + 1]!;
    let k = index.start[leg]!;
    if (k === end) return;
    if (freshUntil < receivedAt) {
      // This leg arrived already late: every direction it is in is skipped.
      this.counters[source * COUNTERS_PER_SOURCE + STALE_SKIPS]! += end - k;
      return;
    }
    const cellBase = symbolId * this.directionCount;
    for (; k < end; k++) {
      const direction = index.directionOf[k]!;
      const spotSource = index.spotSource[direction]!;
      const perpSource = index.perpSource[direction]!;
      const other = spotSource === source ? perpSource : spotSource;
      const otherLeg = other * this.symbolCount + symbolId;
      // The counterpart's staleness (staleness.ts, `legState`) from its two precomputed bounds.
      if (!(receivedAt <= this.freshUntil[otherLeg]! && receivedAt <= this.aliveUntil[other]!)) {
        if (this.receivedAt[otherLeg] !== 0) this.counters[other * COUNTERS_PER_SOURCE + STALE_SKIPS]!++;
        continue;
      }
      const spotAsk = this.ask[spotSource * this.symbolCount + symbolId]!;
      const perpBid = this.bid[perpSource * this.symbolCount + symbolId]!;
      const spreadBps = ((perpBid - spotAsk) / spotAsk) * 10_000;
      const cell = cellBase + direction;
      this.spread[cell] = spreadBps;
      this.totals[1]!++;
      if (spreadBps >= this.entryBps && this.tracking[cell] === 0) {
        this.tracking[cell] = 1;
        this.totals[2]!++;
        this.sink.onOpening(symbolId, direction, spreadBps, receivedAt);
      }
    }
  }

  /**
   * Takes over what `previous` (the engine of the last snapshot) knew, for a new snapshot's universe:
   * every kept symbol's leg quotes, spreads and tracking marks, and each source's feed liveness, so the
   * diff between the two snapshots applies without losing a quote or reopening a tracked pair.
   * `previousIdOf[symbolId]` is the symbol's id in `previous`, or -1 for a symbol the new snapshot added.
   * Sources and directions are the same in both (they are fixed tables). Call before any quote.
   */
  adoptFrom(previous: SpreadEngine, previousIdOf: ArrayLike<number>): void {
    if (previous.sourceCount !== this.sourceCount || previous.directionCount !== this.directionCount)
      throw new RangeError('spread engine: cannot adopt an engine of other sources or directions');
    if (previousIdOf.length !== this.symbolCount)
      throw new RangeError(
        `spread engine: ${previousIdOf.length} symbol mappings for ${this.symbolCount} symbols`,
      );
    for (let source = 0; source < this.sourceCount; source++)
      this.onFeedMessage(source, previous.lastFeedMessageAt[source]!);
    for (let symbolId = 0; symbolId < this.symbolCount; symbolId++) {
      const old = previousIdOf[symbolId]!;
      if (old < 0) continue;
      if (!(old < previous.symbolCount)) throw new RangeError(`spread engine: no symbol ${old} to adopt`);
      for (let source = 0; source < this.sourceCount; source++) {
        const leg = source * this.symbolCount + symbolId;
        const oldLeg = source * previous.symbolCount + old;
        this.bid[leg] = previous.bid[oldLeg]!;
        this.ask[leg] = previous.ask[oldLeg]!;
        this.exchangeTs[leg] = previous.exchangeTs[oldLeg]!;
        this.receivedAt[leg] = previous.receivedAt[oldLeg]!;
        // Recomputed: this engine's staleness rule for the source may differ from the previous one's.
        this.freshUntil[leg] =
          previous.receivedAt[oldLeg] === 0
            ? 0
            : quoteFreshUntil(
                this.exchangeTs[leg],
                this.receivedAt[leg],
                this.maxLagMs[source]!,
                this.symbolSilenceMs[source]!,
              );
      }
      const cells = symbolId * this.directionCount;
      const oldCells = old * this.directionCount;
      this.spread.set(previous.spread.subarray(oldCells, oldCells + this.directionCount), cells);
      this.tracking.set(previous.tracking.subarray(oldCells, oldCells + this.directionCount), cells);
    }
  }

  /** Any other message of a source's feed (heartbeat, pong, a symbol the engine does not cover): it is alive. */
  onFeedMessage(source: number, receivedAt: number): void {
    if (receivedAt > this.lastFeedMessageAt[source]!) {
      this.lastFeedMessageAt[source] = receivedAt;
      this.aliveUntil[source] = feedAliveUntil(receivedAt, this.feedSilenceMs[source]!);
    }
  }

  /** The tracker of (symbol, direction) closed: the next spread at or above entry opens it again. */
  trackingEnded(symbolId: number, directionId: number): void {
    this.tracking[this.cell(symbolId, directionId)] = 0;
  }

  isTracking(symbolId: number, directionId: number): boolean {
    return this.tracking[this.cell(symbolId, directionId)] === 1;
  }

  /** The last entry spread computed for (symbol, direction), in bps; NaN until both legs were fresh once. */
  spreadBps(symbolId: number, directionId: number): number {
    return this.spread[this.cell(symbolId, directionId)]!;
  }

  sourceCounters(source: number): SourceCounters {
    const base = source * COUNTERS_PER_SOURCE;
    return {
      staleSkips: this.counters[base + STALE_SKIPS]!,
      rejectedQuotes: this.counters[base + REJECTED]!,
      outOfOrder: this.counters[base + OUT_OF_ORDER]!,
    };
  }

  totalsSnapshot(): { quotes: number; evaluations: number; openings: number } {
    return { quotes: this.totals[0]!, evaluations: this.totals[1]!, openings: this.totals[2]! };
  }

  /** Bytes held in the engine's typed arrays (the index included). */
  arrayBytes(): number {
    const arrays = [
      this.index.start,
      this.index.directionOf,
      this.index.spotSource,
      this.index.perpSource,
      this.bid,
      this.ask,
      this.exchangeTs,
      this.receivedAt,
      this.freshUntil,
      this.lastFeedMessageAt,
      this.aliveUntil,
      this.maxLagMs,
      this.feedSilenceMs,
      this.symbolSilenceMs,
      this.spread,
      this.tracking,
      this.counters,
      this.totals,
    ];
    return arrays.reduce((sum, array) => sum + array.byteLength, 0);
  }

  private cell(symbolId: number, directionId: number): number {
    if (!(
      symbolId >= 0 &&
      symbolId < this.symbolCount &&
      directionId >= 0 &&
      directionId < this.directionCount
    )) {
      throw new RangeError(`spread engine: no cell for symbol ${symbolId}, direction ${directionId}`);
    }
    return symbolId * this.directionCount + directionId;
  }
}
