import type { DiscoveryResult } from '../workflows/scanner/discovery/discover';
import type { DiscoverySettings } from '../workflows/scanner/discovery/settings';
import { SOURCES } from '../workflows/scanner/discovery/sources';

/**
 * Human-readable and JSON renderings of one discovery result: the counts printed on the console and the
 * report files (symbols, directions, validation report, metadata, the full result). Pure: the caller
 * supplies the time and the input description.
 */

export interface ReportContext {
  generatedAt: string;
  /** Where the instruments came from, e.g. "ccxt markets snapshots in ../shared/data/ccxt-markets". */
  input: string;
  settings: DiscoverySettings;
  /** Input files and their digests, for metadata. */
  files?: { name: string; sha256: string; bytes: number }[];
}

const PRICE_NOT_RUN =
  'reference-price agreement check: not run (no prices in this input; only the denylist applied)';
const STREAM_NOT_RUN = 'stream validation: not run (not built yet)';

export function counts(result: DiscoveryResult) {
  const { universe, screened } = result;
  return {
    uniqueSymbols: universe.symbols.length,
    pairsPerSource: Object.fromEntries(universe.sources.map((s) => [s.source, s.pairs])),
    pairsPerDirection: Object.fromEntries(screened.directions.map((d) => [d.name, d.symbolIds.length])),
    directionPairs: screened.directions.reduce((n, d) => n + d.symbolIds.length, 0),
    heldOut: screened.heldOut.length,
    failedSources: universe.failedSources,
  };
}

/** The console summary. */
export function renderSummary(result: DiscoveryResult, ctx: ReportContext): string {
  const { universe, screened } = result;
  const lines = [`pair discovery from ${ctx.input}`, '', 'pairs per source (trading / listed):'];
  for (const s of universe.sources)
    lines.push(
      s.status === 'answered'
        ? `  ${s.source.padEnd(13)} ${String(s.pairs).padStart(5)}   (${s.trading} / ${s.listed})`
        : `  ${s.source.padEnd(13)} FAILED: ${s.reason ?? ''}`,
    );
  lines.push(`unique symbols: ${universe.symbols.length}`, '', 'pairs per direction:');
  for (const d of screened.directions)
    lines.push(
      `  ${String(d.id).padStart(2)} ${d.name.padEnd(26)} ${String(d.symbolIds.length).padStart(5)}`,
    );
  lines.push(`  total ${String(counts(result).directionPairs).padStart(29)}`, '');
  lines.push(`rejected instruments: ${universe.rejected.length}`);
  for (const r of universe.rejected) lines.push(`  ${r.source} ${r.venueSymbol} (${r.symbol}): ${r.reason}`);
  lines.push(`held out pairs: ${screened.heldOut.length}`);
  for (const h of screened.heldOut) lines.push(`  ${h.direction} ${h.symbol}: ${heldOutReason(h)}`);
  lines.push(screened.priceCheck === 'run' ? 'reference-price agreement check: run' : PRICE_NOT_RUN);
  lines.push(STREAM_NOT_RUN);
  return lines.join('\n') + '\n';
}

function heldOutReason(h: DiscoveryResult['screened']['heldOut'][number]): string {
  return h.reason === 'denylisted'
    ? `denylisted${h.entry.source ? ` on ${h.entry.source}` : ''}${h.entry.note ? ` (${h.entry.note})` : ''}`
    : `price_disagreement ratio ${h.ratio} (spot ${h.spotMid}, perp ${h.perpMid})`;
}

/** The report files by name. */
export function reportFiles(result: DiscoveryResult, ctx: ReportContext): Record<string, string> {
  const { universe, screened } = result;
  const venueSymbols = new Map<number, string[]>();
  for (const l of universe.listings)
    venueSymbols.set(l.symbolId, [...(venueSymbols.get(l.symbolId) ?? []), `${l.source}=${l.venueSymbol}`]);
  const symbols = universe.symbols.map((s, id) => `${id}\t${s}\t${(venueSymbols.get(id) ?? []).join(' ')}`);
  const directions = screened.directions.map(
    (d) =>
      `${d.id}\t${d.name}\t${d.symbolIds.length}\t${d.symbolIds.map((id) => universe.symbols[id]).join(' ')}`,
  );
  const validation = [
    '# pair discovery validation report',
    `generated ${ctx.generatedAt} from ${ctx.input}`,
    '',
    'sources:',
    ...universe.sources.map((s) =>
      s.status === 'answered'
        ? `  ${s.source}: answered, ${s.listed} listed, ${s.trading} trading, ${s.pairs} pairs`
        : `  ${s.source}: FAILED (${s.reason ?? ''})`,
    ),
    `quorum: ${ctx.settings.quorum} of ${SOURCES.length}`,
    '',
    `rejected instruments: ${universe.rejected.length}`,
    ...universe.rejected.map((r) => `  ${r.source} ${r.venueSymbol} (${r.symbol}): ${r.reason}`),
    `held out pairs: ${screened.heldOut.length}`,
    ...screened.heldOut.map((h) => `  ${h.direction} ${h.symbol}: ${heldOutReason(h)}`),
    `unchecked pairs (a leg without a reference price): ${screened.unchecked.length}`,
    screened.priceCheck === 'run'
      ? `reference-price agreement check: run, bound ${ctx.settings.maxPriceRatio}`
      : PRICE_NOT_RUN,
    STREAM_NOT_RUN,
  ];
  const metadata = {
    generatedAt: ctx.generatedAt,
    input: ctx.input,
    files: ctx.files ?? [],
    settings: ctx.settings,
    priceCheck: screened.priceCheck,
    streamValidation: 'not_run',
    counts: counts(result),
  };
  return {
    'symbols.txt': ['# id\tsymbol\tsource=venue symbol ...', ...symbols].join('\n') + '\n',
    'directions.txt': ['# id\tdirection\tpairs\tsymbols', ...directions].join('\n') + '\n',
    'validation_report.txt': validation.join('\n') + '\n',
    'metadata.json': JSON.stringify(metadata, null, 2) + '\n',
    'discovery.json': JSON.stringify(result, null, 2) + '\n',
  };
}
