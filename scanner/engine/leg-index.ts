import type { EngineTopology } from './topology';

/**
 * For every leg (source, symbol), the directions it takes part in, as one compressed table: leg
 * `source * symbolCount + symbol` owns `directionOf[start[leg] .. start[leg + 1])`. Built once per
 * topology, read on every quote: two int32 reads find a leg's directions, with no key and no allocation.
 */
export interface LegIndex {
  readonly symbolCount: number;
  readonly sourceCount: number;
  readonly directionCount: number;
  /** Length legs + 1: where each leg's slice of `directionOf` starts. */
  readonly start: Int32Array;
  /** Direction ids, grouped by leg. */
  readonly directionOf: Int32Array;
  /** Per direction id: the source bought (spot) and the source sold (perp). */
  readonly spotSource: Int32Array;
  readonly perpSource: Int32Array;
}

export function buildLegIndex(topology: EngineTopology): LegIndex {
  const { symbolCount, sourceCount, directions, pairs } = topology;
  const legs = sourceCount * symbolCount;
  const spotSource = new Int32Array(directions.length);
  const perpSource = new Int32Array(directions.length);
  for (const direction of directions) {
    spotSource[direction.id] = direction.spotSource;
    perpSource[direction.id] = direction.perpSource;
  }
  // Count, prefix-sum, fill: a counting sort of (leg, direction) entries, directions ascending per leg.
  const start = new Int32Array(legs + 1);
  pairs.forEach((symbols, direction) => {
    for (const symbol of symbols) {
      start[spotSource[direction]! * symbolCount + symbol + 1]!++;
      start[perpSource[direction]! * symbolCount + symbol + 1]!++;
    }
  });
  for (let leg = 0; leg < legs; leg++) start[leg + 1]! += start[leg]!;
  const directionOf = new Int32Array(start[legs]!);
  const cursor = start.slice(0, legs);
  pairs.forEach((symbols, direction) => {
    for (const symbol of symbols) {
      directionOf[cursor[spotSource[direction]! * symbolCount + symbol]!++] = direction;
      directionOf[cursor[perpSource[direction]! * symbolCount + symbol]!++] = direction;
    }
  });
  return {
    symbolCount,
    sourceCount,
    directionCount: directions.length,
    start,
    directionOf,
    spotSource,
    perpSource,
  };
}
