import type { DirectionPairs } from './universe';

/**
 * What changed between two discovery results, by name: symbol ids are indexes into each result's own
 * sorted symbol list, so one new symbol shifts the ids after it; the diff never compares ids across
 * results. The running engine applies it (subscribe the added pairs, drop the delisted ones) and takes
 * the new result's ids.
 */

/** The part of a discovery result the diff reads: its symbols and (screened) directions. */
export interface DiffableResult {
  symbols: readonly string[];
  directions: readonly DirectionPairs[];
}

export interface DirectionPair {
  symbol: string;
  direction: string;
  directionId: number;
}

export interface SnapshotDiff {
  /** Pairs in the next result only, by direction id then symbol. */
  added: DirectionPair[];
  /** Pairs in the previous result only, by direction id then symbol. */
  delisted: DirectionPair[];
  /** Symbols in the next result only, sorted. */
  addedSymbols: string[];
  /** Symbols in the previous result only, sorted. */
  removedSymbols: string[];
  /** True when some symbol kept in both results has another id in the next one. */
  idsChanged: boolean;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function pairs(result: DiffableResult): Map<string, DirectionPair> {
  const out = new Map<string, DirectionPair>();
  for (const d of result.directions)
    for (const id of d.symbolIds) {
      const symbol = result.symbols[id];
      if (symbol === undefined) throw new RangeError(`direction ${d.name} names unknown symbol id ${id}`);
      out.set(`${d.id}\u0000${symbol}`, { symbol, direction: d.name, directionId: d.id });
    }
  return out;
}

const byPair = (a: DirectionPair, b: DirectionPair) =>
  a.directionId - b.directionId || byText(a.symbol, b.symbol);

/** The diff from `previous` to `next` (an empty previous result: everything is added). */
export function diffSnapshots(previous: DiffableResult, next: DiffableResult): SnapshotDiff {
  const before = pairs(previous);
  const after = pairs(next);
  const beforeSymbols = new Set(previous.symbols);
  const afterSymbols = new Set(next.symbols);
  const nextIds = new Map(next.symbols.map((s, id) => [s, id]));
  return {
    added: [...after]
      .filter(([k]) => !before.has(k))
      .map(([, p]) => p)
      .sort(byPair),
    delisted: [...before]
      .filter(([k]) => !after.has(k))
      .map(([, p]) => p)
      .sort(byPair),
    addedSymbols: next.symbols.filter((s) => !beforeSymbols.has(s)).sort(byText),
    removedSymbols: previous.symbols.filter((s) => !afterSymbols.has(s)).sort(byText),
    idsChanged: previous.symbols.some((s, id) => nextIds.has(s) && nextIds.get(s) !== id),
  };
}

/** An empty result, the "previous" of a first discovery. */
export const EMPTY_RESULT: DiffableResult = { symbols: [], directions: [] };
