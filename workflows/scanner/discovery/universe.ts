import type { Instrument } from '../../../connectors/exchange-connector';
import { splitCanonical } from '../../../domain/symbols';
import type { DiscoverySettings } from './settings';
import { DIRECTIONS, SOURCES } from './sources';
import type { SourceName } from './sources';

/**
 * Pair discovery's core: per-source instrument lists in, the discovery universe out. Pure and
 * deterministic (it runs inside the discovery workflow): the same answers give the same result, byte for
 * byte, whatever order the instruments came in.
 */

/** What one source gave: its instruments (as the connector parsed them), or why it gave none. */
export type SourceOutcome =
  { status: 'answered'; instruments: readonly Instrument[] } | { status: 'failed'; reason: string };

/** Every source's outcome; a source left out counts as failed. */
export type SourceOutcomes = Partial<Record<SourceName, SourceOutcome>>;

/** One symbol on one source: the (source, venue symbol) ↔ symbol id mapping and the order path's rules. */
export interface Listing {
  symbolId: number;
  source: SourceName;
  venueSymbol: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  maxQuantity?: string;
  minNotional: string;
}

/** An instrument a source listed as trading that discovery did not take, and why. */
export interface RejectedInstrument {
  source: SourceName;
  venueSymbol: string;
  symbol: string;
  reason: 'wrong_market' | 'not_usdt' | 'duplicate_symbol';
}

export interface SourceSummary {
  source: SourceName;
  status: 'answered' | 'failed';
  /** Why it failed (failed only). */
  reason?: string;
  /** Instruments it listed, trading or not. */
  listed: number;
  /** Of those, trading. */
  trading: number;
  /** Pairs taken into the universe. */
  pairs: number;
}

export interface DirectionPairs {
  id: number;
  name: string;
  /** Symbol ids listed spot on the direction's spot source and perp on its perp source, ascending. */
  symbolIds: number[];
}

/** A usable discovery result. Plain data (arrays, no maps), so it travels through Temporal as JSON. */
export interface DiscoveryUniverse {
  /** Every symbol any answering source trades, sorted; a symbol's id is its index. */
  symbols: string[];
  /** Sorted by source id, then symbol id. */
  listings: Listing[];
  /** In source id order, all 8. */
  sources: SourceSummary[];
  /** Sources that did not answer, in source id order. */
  failedSources: SourceName[];
  /** The 12 directions in id order. */
  directions: DirectionPairs[];
  /** Sorted by source id, then venue symbol. */
  rejected: RejectedInstrument[];
}

/** Too few sources answered: the result is not used and the previous snapshot stays in force. */
export interface QuorumRefusal {
  kind: 'quorum_not_met';
  answered: number;
  quorum: number;
  failed: { source: SourceName; reason: string }[];
  message: string;
}

export type DiscoveryOutcome =
  { ok: true; universe: DiscoveryUniverse } | { ok: false; refusal: QuorumRefusal };

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the universe from every source's outcome, or refuses when fewer than `settings.quorum` answered. */
export function buildUniverse(
  outcomes: SourceOutcomes,
  settings: Pick<DiscoverySettings, 'quorum'>,
): DiscoveryOutcome {
  const failed = SOURCES.flatMap((s) => {
    const o = outcomes[s.name];
    if (o === undefined) return [{ source: s.name, reason: 'no outcome given' }];
    return o.status === 'failed' ? [{ source: s.name, reason: o.reason }] : [];
  });
  const answered = SOURCES.length - failed.length;
  if (answered < settings.quorum) {
    return {
      ok: false,
      refusal: {
        kind: 'quorum_not_met',
        answered,
        quorum: settings.quorum,
        failed,
        message:
          `only ${answered} of ${SOURCES.length} sources answered (quorum ${settings.quorum}); failed: ` +
          failed.map((f) => `${f.source} (${f.reason})`).join(', '),
      },
    };
  }

  // Per source: canonical symbol -> instrument, trading and in scope only.
  const rejected: RejectedInstrument[] = [];
  const taken = new Map<SourceName, Map<string, Instrument>>();
  const summaries: SourceSummary[] = [];
  for (const source of SOURCES) {
    const outcome = outcomes[source.name];
    if (outcome?.status !== 'answered') {
      const reason = failed.find((f) => f.source === source.name)?.reason ?? 'no outcome given';
      summaries.push({ source: source.name, status: 'failed', reason, listed: 0, trading: 0, pairs: 0 });
      continue;
    }
    const bySymbol = new Map<string, Instrument>();
    const duplicates = new Set<string>();
    const reject = (i: Instrument, reason: RejectedInstrument['reason']) =>
      rejected.push({ source: source.name, venueSymbol: i.venueSymbol, symbol: i.symbol, reason });
    const trading = outcome.instruments.filter((i) => i.trading);
    for (const i of trading) {
      if (i.market !== source.market) reject(i, 'wrong_market');
      else if (i.quote !== 'USDT' || splitCanonical(i.symbol) === undefined) reject(i, 'not_usdt');
      else if (bySymbol.has(i.symbol) || duplicates.has(i.symbol)) {
        // Two venue symbols claim one canonical symbol: neither can be trusted.
        duplicates.add(i.symbol);
        const first = bySymbol.get(i.symbol);
        if (first) reject(first, 'duplicate_symbol');
        bySymbol.delete(i.symbol);
        reject(i, 'duplicate_symbol');
      } else bySymbol.set(i.symbol, i);
    }
    taken.set(source.name, bySymbol);
    summaries.push({
      source: source.name,
      status: 'answered',
      listed: outcome.instruments.length,
      trading: trading.length,
      pairs: bySymbol.size,
    });
  }

  const symbols = [...new Set([...taken.values()].flatMap((m) => [...m.keys()]))].sort(byText);
  const idOf = new Map(symbols.map((s, id) => [s, id]));

  const listings: Listing[] = [];
  for (const source of SOURCES) {
    const bySymbol = taken.get(source.name);
    if (!bySymbol) continue;
    for (const [symbol, i] of [...bySymbol].sort(([a], [b]) => byText(a, b))) {
      listings.push({
        symbolId: idOf.get(symbol) ?? -1,
        source: source.name,
        venueSymbol: i.venueSymbol,
        tickSize: i.tickSize,
        lotSize: i.lotSize,
        minQuantity: i.minQuantity,
        ...(i.maxQuantity === undefined ? {} : { maxQuantity: i.maxQuantity }),
        minNotional: i.minNotional,
      });
    }
  }

  const directions = DIRECTIONS.map((d) => {
    const spot = taken.get(d.spot.name);
    const perp = taken.get(d.perp.name);
    const symbolIds =
      spot && perp
        ? [...spot.keys()]
            .filter((s) => perp.has(s))
            .map((s) => idOf.get(s) ?? -1)
            .sort((a, b) => a - b)
        : [];
    return { id: d.id, name: d.name, symbolIds };
  });

  const sourceIndex = new Map(SOURCES.map((s) => [s.name, s.id]));
  rejected.sort(
    (a, b) =>
      (sourceIndex.get(a.source) ?? 0) - (sourceIndex.get(b.source) ?? 0) ||
      byText(a.venueSymbol, b.venueSymbol),
  );

  return {
    ok: true,
    universe: {
      symbols,
      listings,
      sources: summaries,
      failedSources: failed.map((f) => f.source),
      directions,
      rejected,
    },
  };
}

/** Lookups over a universe's listings, both ways; build once per universe (the result itself stays plain data). */
export interface ListingIndex {
  /** The symbol id of a venue symbol on a source. */
  symbolIdOf(source: SourceName, venueSymbol: string): number | undefined;
  /** A symbol id's listing on a source. */
  listingOf(source: SourceName, symbolId: number): Listing | undefined;
}

export function indexListings(universe: Pick<DiscoveryUniverse, 'listings'>): ListingIndex {
  const byVenueSymbol = new Map<string, Listing>();
  const byId = new Map<string, Listing>();
  for (const l of universe.listings) {
    byVenueSymbol.set(`${l.source}\u0000${l.venueSymbol}`, l);
    byId.set(`${l.source}\u0000${l.symbolId}`, l);
  }
  return {
    symbolIdOf: (source, venueSymbol) => byVenueSymbol.get(`${source}\u0000${venueSymbol}`)?.symbolId,
    listingOf: (source, symbolId) => byId.get(`${source}\u0000${symbolId}`),
  };
}
