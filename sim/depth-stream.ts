import type { BookDepth } from './venue-market';

/** How deep the simulator's depth streams follow a book: what Binance's REST snapshot gives by default. */
export const DEPTH_STREAM_LEVELS = 100;

/** A depth diff as a venue streams it: levels whose size changed (size '0': gone), spanning ids U..u. */
export interface DepthDiffView {
  symbol: string;
  firstUpdateId: number;
  finalUpdateId: number;
  ts: number;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

type Levels = Map<string, string>;

const levelsOf = (side: Array<[string, string]>): Levels => new Map(side);

function changes(before: Levels, after: Levels): Array<[string, string]> {
  const changed: Array<[string, string]> = [];
  for (const [price, size] of after) if (before.get(price) !== size) changed.push([price, size]);
  for (const price of before.keys()) if (!after.has(price)) changed.push([price, '0']);
  return changed;
}

/**
 * One followed book's diff stream: what changed in its top DEPTH_STREAM_LEVELS levels since the last diff
 * sent, numbered by the book's own update sequence, so a REST snapshot (`lastUpdateId`) and the stream
 * line up as on Binance. A book change that leaves those levels as they were sends nothing; the next diff
 * then spans its id.
 */
export class DepthTracker {
  #bids: Levels;
  #asks: Levels;
  #lastSent: number;
  /** Followers of this book; the tracker goes when none is left. */
  followers = 1;
  /** A scripted `gap` fault: the next diff is lost on the way, as a dropped packet would lose it. */
  dropNext = false;

  constructor(start: BookDepth) {
    this.#bids = levelsOf(start.bids);
    this.#asks = levelsOf(start.asks);
    this.#lastSent = start.lastUpdateId;
  }

  /** The diff from the last one sent to `now`, or undefined when the followed levels did not change. */
  next(now: BookDepth): DepthDiffView | undefined {
    const bids = levelsOf(now.bids);
    const asks = levelsOf(now.asks);
    const diff: DepthDiffView = {
      symbol: now.symbol,
      firstUpdateId: this.#lastSent + 1,
      finalUpdateId: now.lastUpdateId,
      ts: now.ts,
      bids: changes(this.#bids, bids),
      asks: changes(this.#asks, asks),
    };
    this.#bids = bids;
    this.#asks = asks;
    if (diff.bids.length === 0 && diff.asks.length === 0) return undefined;
    this.#lastSent = now.lastUpdateId;
    if (this.dropNext) {
      this.dropNext = false;
      return undefined;
    }
    return diff;
  }
}
