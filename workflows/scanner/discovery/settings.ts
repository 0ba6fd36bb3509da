import { z } from 'zod';
import { compare } from '../../../domain/decimal';
import { CanonicalSymbolSchema, splitCanonical } from '../../../domain/symbols';
import { DecimalParamSchema } from '../../../domain/trading';
import { SOURCE_COUNT, SourceNameSchema } from './sources';

/** One denylist entry: a symbol on every source, or a symbol on one source only (pairs using that leg). */
export const DenyEntrySchema = z.object({
  symbol: CanonicalSymbolSchema.refine((s) => splitCanonical(s) !== undefined, 'must be quoted in USDT'),
  source: SourceNameSchema.optional(),
  /** Why, for the report (e.g. "ticker collision: two different coins"). */
  note: z.string().max(200).optional(),
});
export type DenyEntry = z.infer<typeof DenyEntrySchema>;

/** Pair discovery's settings; every field has a default, so `{}` is a valid input. */
export const DiscoverySettingsSchema = z.object({
  /** Sources that must answer for a result to be used (seed 004: 6 of 8). */
  quorum: z.number().int().min(1).max(SOURCE_COUNT).default(6),
  /**
   * Plausibility bound of the reference-price check, a decimal string above 1: a pair whose legs' mids
   * differ by more than this factor (larger mid / smaller mid) is held out. 1.5 lets every real spread
   * through while catching ×10 / ×1000 unit factors and most ticker collisions.
   */
  maxPriceRatio: DecimalParamSchema.refine((v) => !/^\d+(\.\d+)?$/.test(v) || compare(v, '1') > 0, {
    message: 'must be above 1 (the larger mid over the smaller one)',
  }).default('1.5'),
  denylist: z.array(DenyEntrySchema).max(10_000).default([]),
});
export type DiscoverySettings = z.output<typeof DiscoverySettingsSchema>;
export type DiscoverySettingsInput = z.input<typeof DiscoverySettingsSchema>;

/** A setting that makes no sense; the message names every bad key. */
export class DiscoverySettingsError extends Error {
  override readonly name = 'DiscoverySettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid discovery settings: ${problems.join('; ')}`);
  }
}

/** Parses settings or throws a `DiscoverySettingsError` naming every bad key. */
export function parseDiscoverySettings(input: unknown): DiscoverySettings {
  const parsed = DiscoverySettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new DiscoverySettingsError(
    parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
  );
}
