import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * `npm run export -- trades|performance [--symbol BTC-USDT] [--from ISO] [--to ISO] [--by strategy|symbol|total]`:
 * the API's CSV export of the ledger's fills, or of the performance snapshots, written to stdout as it
 * streams in. Asks the running API (KEEL_API_URL, default
 * http://127.0.0.1:3000) with KEEL_API_READ_TOKEN or KEEL_API_TOKEN; the API validates, so the CLI and
 * the API refuse the same things with the same words.
 */
const USAGE =
  'usage: npm run export -- trades|performance [--symbol BTC-USDT] [--from 2026-01-01T00:00:00Z] [--to ...] [--by strategy|symbol|total (performance)]';
const EXPORTS = new Set(['trades', 'performance']);

const EnvSchema = z.object({
  KEEL_API_URL: z.url().default('http://127.0.0.1:3000'),
  KEEL_API_READ_TOKEN: z.string().min(1).optional(),
  KEEL_API_TOKEN: z.string().min(1).optional(),
});

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      symbol: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      by: { type: 'string' },
    },
  });
  const [kind] = positionals;
  if (positionals.length !== 1 || !kind || !EXPORTS.has(kind) || (kind === 'trades' && values.by)) {
    console.error(USAGE);
    return 2;
  }
  const env = EnvSchema.safeParse(process.env);
  if (!env.success) {
    console.error(
      `bad environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    return 2;
  }
  const token = env.data.KEEL_API_READ_TOKEN ?? env.data.KEEL_API_TOKEN;
  if (!token) {
    console.error('set KEEL_API_READ_TOKEN (or KEEL_API_TOKEN): the export is a read of the API');
    return 2;
  }
  const url = new URL(`/exports/${kind}.csv`, env.data.KEEL_API_URL);
  for (const [key, value] of Object.entries(values))
    if (value !== undefined) url.searchParams.set(key, value);
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
    console.error(`export refused (${response.status}): ${body?.message ?? response.statusText}`);
    return 1;
  }
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
  return 0;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`export failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
