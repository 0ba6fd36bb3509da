import { z } from 'zod';

/**
 * When a leg's latest quote may be used, per source. Three separate questions, because venues differ in
 * how they publish (most book-ticker channels send only on change, so a quiet symbol is not a dead one):
 *
 * - `maxLagMs`: the quote was already old when it arrived — `receivedAt − exchangeTs` (our receive clock
 *   minus the venue's own event time) above this marks it stale until a fresher quote replaces it. It
 *   absorbs clock skew too, so keep it above the venue's usual skew; a negative lag (venue clock ahead)
 *   counts as fresh.
 * - `feedSilenceMs`: the feed is alive while any message of any symbol of that source (or a heartbeat
 *   passed to the engine) arrived within this window; past it, every leg of the source is stale.
 * - `symbolSilenceMs`: `null` for a venue that sends on change, where a symbol's silence on a live feed
 *   only means its book did not move; a number for a venue that republishes periodically, where a symbol
 *   silent that long is stale even on a live feed.
 */
export const SourceStalenessSchema = z.object({
  maxLagMs: z.number().positive(),
  feedSilenceMs: z.number().positive(),
  symbolSilenceMs: z.number().positive().nullable(),
});
export type SourceStaleness = z.infer<typeof SourceStalenessSchema>;

/**
 * Keel's defaults (seed 004 gives no staleness numbers): a quote arriving more than 1 s behind the venue's
 * clock is stale; a feed silent for 10 s (the seed's idle timeout in stream validation) is down; a stream
 * that sends on change (Binance bookTicker, OKX bbo-tbt, MEXC, the simulator) has no symbol silence rule.
 */
export const DEFAULT_SOURCE_STALENESS: SourceStaleness = {
  maxLagMs: 1_000,
  feedSilenceMs: 10_000,
  symbolSilenceMs: null,
};

/**
 * The rule for a source whose stream re-sends an unchanged quote every `republishMs` (the connector's
 * `quoteRepublishMs`; undefined: sends on change): a symbol that missed two re-sends in a row, with the
 * usual lag on top, is stale even while the rest of its feed talks.
 */
export function stalenessForHabit(republishMs: number | undefined): SourceStaleness {
  if (republishMs === undefined) return { ...DEFAULT_SOURCE_STALENESS };
  return {
    ...DEFAULT_SOURCE_STALENESS,
    symbolSilenceMs: 2 * republishMs + DEFAULT_SOURCE_STALENESS.maxLagMs,
  };
}

export const LEG_FRESH = 0;
export const LEG_NO_QUOTE = 1;
export const LEG_LAGGING = 2;
export const LEG_FEED_SILENT = 3;
export const LEG_SYMBOL_SILENT = 4;
export type LegState =
  | typeof LEG_FRESH
  | typeof LEG_NO_QUOTE
  | typeof LEG_LAGGING
  | typeof LEG_FEED_SILENT
  | typeof LEG_SYMBOL_SILENT;

/**
 * Until when (local time, ms) a quote stays usable on its own merits: never (`-Infinity`) when it arrived
 * later than `maxLagMs` behind the venue's clock, else `symbolSilenceMs` after it arrived (`Infinity` on an
 * on-change venue). Computed once when the quote is stored.
 */
export function quoteFreshUntil(
  exchangeTs: number,
  receivedAt: number,
  maxLagMs: number,
  symbolSilenceMs: number,
): number {
  return receivedAt - exchangeTs > maxLagMs ? -Infinity : receivedAt + symbolSilenceMs;
}

/** Until when (local time, ms) a source's feed counts as alive after its last message. */
export function feedAliveUntil(lastMessageAt: number, feedSilenceMs: number): number {
  return lastMessageAt + feedSilenceMs;
}

/**
 * The state of one leg at local time `now`, from plain numbers. The engine judges the same rule from the two
 * precomputed bounds above: a leg with a quote is fresh at `now` iff `now ≤ quoteFreshUntil(…)` and
 * `now ≤ feedAliveUntil(…)`. `receivedAt` 0 means the leg never had a quote; `symbolSilenceMs` is `Infinity` for an
 * on-change venue. All times in milliseconds.
 */
export function legState(
  exchangeTs: number,
  receivedAt: number,
  lastFeedMessageAt: number,
  now: number,
  maxLagMs: number,
  feedSilenceMs: number,
  symbolSilenceMs: number,
): LegState {
  if (receivedAt === 0) return LEG_NO_QUOTE;
  if (receivedAt - exchangeTs > maxLagMs) return LEG_LAGGING;
  if (now - lastFeedMessageAt > feedSilenceMs) return LEG_FEED_SILENT;
  if (now - receivedAt > symbolSilenceMs) return LEG_SYMBOL_SILENT;
  return LEG_FRESH;
}
