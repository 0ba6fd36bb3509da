import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One top-level test's outcome, as the tier's reporter writes it (one JSON line each). */
export interface FileTestResult {
  file: string;
  name: string;
  /** 0 for a file's top-level tests; failures of subtests are reported too, for their error. */
  nesting: number;
  outcome: 'pass' | 'fail' | 'skip';
  durationMs: number;
  error?: string;
}

/**
 * A `node --test` reporter for the test tier of `npm run temporal:server -- test`: one JSON line per
 * top-level test and per failed subtest (file, name, outcome, duration, first error line), so the tier can print results per
 * file (node 20's built-in reporters do not name a test's file). Plain JavaScript, written next to the
 * run's other files: node loads reporters without the tsx hooks the test files get.
 */
const reporterSource = `
function firstLine(error) {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.split('\\n').find((line) => line.trim()) ?? text;
}
export default async function* fileResultsReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    const failed = event.type === 'test:fail';
    if (data.nesting !== 0 && !failed) continue;
    yield JSON.stringify({
      file: data.file ?? '(unknown file)',
      name: data.name,
      nesting: data.nesting,
      outcome: failed ? 'fail' : data.skip || data.todo ? 'skip' : 'pass',
      durationMs: Math.round(data.details?.duration_ms ?? 0),
      ...(failed ? { error: firstLine(data.details?.error) } : {}),
    }) + '\\n';
  }
}
`;

/** Writes the reporter into `dir`; returns its path for `--test-reporter`. */
export function writeFileResultsReporter(dir: string): string {
  const path = join(dir, 'file-results-reporter.mjs');
  writeFileSync(path, reporterSource);
  return path;
}
