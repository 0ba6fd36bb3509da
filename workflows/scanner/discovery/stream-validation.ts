import { z } from 'zod';
import type { SymbolObservation } from '../../../activities/scanner-discovery';
import { midpoint } from '../../../domain/decimal';
import { isSoundQuote } from '../../../domain/trading';
import { screenPairs } from './price-agreement';
import type { HeldOutPair, PairRef, ScreenedPairs } from './price-agreement';
import type { DiscoverySettings } from './settings';
import { DIRECTIONS, SOURCES, type SourceName } from './sources';
import type { DirectionPairs, DiscoveryUniverse } from './universe';

/**
 * Stream validation (seed 004, stage 4), the pure half: which symbols each source subscribes to, how
 * what its stream showed becomes a verdict per symbol, and how the verdicts screen the pairs. The I/O
 * half (subscribing in batches under the timeouts) is the `validateSourceStreams` activity.
 *
 * A symbol is valid on a source when a quote with bid > 0, ask > 0 and bid ≤ ask arrived; its mid (exact
 * decimal) then feeds the reference-price check. Otherwise it is invalid: `rejected` (the venue refused
 * the subscription), `no_data` (nothing arrived in time) or `invalid_prices` (only unsound quotes). A
 * pair is kept only when both legs are valid. A source whose validation failed altogether (every
 * attempt) proved nothing: its pairs are held out as `no_data`, each leg naming the failure.
 */

const batch = (seed: number) => z.number().int().min(1).max(1_000).default(seed);
const millis = (seed: number) => z.number().int().min(10).max(600_000).default(seed);

/** Stream validation's settings; every field defaulted from seed 004. */
export const StreamValidationSettingsSchema = z
  .strictObject({
    /** Off: no subscription, no mids; the price check does not run (the snapshot says `not_run`). */
    enabled: z.boolean().default(true),
    /** Symbols per subscription batch, per venue (both markets): the venues' own subscription limits. */
    batchSize: z
      .strictObject({ binance: batch(200), okx: batch(100), bybit: batch(50), mexc: batch(30) })
      .prefault({}),
    /** A batch stops collecting this long after it started, whatever is still missing. */
    collectMs: millis(30_000),
    /** …or once this long passed without a symbol getting its first sound quote (counted from the first). */
    idleMs: millis(10_000),
    /** The whole batch, unsubscribing included, at most (at least `collectMs`). */
    batchTimeoutMs: millis(90_000),
  })
  .superRefine((v, ctx) => {
    if (v.batchTimeoutMs < v.collectMs)
      ctx.addIssue({ code: 'custom', path: ['batchTimeoutMs'], message: 'must be at least collectMs' });
  });
export type StreamValidationSettings = z.output<typeof StreamValidationSettingsSchema>;

/** Why stream validation found a leg invalid. */
export type StreamInvalidReason = 'no_data' | 'invalid_prices' | 'rejected';

/** One invalid leg; `detail`: the venue's refusal, or why the source's validation failed. */
export interface InvalidLeg {
  source: SourceName;
  reason: StreamInvalidReason;
  detail?: string;
}

/** A pair stream validation held out: `reason` is its first invalid leg's (spot before perp). */
export type StreamHeldOutPair = PairRef & { reason: StreamInvalidReason; legs: InvalidLeg[] };

/** The snapshot's held-out list: stream validation's, the denylist's and the price check's. */
export type DiscoveryHeldOutPair = HeldOutPair | StreamHeldOutPair;

export type SymbolVerdict =
  { valid: true; mid: string } | { valid: false; reason: StreamInvalidReason; detail?: string };

/** One source's validation: what its stream showed per symbol, or why the activity failed altogether. */
export type SourceStreamOutcome =
  | { status: 'validated'; observed: Readonly<Record<string, SymbolObservation>> }
  | { status: 'failed'; reason: string };
export type StreamOutcomes = Partial<Record<SourceName, SourceStreamOutcome>>;

/** Per source, for the snapshot's report (seed 004's `SourceValidation`). */
export interface SourceValidationSummary {
  source: SourceName;
  status: 'validated' | 'failed' | 'not_needed';
  reason?: string;
  symbols: number;
  valid: number;
  noData: number;
  invalidPrices: number;
  rejected: number;
}

/** The mid of a sound quote (bid > 0, ask > 0, bid ≤ ask; plain decimals), exact; else undefined. */
export function soundMid(bid: string, ask: string): string | undefined {
  return isSoundQuote(bid, ask) ? midpoint(bid, ask) : undefined;
}

/** The verdict on one symbol from what its stream showed (undefined: nothing at all). */
export function classifySymbol(observed: SymbolObservation | undefined): SymbolVerdict {
  if (observed?.rejected !== undefined)
    return { valid: false, reason: 'rejected', detail: observed.rejected };
  if (!observed || observed.quotes === 0 || !observed.top) return { valid: false, reason: 'no_data' };
  const mid = soundMid(...observed.top);
  return mid === undefined ? { valid: false, reason: 'invalid_prices' } : { valid: true, mid };
}

/** Per source, the symbols some direction uses it for, sorted: what it subscribes to. */
export function symbolsToValidate(
  universe: Pick<DiscoveryUniverse, 'symbols' | 'directions'>,
): Partial<Record<SourceName, string[]>> {
  const ids = new Map<SourceName, Set<number>>();
  for (const pairs of universe.directions) {
    const d = DIRECTIONS[pairs.id];
    if (!d) throw new RangeError(`unknown direction ${pairs.id}`);
    for (const source of [d.spot.name, d.perp.name]) {
      const set = ids.get(source) ?? new Set<number>();
      for (const id of pairs.symbolIds) set.add(id);
      ids.set(source, set);
    }
  }
  const out: Partial<Record<SourceName, string[]>> = {};
  for (const s of SOURCES) {
    const set = ids.get(s.name);
    if (set && set.size > 0)
      out[s.name] = [...set].sort((a, b) => a - b).map((id) => universe.symbols[id] ?? '');
  }
  return out;
}

/** Symbols cut into batches of at most `size`, in order. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bad batch size ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every source's verdicts, keyed by symbol; a failed source's symbols are all `no_data` naming why. */
export function verdictsOf(
  wanted: Partial<Record<SourceName, string[]>>,
  outcomes: StreamOutcomes,
): Partial<Record<SourceName, Record<string, SymbolVerdict>>> {
  const out: Partial<Record<SourceName, Record<string, SymbolVerdict>>> = {};
  for (const s of SOURCES) {
    const symbols = wanted[s.name];
    if (!symbols) continue;
    const outcome = outcomes[s.name];
    const verdicts: Record<string, SymbolVerdict> = {};
    for (const symbol of symbols)
      verdicts[symbol] =
        outcome?.status === 'validated'
          ? classifySymbol(outcome.observed[symbol])
          : {
              valid: false,
              reason: 'no_data',
              detail: `validation of ${s.name} failed: ${outcome?.reason ?? 'not run'}`,
            };
    out[s.name] = verdicts;
  }
  return out;
}

/** Counts per source, in source id order. */
export function summarizeValidation(
  wanted: Partial<Record<SourceName, string[]>>,
  outcomes: StreamOutcomes,
  verdicts: Partial<Record<SourceName, Record<string, SymbolVerdict>>>,
): SourceValidationSummary[] {
  return SOURCES.map((s) => {
    const outcome = outcomes[s.name];
    const all = Object.values(verdicts[s.name] ?? {});
    const count = (reason: StreamInvalidReason) => all.filter((v) => !v.valid && v.reason === reason).length;
    return {
      source: s.name,
      status: !wanted[s.name] ? 'not_needed' : outcome?.status === 'validated' ? 'validated' : 'failed',
      ...(outcome?.status === 'failed' ? { reason: outcome.reason } : {}),
      symbols: all.length,
      valid: all.filter((v) => v.valid).length,
      noData: count('no_data'),
      invalidPrices: count('invalid_prices'),
      rejected: count('rejected'),
    };
  });
}

/**
 * Screens the universe's pairs: stream validation first (a pair needs both legs valid), then the
 * denylist and the reference-price check over the valid legs' mids (`screenPairs`). Without
 * `validation` (switched off) only the denylist applies and the price check does not run. Held-out pairs
 * come by direction id, then symbol id.
 */
export function screenValidated(
  universe: Pick<DiscoveryUniverse, 'symbols' | 'directions'>,
  settings: Pick<DiscoverySettings, 'maxPriceRatio' | 'denylist'>,
  verdicts?: Partial<Record<SourceName, Record<string, SymbolVerdict>>>,
): Omit<ScreenedPairs, 'heldOut'> & { heldOut: DiscoveryHeldOutPair[] } {
  if (!verdicts) return screenPairs(universe, settings);
  const mids: Partial<Record<SourceName, Record<string, string>>> = {};
  for (const [source, bySymbol] of Object.entries(verdicts) as [
    SourceName,
    Record<string, SymbolVerdict>,
  ][]) {
    const m: Record<string, string> = {};
    for (const [symbol, v] of Object.entries(bySymbol)) if (v.valid) m[symbol] = v.mid;
    mids[source] = m;
  }
  const streamHeldOut: StreamHeldOutPair[] = [];
  const directions: DirectionPairs[] = universe.directions.map((pairs) => {
    const d = DIRECTIONS[pairs.id];
    if (!d || d.name !== pairs.name) throw new RangeError(`unknown direction ${pairs.id} ${pairs.name}`);
    const symbolIds = pairs.symbolIds.filter((symbolId) => {
      const symbol = universe.symbols[symbolId] ?? '';
      const legs: InvalidLeg[] = [];
      for (const source of [d.spot.name, d.perp.name]) {
        const v = verdicts[source]?.[symbol] ?? { valid: false, reason: 'no_data' };
        if (!v.valid) legs.push({ source, reason: v.reason, ...(v.detail ? { detail: v.detail } : {}) });
      }
      const first = legs[0];
      if (!first) return true;
      streamHeldOut.push({
        symbol,
        symbolId,
        direction: d.name,
        directionId: d.id,
        reason: first.reason,
        legs,
      });
      return false;
    });
    return { id: pairs.id, name: pairs.name, symbolIds };
  });
  const screened = screenPairs({ symbols: universe.symbols, directions }, settings, mids);
  const heldOut: DiscoveryHeldOutPair[] = [...streamHeldOut, ...screened.heldOut].sort(
    (a, b) => a.directionId - b.directionId || a.symbolId - b.symbolId,
  );
  return { ...screened, heldOut };
}
