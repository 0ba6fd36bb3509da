import { NumericRing } from './ring';

/** A book snapshot as the feature calculator keeps it: the touch and the depth of the top levels. */
export const SNAPSHOT_FIELDS = ['time', 'bid', 'ask', 'bidSize', 'askSize', 'bidDepth', 'askDepth'] as const;
export type SnapshotField = (typeof SNAPSHOT_FIELDS)[number];
export type SnapshotRecord = Record<SnapshotField, number>;

/** A trade: `side` +1 when the buyer took liquidity (an aggressive buy), −1 when the seller did. */
export const TRADE_FIELDS = ['time', 'price', 'quantity', 'side'] as const;
export type TradeField = (typeof TRADE_FIELDS)[number];
export type TradeRecord = Record<TradeField, number>;

export const tradeRing = (capacity: number) => new NumericRing(TRADE_FIELDS, capacity);

/** Seed 003's feature vector, each over its own window (ms) ending at the latest snapshot. */
export interface Features {
  /** Standard deviation (n − 1) of the log returns of the mid between consecutive snapshots in the window. */
  volatility: number;
  /** Relative change of the mid over the window: last / first − 1. */
  momentum: number;
  /** Order-book imbalance at the touch: (bidSize − askSize) / (bidSize + askSize), in [−1, 1]. */
  imbalance: number;
  /** (ask − bid) / mid × 10,000. */
  spreadBps: number;
  /** Depth of the top bid levels over that of the top ask levels. */
  depthRatio: number;
  /** (aggressive buy volume − aggressive sell volume) / their sum over the window, in [−1, 1]; 0 without trades. */
  tradeFlowImbalance: number;
  /** Snapshots in the volatility/momentum window. */
  samples: number;
}

export interface FeatureWindows {
  /** For volatility and momentum (seed default: feature window 1,000 ms). */
  priceMs: number;
  /** For trade-flow imbalance. */
  flowMs: number;
}

export const emptyFeatures = (): Features => ({
  volatility: 0,
  momentum: 0,
  imbalance: 0,
  spreadBps: 0,
  depthRatio: 1,
  tradeFlowImbalance: 0,
  samples: 0,
});

/** Exact sums are recomputed from the kept records this often (in pushes), so rounding never accumulates. */
const RESUM_EVERY = 4_096;

/**
 * Seed 003's features kept incrementally: each snapshot or trade adds itself to running sums and the ones
 * leaving a window take themselves out, so an update costs the same whatever the window holds; nothing is
 * allocated per update. A window is bounded by what the rings keep: size them for the window at the feed's
 * rate (`samples` tells how many snapshots a window held).
 */
export class FeatureCalculator {
  readonly snapshots: NumericRing<SnapshotField | 'logReturn'>;
  readonly trades: NumericRing<TradeField>;
  readonly #time: Float64Array;
  readonly #bid: Float64Array;
  readonly #ask: Float64Array;
  readonly #logReturn: Float64Array;
  readonly #tradeTime: Float64Array;
  readonly #tradeQuantity: Float64Array;
  readonly #tradeSide: Float64Array;
  /** Sequence of the oldest snapshot in the price window; returns counted are those after it. */
  #priceStart = 0;
  #returns = 0;
  #sum = 0;
  #squares = 0;
  #tradeStart = 0;
  #buys = 0;
  #sells = 0;
  #sinceResum = 0;
  readonly #snapshot: Record<SnapshotField | 'logReturn', number> = {
    time: 0,
    bid: 0,
    ask: 0,
    bidSize: 0,
    askSize: 0,
    bidDepth: 0,
    askDepth: 0,
    logReturn: 0,
  };

  constructor(
    readonly windows: FeatureWindows,
    capacity: { snapshots: number; trades: number },
  ) {
    this.snapshots = new NumericRing([...SNAPSHOT_FIELDS, 'logReturn'], capacity.snapshots);
    this.trades = tradeRing(capacity.trades);
    this.#time = this.snapshots.column('time');
    this.#bid = this.snapshots.column('bid');
    this.#ask = this.snapshots.column('ask');
    this.#logReturn = this.snapshots.column('logReturn');
    this.#tradeTime = this.trades.column('time');
    this.#tradeQuantity = this.trades.column('quantity');
    this.#tradeSide = this.trades.column('side');
  }

  #mid(sequence: number): number {
    const slot = sequence % this.snapshots.capacity;
    return (this.#bid[slot]! + this.#ask[slot]!) / 2;
  }

  addSnapshot(snapshot: SnapshotRecord): void {
    const sequence = this.snapshots.pushed;
    // The oldest record is about to be overwritten: it leaves the window first.
    if (sequence - this.#priceStart >= this.snapshots.capacity) this.#advancePrice();
    const previous = sequence > 0 ? this.#mid(sequence - 1) : 0;
    const mid = (snapshot.bid + snapshot.ask) / 2;
    const record = this.#snapshot;
    for (const field of SNAPSHOT_FIELDS) record[field] = snapshot[field];
    record.logReturn = previous > 0 && mid > 0 ? Math.log(mid / previous) : 0;
    this.snapshots.push(record);
    if (sequence > this.#priceStart) this.#count(record.logReturn, 1);
    const from = snapshot.time - this.windows.priceMs;
    while (this.#priceStart < sequence && this.#time[this.#priceStart % this.snapshots.capacity]! < from)
      this.#advancePrice();
    const tradesFrom = snapshot.time - this.windows.flowMs;
    while (
      this.#tradeStart < this.trades.pushed &&
      this.#tradeTime[this.#tradeStart % this.trades.capacity]! < tradesFrom
    )
      this.#advanceTrades();
    if (++this.#sinceResum >= RESUM_EVERY) this.#resum();
  }

  addTrade(trade: TradeRecord): void {
    if (this.trades.pushed - this.#tradeStart >= this.trades.capacity) this.#advanceTrades();
    this.trades.push(trade);
    if (trade.side > 0) this.#buys += trade.quantity;
    else this.#sells += trade.quantity;
  }

  /** The oldest snapshot leaves the price window; the next one's return then links to it, so it goes too. */
  #advancePrice(): void {
    this.#priceStart++;
    if (this.#priceStart < this.snapshots.pushed)
      this.#count(this.#logReturn[this.#priceStart % this.snapshots.capacity]!, -1);
  }

  #advanceTrades(): void {
    const slot = this.#tradeStart % this.trades.capacity;
    if (this.#tradeSide[slot]! > 0) this.#buys -= this.#tradeQuantity[slot]!;
    else this.#sells -= this.#tradeQuantity[slot]!;
    this.#tradeStart++;
    // An empty window sums to exactly 0, not to what subtracting left of rounding (which would read as ±1).
    if (this.#tradeStart === this.trades.pushed) this.#buys = this.#sells = 0;
  }

  #count(logReturn: number, sign: 1 | -1): void {
    this.#returns += sign;
    this.#sum += sign * logReturn;
    this.#squares += sign * logReturn * logReturn;
    if (this.#returns === 0) this.#sum = this.#squares = 0;
  }

  /** The sums again from the records in the windows: bounded rounding, amortized over RESUM_EVERY pushes. */
  #resum(): void {
    this.#sinceResum = 0;
    this.#returns = 0;
    this.#sum = 0;
    this.#squares = 0;
    for (let sequence = this.#priceStart + 1; sequence < this.snapshots.pushed; sequence++)
      this.#count(this.#logReturn[sequence % this.snapshots.capacity]!, 1);
    this.#buys = 0;
    this.#sells = 0;
    for (let sequence = this.#tradeStart; sequence < this.trades.pushed; sequence++) {
      const slot = sequence % this.trades.capacity;
      if (this.#tradeSide[slot]! > 0) this.#buys += this.#tradeQuantity[slot]!;
      else this.#sells += this.#tradeQuantity[slot]!;
    }
  }

  /** The features at the latest snapshot into `into` (reused); false before the first snapshot. */
  compute(into: Features): boolean {
    const last = this.snapshots.pushed - 1;
    if (last < 0) return false;
    const slot = this.snapshots.slotOf(last);
    const bid = this.#bid[slot]!;
    const ask = this.#ask[slot]!;
    const mid = (bid + ask) / 2;
    const bidSize = this.snapshots.column('bidSize')[slot]!;
    const askSize = this.snapshots.column('askSize')[slot]!;
    into.imbalance = bidSize + askSize > 0 ? (bidSize - askSize) / (bidSize + askSize) : 0;
    into.spreadBps = mid > 0 ? ((ask - bid) / mid) * 10_000 : 0;
    const askDepth = this.snapshots.column('askDepth')[slot]!;
    into.depthRatio = askDepth > 0 ? this.snapshots.column('bidDepth')[slot]! / askDepth : 1;
    into.samples = last - this.#priceStart + 1;
    const first = this.#mid(this.#priceStart);
    into.momentum = first > 0 ? mid / first - 1 : 0;
    const n = this.#returns;
    const variance = n > 1 ? (this.#squares - (this.#sum * this.#sum) / n) / (n - 1) : 0;
    into.volatility = Math.sqrt(Math.max(0, variance));
    const flow = this.#buys + this.#sells;
    into.tradeFlowImbalance = flow > 0 ? (this.#buys - this.#sells) / flow : 0;
    return true;
  }
}
