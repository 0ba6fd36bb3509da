import { compare, divide, isDecimal, multiply } from '../../../domain/decimal';
import type { DenyEntry, DiscoverySettings } from './settings';
import { DIRECTIONS } from './sources';
import type { SourceName } from './sources';
import type { DirectionPairs, DiscoveryUniverse } from './universe';

/**
 * The last screen before a pair enters the scanner's list. The same canonical name on two venues can be
 * two different coins (a ticker collision) or the same coin counted in different units (×10, ×1000
 * contracts); either way the spread between them is meaningless. So a pair (symbol on a direction) is
 * held out when its two legs' reference mids differ by more than `maxPriceRatio` (larger mid / smaller
 * mid), and an operator's denylist forces pairs out whatever the prices say.
 *
 * Mids are decimal strings (as every price crossing a workflow boundary), keyed by source then canonical
 * symbol; the comparison is exact decimal arithmetic. A pair whose leg has no usable mid (absent, not a
 * plain decimal, or zero) is kept and listed as `unchecked`: stream validation owns missing quotes.
 */

/** Reference mid per source and canonical symbol, e.g. `{ 'okx-spot': { 'BTC-USDT': '64000.5' } }`. */
export type ReferenceMids = Partial<Record<SourceName, Readonly<Record<string, string>>>>;

export interface PairRef {
  symbol: string;
  symbolId: number;
  direction: string;
  directionId: number;
}

export type HeldOutPair = PairRef &
  (
    | { reason: 'denylisted'; entry: DenyEntry }
    | {
        reason: 'price_disagreement';
        spotMid: string;
        perpMid: string;
        /** Larger mid over smaller, rounded to at most 6 places. */
        ratio: string;
      }
  );

export interface ScreenedPairs {
  /** `not_run` when no mids were given (offline discovery): only the denylist applied. */
  priceCheck: 'run' | 'not_run';
  /** The 12 directions in id order, held-out pairs removed. */
  directions: DirectionPairs[];
  /** By direction id, then symbol id. */
  heldOut: HeldOutPair[];
  /** Pairs kept without a price check because a leg had no usable mid; by direction id, then symbol id. */
  unchecked: PairRef[];
}

function usableMid(mid: string | undefined): string | undefined {
  return mid !== undefined && isDecimal(mid, { unsigned: true }) && compare(mid, '0') > 0 ? mid : undefined;
}

/** The ratio of two positive mids (larger over smaller) and whether it exceeds `bound`, exactly. */
export function priceDisagreement(a: string, b: string, bound: string): { ratio: string; exceeds: boolean } {
  const [hi, lo] = compare(a, b) >= 0 ? [a, b] : [b, a];
  return { ratio: divide(hi, lo, 6, 'half-up'), exceeds: compare(hi, multiply(lo, bound)) > 0 };
}

/** Applies the denylist, then (when mids are given) the price-agreement check, to every direction's pairs. */
export function screenPairs(
  universe: Pick<DiscoveryUniverse, 'symbols' | 'directions'>,
  settings: Pick<DiscoverySettings, 'maxPriceRatio' | 'denylist'>,
  mids?: ReferenceMids,
): ScreenedPairs {
  const heldOut: HeldOutPair[] = [];
  const unchecked: PairRef[] = [];
  const directions = universe.directions.map((pairs) => {
    const d = DIRECTIONS[pairs.id];
    if (!d || d.name !== pairs.name) throw new RangeError(`unknown direction ${pairs.id} ${pairs.name}`);
    const symbolIds = pairs.symbolIds.filter((symbolId) => {
      const symbol = universe.symbols[symbolId] ?? '';
      const ref: PairRef = { symbol, symbolId, direction: d.name, directionId: d.id };
      const entry = settings.denylist.find(
        (e) =>
          e.symbol === symbol &&
          (e.source === undefined || e.source === d.spot.name || e.source === d.perp.name),
      );
      if (entry) {
        heldOut.push({ ...ref, reason: 'denylisted', entry });
        return false;
      }
      if (!mids) return true;
      const spotMid = usableMid(mids[d.spot.name]?.[symbol]);
      const perpMid = usableMid(mids[d.perp.name]?.[symbol]);
      if (spotMid === undefined || perpMid === undefined) {
        unchecked.push(ref);
        return true;
      }
      const { ratio, exceeds } = priceDisagreement(spotMid, perpMid, settings.maxPriceRatio);
      if (!exceeds) return true;
      heldOut.push({ ...ref, reason: 'price_disagreement', spotMid, perpMid, ratio });
      return false;
    });
    return { id: pairs.id, name: pairs.name, symbolIds };
  });
  return { priceCheck: mids ? 'run' : 'not_run', directions, heldOut, unchecked };
}
