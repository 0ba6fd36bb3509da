import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runDiscoverOffline } from '../../../scanner/discover-offline';
import {
  instrumentsFromSnapshot,
  loadMarketsFile,
  MarketsFileError,
  offlineSourceOutcomes,
} from '../../../scanner/offline-markets';
import {
  DIRECTIONS,
  discoverPairs,
  parseDiscoverySettings,
  SOURCES,
} from '../../../workflows/scanner/discovery';
import type { SourceOutcomes } from '../../../workflows/scanner/discovery';
import { sharedDataSet } from '../../support/shared-data';

/** Pair discovery over ccxt's real markets snapshots (../shared/data/ccxt-markets), offline. */
const VENUES = ['binance', 'bybit', 'mexc', 'okx'] as const;
const DATA = sharedDataSet(
  'ccxt-markets',
  'KEEL_CCXT_MARKETS_DIR',
  VENUES.map((v) => `${v}.json`),
);

interface RawMarket {
  id: string;
  symbol: string;
  base: string;
  quote: string;
  settle?: string | null;
  type: string;
  spot?: boolean;
  swap?: boolean;
  linear?: boolean | null;
  active?: boolean | null;
  info?: Record<string, unknown>;
}

/** Independent of Keel's normalization: straight off the JSON with ccxt's own fields. */
function expectedSymbols(venue: string, market: 'spot' | 'perp'): Set<string> {
  const raw = DATA.readJson<Record<string, RawMarket>>(`${venue}.json`);
  return new Set(
    Object.values(raw)
      .filter((m) => m.active === true && m.quote === 'USDT')
      .filter((m) =>
        market === 'spot'
          ? m.type === 'spot' && m.spot === true
          : m.type === 'swap' && m.linear === true && m.settle === 'USDT',
      )
      .map((m) => `${m.base}-USDT`),
  );
}

const settings = parseDiscoverySettings({});

void describe('offline pair discovery on the real snapshots', DATA.options, () => {
  void test('pairs per source, unique symbols and per-direction counts match an independent count', () => {
    const out = discoverPairs(offlineSourceOutcomes(DATA.dir), settings);
    assert.ok(out.ok, out.ok ? '' : out.refusal.message);
    const { universe, screened } = out.result;
    assert.deepEqual(universe.failedSources, []);
    const expected = new Map(SOURCES.map((s) => [s.name, expectedSymbols(s.venue, s.market)]));
    for (const s of universe.sources) assert.equal(s.pairs, expected.get(s.source)?.size, s.source);
    const union = new Set([...expected.values()].flatMap((set) => [...set]));
    assert.deepEqual(universe.symbols, [...union].sort());
    for (const d of DIRECTIONS) {
      const spot = expected.get(d.spot.name) ?? new Set();
      const perp = expected.get(d.perp.name) ?? new Set();
      const both = [...spot].filter((s) => perp.has(s)).sort();
      const got = screened.directions[d.id]!.symbolIds.map((id) => universe.symbols[id]);
      assert.deepEqual(got, both, d.name);
    }
    // Anchors read off the files by hand: mexc spot trades ADA, ATLAS, PYTH only.
    assert.deepEqual(screened.directions.find((d) => d.name === 'mexc-spot>okx-perp')?.symbolIds.length, 1);
    assert.deepEqual(universe.rejected, []);
    assert.equal(screened.priceCheck, 'not_run');
  });

  void test('look-alikes are absent: a USDC pair, USDT inside a base, inactive markets', () => {
    const raw = DATA.readJson<Record<string, RawMarket>>('binance.json');
    const btc = raw['BTC/USDT']!;
    const augmented = {
      ...raw,
      'BTC/USDC': {
        ...btc,
        id: 'BTCUSDC',
        symbol: 'BTC/USDC',
        quote: 'USDC',
        info: { ...btc.info, symbol: 'BTCUSDC', quoteAsset: 'USDC' },
      },
      'BTCUSDT/USDC': {
        ...btc,
        id: 'BTCUSDTUSDC',
        symbol: 'BTCUSDT/USDC',
        base: 'BTCUSDT',
        quote: 'USDC',
        info: { ...btc.info, symbol: 'BTCUSDTUSDC' },
      },
      'ZEC/USDT': {
        ...btc,
        id: 'ZECUSDT',
        symbol: 'ZEC/USDT',
        base: 'ZEC',
        active: false,
        info: { ...btc.info, symbol: 'ZECUSDT', status: 'BREAK' },
      },
    };
    const binance = instrumentsFromSnapshot('binance', JSON.stringify(augmented), 'augmented binance.json');
    const outcomes: SourceOutcomes = {
      ...offlineSourceOutcomes(DATA.dir),
      'binance-spot': { status: 'answered', instruments: binance.spot },
    };
    const out = discoverPairs(outcomes, settings);
    assert.ok(out.ok);
    const { universe } = out.result;
    const binanceSpot = universe.listings
      .filter((l) => l.source === 'binance-spot')
      .map((l) => l.venueSymbol);
    assert.ok(
      !binanceSpot.includes('BTCUSDC') &&
        !binanceSpot.includes('BTCUSDTUSDC') &&
        !binanceSpot.includes('ZECUSDT'),
    );
    assert.ok(!universe.symbols.includes('ZEC-USDT') && !universe.symbols.includes('BTCUSDT-USDT'));
    assert.equal(binanceSpot.length, expectedSymbols('binance', 'spot').size);
    // Real inactive markets in the mexc file: listed, never taken.
    const mexcSpot = outcomes['mexc-spot'];
    assert.ok(
      mexcSpot?.status === 'answered' &&
        mexcSpot.instruments.some((i) => i.symbol === 'BTC-USDT' && !i.trading),
    );
    assert.ok(!universe.listings.some((l) => l.source === 'mexc-spot' && l.venueSymbol === 'BTCUSDT'));
    // Inverse perps (BTC/USD:BTC) and dated futures never become USDT perps.
    assert.ok(
      !universe.listings.some((l) =>
        ['BTCUSD_PERP', 'BTCUSDT_231229', 'BTC-USD-SWAP'].includes(l.venueSymbol),
      ),
    );
  });

  void test('venue symbols and order-path rules come through (okx perp BTC in base units)', () => {
    const out = discoverPairs(offlineSourceOutcomes(DATA.dir), settings);
    assert.ok(out.ok);
    const { universe } = out.result;
    const id = universe.symbols.indexOf('BTC-USDT');
    const okx = universe.listings.find((l) => l.source === 'okx-perp' && l.symbolId === id);
    assert.deepEqual(okx, {
      symbolId: id,
      source: 'okx-perp',
      venueSymbol: 'BTC-USDT-SWAP',
      tickSize: '0.1',
      lotSize: '0.0001',
      minQuantity: '0.0001',
      minNotional: '0',
    });
    assert.equal(
      universe.listings.find((l) => l.source === 'mexc-perp' && l.symbolId === id)?.venueSymbol,
      'BTC_USDT',
    );
  });

  void test('bitget and gate load too (not scanner sources)', DATA.options, () => {
    for (const venue of ['bitget', 'gate'] as const) {
      const loaded = loadMarketsFile(DATA.dir, venue);
      assert.ok(loaded.spot.length + loaded.perp.length > 0, venue);
      assert.ok([...loaded.spot, ...loaded.perp].every((i) => i.quote === 'USDT'));
    }
  });

  void test('the script prints the counts and writes the report files only with --out', () => {
    let printed = '';
    assert.equal(
      runDiscoverOffline(['--markets-dir', DATA.dir], (t) => (printed += t)),
      0,
    );
    assert.match(printed, /unique symbols: \d+/);
    assert.match(printed, /okx-spot>mexc-perp +\d+/);
    assert.match(printed, /price agreement check: not run/);
    const dir = mkdtempSync(join(tmpdir(), 'keel-discovery-'));
    try {
      assert.equal(
        runDiscoverOffline(['--markets-dir', DATA.dir, '--out', dir], () => {}),
        0,
      );
      assert.deepEqual(readdirSync(dir).sort(), [
        'directions.txt',
        'discovery.json',
        'metadata.json',
        'symbols.txt',
        'validation_report.txt',
      ]);
      const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as {
        priceCheck: string;
        files: unknown[];
      };
      assert.equal(meta.priceCheck, 'not_run');
      assert.equal(meta.files.length, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('bad snapshot input', () => {
  void test('a malformed file gets an error naming the file', () => {
    const bad = (text: string, pattern: RegExp) =>
      assert.throws(
        () => instrumentsFromSnapshot('okx', text, '/data/okx.json'),
        (e) =>
          e instanceof MarketsFileError &&
          e.message.startsWith('/data/okx.json: ') &&
          pattern.test(e.message),
      );
    bad('{"BTC/USDT": ', /invalid JSON/);
    bad('[]', /expected record/);
    bad('{}', /holds no markets/);
    bad(
      '{"BTC/USDT": {"id": "BTC-USDT", "symbol": "BTC/USDT", "type": "spot"}}',
      /BTC\/USDT: a spot or swap market needs precision and limits/,
    );
  });

  void test('a missing folder: every source fails, the quorum refuses and names them', () => {
    const out = discoverPairs(offlineSourceOutcomes('/nonexistent/keel-markets'), settings);
    assert.ok(!out.ok);
    assert.equal(out.refusal.answered, 0);
    assert.equal(out.refusal.failed.length, 8);
    assert.match(out.refusal.message, /okx-perp \(\/nonexistent\/keel-markets\/okx\.json: /);
  });

  void test('bad script arguments', () => {
    let printed = '';
    assert.equal(
      runDiscoverOffline(['--quorum', '0'], (t) => (printed += t)),
      2,
    );
    assert.match(printed, /quorum/);
    assert.equal(
      runDiscoverOffline(['--bogus'], () => {}),
      2,
    );
  });
});
