import { screenPairs } from './price-agreement';
import type { ReferenceMids, ScreenedPairs } from './price-agreement';
import type { DiscoverySettings } from './settings';
import { buildUniverse } from './universe';
import type { DiscoveryUniverse, QuorumRefusal, SourceOutcomes } from './universe';

/** A discovery run's result: the universe, and the pairs that passed the denylist and price check. */
export interface DiscoveryResult {
  universe: DiscoveryUniverse;
  screened: ScreenedPairs;
}

/**
 * One discovery pass over every source's outcome (settings already parsed by `parseDiscoverySettings`):
 * a result, or a refusal when the quorum is not met (the caller keeps the previous snapshot in force).
 */
export function discoverPairs(
  outcomes: SourceOutcomes,
  settings: DiscoverySettings,
  mids?: ReferenceMids,
): { ok: true; result: DiscoveryResult } | { ok: false; refusal: QuorumRefusal } {
  const built = buildUniverse(outcomes, settings);
  if (!built.ok) return built;
  return {
    ok: true,
    result: { universe: built.universe, screened: screenPairs(built.universe, settings, mids) },
  };
}
