import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverPairs } from '../workflows/scanner/discovery/discover';
import { parseDiscoverySettings } from '../workflows/scanner/discovery/settings';
import { SCANNER_VENUES } from '../workflows/scanner/discovery/sources';
import { writeFileAtomic } from './atomic-write';
import { offlineSourceOutcomes } from './offline-markets';
import { renderSummary, reportFiles } from './report';

/**
 * Pair discovery over ccxt markets snapshot files, offline:
 *
 *   node --import tsx scanner/discover-offline.ts [--markets-dir DIR] [--out DIR] [--quorum N]
 *
 * Prints the counts; with --out, also writes the report files there (each atomically). Without --out it
 * writes nothing. Exit code 1 when the quorum is not met, 2 on bad arguments or settings.
 */

const repositoryRoot = resolve(import.meta.dirname, '..');
export const DEFAULT_MARKETS_DIR = join(repositoryRoot, '..', 'shared', 'data', 'ccxt-markets');

export function runDiscoverOffline(
  argv: readonly string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): number {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        'markets-dir': { type: 'string', default: DEFAULT_MARKETS_DIR },
        out: { type: 'string' },
        quorum: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    out(`discover-offline: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  let settings;
  try {
    settings = parseDiscoverySettings(args.quorum === undefined ? {} : { quorum: Number(args.quorum) });
  } catch (e) {
    out(`discover-offline: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const dir = resolve(args['markets-dir']);
  const discovered = discoverPairs(offlineSourceOutcomes(dir), settings);
  if (!discovered.ok) {
    out(`discover-offline: refused: ${discovered.refusal.message}\n`);
    return 1;
  }
  const ctx = {
    generatedAt: new Date().toISOString(),
    input: `ccxt markets snapshots in ${relative(process.cwd(), dir) || '.'}`,
    settings,
    files: SCANNER_VENUES.flatMap((venue) => {
      try {
        const bytes = readFileSync(join(dir, `${venue}.json`));
        return [
          {
            name: `${venue}.json`,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            bytes: bytes.length,
          },
        ];
      } catch {
        return [];
      }
    }),
  };
  out(renderSummary(discovered.result, ctx));
  if (args.out !== undefined) {
    const target = resolve(args.out);
    for (const [name, content] of Object.entries(reportFiles(discovered.result, ctx)))
      writeFileAtomic(join(target, name), content);
    out(`report written to ${target}\n`);
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = runDiscoverOffline(process.argv.slice(2));
}
