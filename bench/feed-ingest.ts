import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import {
  defaultSpreadEngineSettings,
  scannerTopology,
  SCANNER_SOURCE_COUNT,
  SpreadEngine,
} from '../scanner/engine';
import { sourceOf } from '../workflows/scanner/discovery/sources';

/**
 * Feed ingest: Binance `bookTicker` frames, as the venue sends them on a combined stream, parsed and applied
 * to the spread engine on one event loop, per second:
 *  - ccxt: each frame through ccxt.pro binance's own socket-client message path (JSON parse, its ticker
 *    parsing and cache, the promise bookkeeping of its watches), then the best bid/ask it cached into the
 *    engine: the path Keel's connectors take today;
 *  - lean: `JSON.parse` and the four fields read straight into the engine: what a venue-specific parser
 *    costs, the bound of any faster design on one core.
 * The anchor: a TypeScript implementation topped out near 35,000 frames/s on one event loop.
 *   node --import tsx bench/feed-ingest.ts [--frames 300000]
 * Needs ccxt's binance markets snapshot (../shared/data/ccxt-markets/binance.json) for ccxt's market table.
 */
const { values } = parseArgs({ options: { frames: { type: 'string', default: '300000' } } });
const FRAMES = Number(values.frames);
const ANCHOR = 35_000;

const snapshot = join(import.meta.dirname, '..', '..', 'shared', 'data', 'ccxt-markets', 'binance.json');
const markets = Object.values(
  JSON.parse(readFileSync(snapshot, 'utf8')) as Record<string, unknown>,
) as Array<{
  id: string;
  symbol: string;
  spot?: boolean;
  quote?: string;
  active?: boolean;
}>;
const spot = markets.filter((m) => m.spot === true && m.quote === 'USDT');
const ids = spot.map((m) => m.id);
const source = sourceOf('binance-spot').id;

/** Pre-built frames (not measured): a random walk per symbol, each frame as Binance writes it. */
function frames(): string[] {
  const out: string[] = [];
  const mids = ids.map((_, i) => 100 + i);
  for (let n = 0; n < FRAMES; n += 1) {
    const i = n % ids.length;
    const id = ids[i]!;
    mids[i]! *= 1 + (((n * 7919) % 13) - 6) * 1e-5;
    const mid = mids[i]!;
    const data = {
      u: 400_900_000 + n,
      s: id,
      b: (mid * 0.9999).toFixed(8),
      B: '1.50000000',
      a: (mid * 1.0001).toFixed(8),
      A: '2.25000000',
    };
    out.push(JSON.stringify({ stream: `${id.toLowerCase()}@bookTicker`, data }));
  }
  return out;
}

function engine() {
  const listed = Array.from({ length: SCANNER_SOURCE_COUNT }, () => ids.map((_, i) => i));
  return new SpreadEngine(
    scannerTopology(ids.length, listed),
    defaultSpreadEngineSettings(SCANNER_SOURCE_COUNT),
    {
      onOpening: () => undefined,
    },
  );
}

function ccxtPath(input: string[]): number {
  const exchange = new ccxt.pro.binance({ options: { defaultType: 'spot' } }) as Exchange;
  exchange.setMarkets(markets);
  const client = exchange.client('wss://stream.binance.com:9443/stream');
  const symbolIds = new Map(spot.map((m, i) => [m.symbol, i]));
  const target = engine();
  const staged = target.staged;
  const bidsasks = () =>
    exchange.bidsasks as Record<string, { bid?: number; ask?: number; timestamp?: number }>;
  const started = performance.now();
  for (let n = 0; n < input.length; n += 1) {
    client.onMessage({ data: input[n] });
    const symbol = spot[n % spot.length]!.symbol;
    const quote = bidsasks()[symbol];
    staged[0] = quote?.bid ?? 0;
    staged[1] = quote?.ask ?? 0;
    staged[2] = quote?.timestamp ?? n + 1;
    staged[3] = n + 1;
    target.applyStaged(source, symbolIds.get(symbol)!);
  }
  const rate = input.length / ((performance.now() - started) / 1000);
  // Measured only if ccxt took every frame: its cache holds the last frame's prices.
  const last = JSON.parse(input.at(-1)!) as { data: { s: string; b: string } };
  const cached = bidsasks()[spot.find((m) => m.id === last.data.s)!.symbol];
  if (cached?.bid !== Number(last.data.b))
    throw new Error('ccxt did not take the frames: nothing was measured');
  return rate;
}

function leanPath(input: string[]): number {
  const symbolIds = new Map(ids.map((id, i) => [id, i]));
  const target = engine();
  const staged = target.staged;
  const started = performance.now();
  for (let n = 0; n < input.length; n += 1) {
    const { data } = JSON.parse(input[n]!) as { data: { s: string; b: string; a: string } };
    staged[0] = Number(data.b);
    staged[1] = Number(data.a);
    staged[2] = n + 1;
    staged[3] = n + 1;
    target.applyStaged(source, symbolIds.get(data.s)!);
  }
  return input.length / ((performance.now() - started) / 1000);
}

const input = frames();
// Warm both paths up first, so neither pays for the JIT in its figure.
ccxtPath(input.slice(0, 20_000));
leanPath(input.slice(0, 20_000));
const viaCcxt = ccxtPath(input);
const lean = leanPath(input);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `feed ingest, Binance bookTicker frames on one event loop (${fmt(FRAMES)} frames, ${ids.length} symbols)`,
);
console.log(
  `  ccxt.pro message path → engine   ${fmt(viaCcxt).padStart(12)} frames/s   (${(viaCcxt / ANCHOR).toFixed(2)}x the 35,000 anchor)`,
);
console.log(
  `  JSON.parse, fields → engine      ${fmt(lean).padStart(12)} frames/s   (${(lean / ANCHOR).toFixed(2)}x the anchor)`,
);
console.log(`  lean / ccxt: ${(lean / viaCcxt).toFixed(2)}x`);
