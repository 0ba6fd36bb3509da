import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { instrumentsFromCcxt } from '../connectors/ccxt/instrument-mapping';
import type { CcxtMarkets } from '../connectors/ccxt/markets';
import type { Instrument } from '../connectors/exchange-connector';
import type { Venue } from '../domain/venues';
import { SCANNER_VENUES } from '../workflows/scanner/discovery/sources';
import type { SourceOutcomes } from '../workflows/scanner/discovery/universe';

/**
 * ccxt `markets` snapshot files (the `loadMarkets()` output, `{ unifiedSymbol: market }`, as in
 * ../shared/data/ccxt-markets/) read into Keel instruments through the same mapping the ccxt connector
 * uses, so offline discovery sees exactly what a live run would.
 */

/**
 * What a market entry must have for the mapping to read it (precision and limits only where the market is
 * spot or swap, the kinds discovery maps; ccxt leaves them out of some futures); the rest passes through.
 */
const MarketEntrySchema = z
  .looseObject({
    id: z.string(),
    symbol: z.string(),
    type: z.string().optional(),
    precision: z.looseObject({}).optional(),
    limits: z.looseObject({}).optional(),
  })
  .refine((m) => !(m.type === 'spot' || m.type === 'swap') || (m.precision && m.limits), {
    message: 'a spot or swap market needs precision and limits',
  });
const MarketsFileSchema = z
  .record(z.string(), MarketEntrySchema)
  .refine((m) => Object.keys(m).length > 0, 'holds no markets');

/** A snapshot file that cannot be read as ccxt markets; the message names the file. */
export class MarketsFileError extends Error {
  override readonly name = 'MarketsFileError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: not a ccxt markets snapshot: ${problem}`);
  }
}

/** One venue's instruments, both markets, trading or not. */
export interface VenueInstruments {
  venue: Venue;
  spot: Instrument[];
  perp: Instrument[];
}

/** Parses a snapshot's text (`file` names it in errors) into instruments of `venue`. */
export function instrumentsFromSnapshot(venue: Venue, text: string, file: string): VenueInstruments {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MarketsFileError(file, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = MarketsFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new MarketsFileError(file, first.join('; '));
  }
  const markets = parsed.data as unknown as CcxtMarkets;
  try {
    return {
      venue,
      spot: instrumentsFromCcxt(venue, 'spot', markets),
      perp: instrumentsFromCcxt(venue, 'perp', markets),
    };
  } catch (e) {
    throw new MarketsFileError(file, e instanceof Error ? e.message : String(e));
  }
}

/** Reads `<venue>.json` from `dir`. */
export function loadMarketsFile(dir: string, venue: Venue): VenueInstruments {
  const file = join(dir, `${venue}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MarketsFileError(file, e instanceof Error ? e.message : String(e));
  }
  return instrumentsFromSnapshot(venue, text, file);
}

/**
 * Every scanner source's outcome from the snapshot files in `dir`: a venue whose file is missing or
 * malformed fails both its sources, with the error as the reason (discovery's quorum then decides).
 */
export function offlineSourceOutcomes(dir: string): SourceOutcomes {
  const outcomes: SourceOutcomes = {};
  for (const venue of SCANNER_VENUES) {
    try {
      const loaded = loadMarketsFile(dir, venue);
      outcomes[`${venue}-spot`] = { status: 'answered', instruments: loaded.spot };
      outcomes[`${venue}-perp`] = { status: 'answered', instruments: loaded.perp };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      outcomes[`${venue}-spot`] = { status: 'failed', reason };
      outcomes[`${venue}-perp`] = { status: 'failed', reason };
    }
  }
  return outcomes;
}
