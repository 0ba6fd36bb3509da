import { z } from 'zod';
import type { MarketKind, Venue } from '../../../domain/venues';

/**
 * The scanner's 8 price sources and its 12 spread directions, as fixed tables.
 *
 * Source ids follow seed 004's price-store regions: venue by venue in the order binance, bybit, mexc,
 * okx, spot before perp (binance-spot 0, binance-perp 1, …, okx-perp 7). Direction ids follow seed 004's
 * direction table: spot venue in the order okx, mexc, bybit, binance, and for each the perp venue in that
 * same order, skipping the spot venue itself (0 `okx-spot>mexc-perp`, 1 `okx-spot>bybit-perp`, …,
 * 11 `binance-spot>bybit-perp`). Both orders are part of the contract: ids index flat arrays in the
 * spread engine and appear in exported tracking files, so they never change.
 */

export const SCANNER_VENUES = ['binance', 'bybit', 'mexc', 'okx'] as const satisfies readonly Venue[];
export type ScannerVenue = (typeof SCANNER_VENUES)[number];

const MARKETS = ['spot', 'perp'] as const satisfies readonly MarketKind[];

export const SourceNameSchema = z.enum([
  'binance-spot',
  'binance-perp',
  'bybit-spot',
  'bybit-perp',
  'mexc-spot',
  'mexc-perp',
  'okx-spot',
  'okx-perp',
]);
/** `binance-spot`, `okx-perp`, …: a source by name, listed in source id order. */
export type SourceName = z.infer<typeof SourceNameSchema>;

export interface Source {
  /** 0..7, fixed (see above). */
  id: number;
  name: SourceName;
  venue: ScannerVenue;
  market: MarketKind;
}

export const SOURCES: readonly Source[] = SCANNER_VENUES.flatMap((venue) =>
  MARKETS.map((market) => ({ venue, market, name: `${venue}-${market}` as const })),
).map((s, id) => Object.freeze({ id, ...s }));

export const SOURCE_COUNT = SOURCES.length;

const byName = new Map(SOURCES.map((s) => [s.name, s]));

/** The source of a name (every `SourceName` has one). */
export function sourceOf(name: SourceName): Source {
  const s = byName.get(name);
  if (!s) throw new RangeError(`unknown scanner source ${JSON.stringify(name)}`);
  return s;
}

export interface Direction {
  /** 0..11, fixed (see above). */
  id: number;
  /** `binance-spot>bybit-perp`. */
  name: string;
  spot: Source;
  perp: Source;
}

/** Seed 004's venue order for directions. */
const DIRECTION_VENUE_ORDER: readonly ScannerVenue[] = ['okx', 'mexc', 'bybit', 'binance'];

export const DIRECTIONS: readonly Direction[] = DIRECTION_VENUE_ORDER.flatMap((x) =>
  DIRECTION_VENUE_ORDER.filter((y) => y !== x).map((y) => ({
    spot: sourceOf(`${x}-spot`),
    perp: sourceOf(`${y}-perp`),
  })),
).map(({ spot, perp }, id) => Object.freeze({ id, name: `${spot.name}>${perp.name}`, spot, perp }));

export const DIRECTION_COUNT = DIRECTIONS.length;

const directionByName = new Map(DIRECTIONS.map((d) => [d.name, d]));

/** The direction of a name such as `okx-spot>mexc-perp`, or undefined. */
export function directionNamed(name: string): Direction | undefined {
  return directionByName.get(name);
}
