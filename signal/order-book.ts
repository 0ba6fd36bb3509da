/** A level change: price and the size now resting there (0: the level is gone). */
export type Level = readonly [price: number, size: number];

/**
 * A depth diff as Binance streams it: the update ids it spans (`U`..`u`) and, on futures, the previous
 * diff's last id (`pu`), which the next diff must continue.
 */
export interface DepthDiff {
  firstUpdateId: number;
  finalUpdateId: number;
  previousFinalUpdateId?: number | undefined;
  time: number;
  bids: readonly Level[];
  asks: readonly Level[];
}

/** A REST depth snapshot: the book as of `lastUpdateId`. */
export interface DepthSnapshot {
  lastUpdateId: number;
  time: number;
  bids: readonly Level[];
  asks: readonly Level[];
}

/**
 * One side of the book in two preallocated arrays sorted from the touch outwards: a change costs a binary
 * search and a shift, and never allocates. Beyond `capacity` levels the one farthest from the touch goes.
 */
export class BookSide {
  readonly #prices: Float64Array;
  readonly #sizes: Float64Array;
  #count = 0;
  /** Levels dropped at capacity. */
  dropped = 0;

  constructor(
    readonly capacity: number,
    /** Bids are best when highest. */
    readonly highestFirst: boolean,
  ) {
    this.#prices = new Float64Array(capacity);
    this.#sizes = new Float64Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  /** Where `price` is or would go: the first index whose level is not better than it. */
  #indexOf(price: number): number {
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const level = this.#prices[middle]!;
      if (this.highestFirst ? level > price : level < price) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  set(price: number, size: number): void {
    const index = this.#indexOf(price);
    const present = index < this.#count && this.#prices[index] === price;
    if (size === 0) {
      if (!present) return;
      this.#prices.copyWithin(index, index + 1, this.#count);
      this.#sizes.copyWithin(index, index + 1, this.#count);
      this.#count--;
      return;
    }
    if (present) {
      this.#sizes[index] = size;
      return;
    }
    if (index >= this.capacity) {
      this.dropped++;
      return;
    }
    if (this.#count === this.capacity) {
      this.#count--; // the farthest level makes room
      this.dropped++;
    }
    this.#prices.copyWithin(index + 1, index, this.#count);
    this.#sizes.copyWithin(index + 1, index, this.#count);
    this.#prices[index] = price;
    this.#sizes[index] = size;
    this.#count++;
  }

  clear(): void {
    this.#count = 0;
  }

  price(index: number): number {
    return index < this.#count ? this.#prices[index]! : NaN;
  }

  size(index: number): number {
    return index < this.#count ? this.#sizes[index]! : 0;
  }

  /** Total size of the `levels` levels nearest the touch. */
  depth(levels: number): number {
    let total = 0;
    for (let index = 0; index < Math.min(levels, this.#count); index++) total += this.#sizes[index]!;
    return total;
  }

  /** The storage, for tests that check it is never reallocated. */
  storage(): Float64Array {
    return this.#prices;
  }
}

/** What the strategy reads of a book after each update. */
export interface BookSnapshot {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  mid: number;
  spreadBps: number;
  /** (bidSize − askSize) / (bidSize + askSize) at the touch. */
  imbalance: number;
  bidDepth: number;
  askDepth: number;
  /** The last update id applied. */
  sequence: number;
  time: number;
}

export type DiffOutcome = 'applied' | 'stale' | 'gap' | 'awaiting-snapshot' | 'invalid' | 'crossed';

const validLevels = (levels: readonly Level[]) =>
  levels.every(([price, size]) => Number.isFinite(price) && price > 0 && Number.isFinite(size) && size >= 0);

/**
 * An L2 book kept from a snapshot and the diffs after it, with Binance's sequence rules: a diff wholly
 * before the snapshot is stale; the first one applied must span the snapshot's next id; each later one must
 * start right after the previous (spot: `U` = last `u` + 1; futures: `pu` = last `u`). A gap, a diff with a
 * bad level or one that leaves the book crossed stops the book (`awaiting-snapshot`) until a new snapshot:
 * it never goes on with a silently wrong book. Each outcome is counted.
 */
export class OrderBook {
  readonly bids: BookSide;
  readonly asks: BookSide;
  #synced = false;
  #first = false;
  #lastUpdateId = 0;
  #time = 0;
  readonly counts: Record<DiffOutcome, number> = {
    applied: 0,
    stale: 0,
    gap: 0,
    'awaiting-snapshot': 0,
    invalid: 0,
    crossed: 0,
  };

  constructor(capacity = 1_000) {
    this.bids = new BookSide(capacity, true);
    this.asks = new BookSide(capacity, false);
  }

  get synced(): boolean {
    return this.#synced;
  }

  get lastUpdateId(): number {
    return this.#lastUpdateId;
  }

  applySnapshot(snapshot: DepthSnapshot): boolean {
    this.bids.clear();
    this.asks.clear();
    this.#synced = false;
    if (!validLevels(snapshot.bids) || !validLevels(snapshot.asks)) return false;
    for (const [price, size] of snapshot.bids) this.bids.set(price, size);
    for (const [price, size] of snapshot.asks) this.asks.set(price, size);
    this.#lastUpdateId = snapshot.lastUpdateId;
    this.#time = snapshot.time;
    this.#synced = true;
    this.#first = true;
    return true;
  }

  applyDiff(diff: DepthDiff): DiffOutcome {
    const outcome = this.#apply(diff);
    this.counts[outcome]++;
    return outcome;
  }

  #apply(diff: DepthDiff): DiffOutcome {
    if (!this.#synced) return 'awaiting-snapshot';
    if (diff.finalUpdateId <= this.#lastUpdateId) return 'stale';
    const next = this.#lastUpdateId + 1;
    const continues = this.#first
      ? diff.firstUpdateId <= next && next <= diff.finalUpdateId
      : diff.previousFinalUpdateId !== undefined
        ? diff.previousFinalUpdateId === this.#lastUpdateId
        : diff.firstUpdateId === next;
    if (!continues) return this.#stop('gap');
    if (!validLevels(diff.bids) || !validLevels(diff.asks)) return this.#stop('invalid');
    for (const [price, size] of diff.bids) this.bids.set(price, size);
    for (const [price, size] of diff.asks) this.asks.set(price, size);
    this.#lastUpdateId = diff.finalUpdateId;
    this.#time = diff.time;
    this.#first = false;
    if (this.bids.count > 0 && this.asks.count > 0 && this.bids.price(0) >= this.asks.price(0))
      return this.#stop('crossed');
    return 'applied';
  }

  #stop(outcome: 'gap' | 'invalid' | 'crossed'): DiffOutcome {
    this.#synced = false;
    return outcome;
  }

  /** The touch, mid, spread, imbalance and the depth of `levels` levels into `into`; false unless two-sided. */
  read(into: BookSnapshot, levels = 10): boolean {
    if (!this.#synced || this.bids.count === 0 || this.asks.count === 0) return false;
    into.bid = this.bids.price(0);
    into.ask = this.asks.price(0);
    into.bidSize = this.bids.size(0);
    into.askSize = this.asks.size(0);
    into.mid = (into.bid + into.ask) / 2;
    into.spreadBps = ((into.ask - into.bid) / into.mid) * 10_000;
    into.imbalance = (into.bidSize - into.askSize) / (into.bidSize + into.askSize);
    into.bidDepth = this.bids.depth(levels);
    into.askDepth = this.asks.depth(levels);
    into.sequence = this.#lastUpdateId;
    into.time = this.#time;
    return true;
  }
}
