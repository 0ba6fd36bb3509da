import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Instrument } from '../../../connectors/exchange-connector';
import {
  buildUniverse,
  diffSnapshots,
  DIRECTIONS,
  discoverPairs,
  DiscoverySettingsError,
  EMPTY_RESULT,
  indexListings,
  parseDiscoverySettings,
  screenPairs,
  SourceNameSchema,
  SOURCES,
} from '../../../workflows/scanner/discovery';
import type {
  DiscoveryUniverse,
  ReferenceMids,
  SourceName,
  SourceOutcomes,
} from '../../../workflows/scanner/discovery';

function inst(symbol: string, market: 'spot' | 'perp', extra: Partial<Instrument> = {}): Instrument {
  const [base = '', quote = ''] = symbol.split('-');
  return {
    symbol,
    venueSymbol: `${base}${quote}${market === 'perp' ? '-P' : ''}`,
    base,
    quote,
    market,
    tickSize: '0.01',
    lotSize: '0.001',
    minQuantity: '0.001',
    minNotional: '5',
    trading: true,
    ...extra,
  };
}

const answered = (market: 'spot' | 'perp', bases: string[], extra: Instrument[] = []) => ({
  status: 'answered' as const,
  instruments: [...bases.map((b) => inst(`${b}-USDT`, market)), ...extra],
});

/** Worked by hand below; mexc-spot's ETH is listed but not trading. */
const OUTCOMES: SourceOutcomes = {
  'binance-spot': answered('spot', ['BTC', 'ETH', 'DOGE']),
  'binance-perp': answered('perp', ['BTC', 'ETH']),
  'bybit-spot': answered('spot', ['BTC', 'SOL']),
  'bybit-perp': answered('perp', ['BTC', 'ETH', 'SOL']),
  'mexc-spot': answered('spot', ['BTC'], [inst('ETH-USDT', 'spot', { trading: false })]),
  'mexc-perp': answered('perp', ['ETH', 'XRP']),
  'okx-spot': answered('spot', ['ETH', 'XRP']),
  'okx-perp': answered('perp', ['BTC'], [inst('BTC-USDT', 'perp', { venueSymbol: 'X', trading: false })]),
};

const settings = parseDiscoverySettings({});

function universeOf(outcomes: SourceOutcomes, quorum = 6): DiscoveryUniverse {
  const built = buildUniverse(outcomes, { quorum });
  assert.ok(built.ok, built.ok ? '' : built.refusal.message);
  return built.universe;
}

void describe('scanner sources and directions', () => {
  void test('8 sources in seed order, 12 directions in seed 004 order', () => {
    assert.deepEqual(
      SOURCES.map((s) => [s.id, s.name, s.venue, s.market]),
      SourceNameSchema.options.map((name, id) => [id, name, ...name.split('-')]),
    );
    assert.deepEqual(
      DIRECTIONS.map((d) => `${d.id} ${d.name}`),
      [
        '0 okx-spot>mexc-perp',
        '1 okx-spot>bybit-perp',
        '2 okx-spot>binance-perp',
        '3 mexc-spot>okx-perp',
        '4 mexc-spot>bybit-perp',
        '5 mexc-spot>binance-perp',
        '6 bybit-spot>okx-perp',
        '7 bybit-spot>mexc-perp',
        '8 bybit-spot>binance-perp',
        '9 binance-spot>okx-perp',
        '10 binance-spot>mexc-perp',
        '11 binance-spot>bybit-perp',
      ],
    );
    for (const d of DIRECTIONS) {
      assert.equal(d.spot.market, 'spot');
      assert.equal(d.perp.market, 'perp');
      assert.notEqual(d.spot.venue, d.perp.venue);
    }
  });
});

void describe('pair discovery universe', () => {
  void test('symbols, ids and the 12 intersections, worked out by hand', () => {
    const u = universeOf(OUTCOMES);
    assert.deepEqual(u.symbols, ['BTC-USDT', 'DOGE-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);
    const [BTC, , ETH, , XRP] = [0, 1, 2, 3, 4];
    assert.deepEqual(
      u.directions.map((d) => d.symbolIds),
      [[ETH, XRP], [ETH], [ETH], [BTC], [BTC], [BTC], [BTC], [], [BTC], [BTC], [ETH], [BTC, ETH]],
    );
    assert.deepEqual(u.failedSources, []);
    assert.deepEqual(
      u.sources.map((s) => [s.source, s.listed, s.trading, s.pairs]),
      [
        ['binance-spot', 3, 3, 3],
        ['binance-perp', 2, 2, 2],
        ['bybit-spot', 2, 2, 2],
        ['bybit-perp', 3, 3, 3],
        ['mexc-spot', 2, 1, 1],
        ['mexc-perp', 2, 2, 2],
        ['okx-spot', 2, 2, 2],
        ['okx-perp', 2, 1, 1],
      ],
    );
  });

  void test('trading=false never counts: not a symbol, not a listing', () => {
    const u = universeOf(OUTCOMES);
    const index = indexListings(u);
    assert.equal(index.listingOf('mexc-spot', u.symbols.indexOf('ETH-USDT')), undefined);
    assert.equal(index.symbolIdOf('okx-perp', 'X'), undefined);
    const onlyInactive = universeOf({
      ...OUTCOMES,
      'okx-spot': answered('spot', [], [inst('ZZZ-USDT', 'spot', { trading: false })]),
    });
    assert.ok(!onlyInactive.symbols.includes('ZZZ-USDT'));
  });

  void test('deterministic: instrument order does not matter, ids are sorted indexes', () => {
    const reversed = Object.fromEntries(
      Object.entries(OUTCOMES).map(([k, o]) => [
        k,
        o.status === 'answered' ? { ...o, instruments: [...o.instruments].reverse() } : o,
      ]),
    );
    assert.deepEqual(universeOf(reversed), universeOf(OUTCOMES));
    assert.equal(JSON.stringify(universeOf(reversed)), JSON.stringify(universeOf(OUTCOMES)));
  });

  void test('(source, venue symbol) <-> id mapping keeps the order-path rules', () => {
    const outcomes = {
      ...OUTCOMES,
      'okx-perp': answered(
        'perp',
        [],
        [
          inst('BTC-USDT', 'perp', {
            venueSymbol: 'BTC-USDT-SWAP',
            tickSize: '0.1',
            lotSize: '0.0001',
            minQuantity: '0.0001',
            maxQuantity: '100',
            minNotional: '0',
          }),
        ],
      ),
    };
    const u = universeOf(outcomes);
    const index = indexListings(u);
    const id = index.symbolIdOf('okx-perp', 'BTC-USDT-SWAP');
    assert.equal(id, 0);
    assert.deepEqual(index.listingOf('okx-perp', 0), {
      symbolId: 0,
      source: 'okx-perp',
      venueSymbol: 'BTC-USDT-SWAP',
      tickSize: '0.1',
      lotSize: '0.0001',
      minQuantity: '0.0001',
      maxQuantity: '100',
      minNotional: '0',
    });
    assert.equal(index.symbolIdOf('okx-spot', 'BTC-USDT-SWAP'), undefined);
    // Sorted by source id, then symbol id.
    const order = u.listings.map((l) => [SourceNameSchema.options.indexOf(l.source), l.symbolId]);
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
    );
  });

  void test('out-of-scope instruments are rejected with a reason, duplicates on one source drop both', () => {
    const u = universeOf({
      ...OUTCOMES,
      'bybit-spot': answered(
        'spot',
        ['BTC', 'SOL'],
        [
          inst('ETH-USDT', 'perp', { venueSymbol: 'ETHUSDT' }),
          inst('BTC-USDC', 'spot', { venueSymbol: 'BTCUSDC' }),
          inst('SOL-USDT', 'spot', { venueSymbol: 'SOL2USDT' }),
        ],
      ),
    });
    assert.deepEqual(
      u.rejected.map((r) => `${r.source} ${r.venueSymbol} ${r.reason}`),
      [
        'bybit-spot BTCUSDC not_usdt',
        'bybit-spot ETHUSDT wrong_market',
        'bybit-spot SOL2USDT duplicate_symbol',
        'bybit-spot SOLUSDT duplicate_symbol',
      ],
    );
    assert.ok(!u.symbols.includes('BTC-USDC'));
    assert.equal(u.sources.find((s) => s.source === 'bybit-spot')?.pairs, 1);
  });
});

void describe('quorum', () => {
  const failing = (...names: SourceName[]): SourceOutcomes => ({
    ...OUTCOMES,
    ...Object.fromEntries(names.map((n) => [n, { status: 'failed', reason: `${n} timed out` }])),
  });

  void test('5 of 8 under the default quorum of 6: refused, naming every failed source', () => {
    const out = buildUniverse(failing('mexc-spot', 'mexc-perp', 'okx-perp'), settings);
    assert.ok(!out.ok);
    assert.equal(out.refusal.kind, 'quorum_not_met');
    assert.equal(out.refusal.answered, 5);
    assert.deepEqual(
      out.refusal.failed.map((f) => f.source),
      ['mexc-spot', 'mexc-perp', 'okx-perp'],
    );
    assert.match(out.refusal.message, /only 5 of 8 .*quorum 6.*mexc-spot \(mexc-spot timed out\).*okx-perp/);
  });

  void test('a source left out counts as failed', () => {
    const { 'okx-spot': _, ...rest } = OUTCOMES;
    const out = buildUniverse(rest, parseDiscoverySettings({ quorum: 8 }));
    assert.ok(!out.ok);
    assert.deepEqual(out.refusal.failed, [{ source: 'okx-spot', reason: 'no outcome given' }]);
  });

  void test('6 of 8: usable, says which failed, their directions are empty', () => {
    const u = universeOf(failing('bybit-spot', 'okx-perp'));
    assert.deepEqual(u.failedSources, ['bybit-spot', 'okx-perp']);
    assert.equal(u.sources.find((s) => s.source === 'okx-perp')?.reason, 'okx-perp timed out');
    for (const d of u.directions) {
      const def = DIRECTIONS[d.id]!;
      if (def.spot.name === 'bybit-spot' || def.perp.name === 'okx-perp') assert.deepEqual(d.symbolIds, []);
    }
    assert.deepEqual(u.directions[11]!.symbolIds, [0, 2]);
  });

  void test('a configurable quorum', () => {
    assert.ok(buildUniverse(failing('mexc-spot', 'mexc-perp', 'okx-perp'), { quorum: 5 }).ok);
  });
});

void describe('reference-price agreement and denylist', () => {
  const u = universeOf(OUTCOMES);
  const mids: ReferenceMids = {
    'binance-spot': { 'BTC-USDT': '64000', 'ETH-USDT': '3000.5' },
    'bybit-perp': { 'BTC-USDT': '64010.2', 'ETH-USDT': '3.0011' }, // ETH counted in 1/1000 units
    'okx-spot': { 'ETH-USDT': '3001' },
  };

  void test('a x1000 unit factor is held out with its ratio; close mids are kept', () => {
    const s = screenPairs(u, settings, mids);
    assert.equal(s.priceCheck, 'run');
    const d11 = s.directions[11]!;
    assert.equal(d11.name, 'binance-spot>bybit-perp');
    assert.deepEqual(d11.symbolIds, [0]); // BTC kept (ratio 1.00016), ETH out
    assert.deepEqual(s.heldOut, [
      {
        symbol: 'ETH-USDT',
        symbolId: 2,
        direction: 'okx-spot>bybit-perp',
        directionId: 1,
        reason: 'price_disagreement',
        spotMid: '3001',
        perpMid: '3.0011',
        ratio: '999.966679',
      },
      {
        symbol: 'ETH-USDT',
        symbolId: 2,
        direction: 'binance-spot>bybit-perp',
        directionId: 11,
        reason: 'price_disagreement',
        spotMid: '3000.5',
        perpMid: '3.0011',
        ratio: '999.800073',
      },
    ]);
  });

  void test('pairs without a mid on a leg are kept and listed as unchecked', () => {
    const s = screenPairs(u, settings, mids);
    assert.ok(s.unchecked.some((p) => p.direction === 'okx-spot>mexc-perp' && p.symbol === 'XRP-USDT'));
    assert.deepEqual(s.directions[0]!.symbolIds, [2, 4]);
  });

  void test('the bound is configurable and exact: a ratio of exactly the bound is kept', () => {
    const edge: ReferenceMids = {
      'binance-spot': { 'BTC-USDT': '100' },
      'bybit-perp': { 'BTC-USDT': '150' },
    };
    assert.deepEqual(screenPairs(u, settings, edge).directions[11]!.symbolIds, [0, 2]);
    const tight = parseDiscoverySettings({ maxPriceRatio: '1.4999' });
    const s = screenPairs(u, tight, edge);
    assert.deepEqual(s.directions[11]!.symbolIds, [2]);
    assert.equal(s.heldOut[0]?.reason === 'price_disagreement' && s.heldOut[0].ratio, '1.5');
  });

  void test('denylist: a symbol everywhere, or a symbol on one source; applies without prices', () => {
    const deny = parseDiscoverySettings({
      denylist: [{ symbol: 'XRP-USDT' }, { symbol: 'BTC-USDT', source: 'bybit-perp', note: 'collision' }],
    });
    const s = screenPairs(u, deny);
    assert.equal(s.priceCheck, 'not_run');
    assert.deepEqual(
      s.heldOut.map((h) => `${h.directionId} ${h.symbol} ${h.reason}`),
      ['0 XRP-USDT denylisted', '4 BTC-USDT denylisted', '11 BTC-USDT denylisted'],
    );
    assert.deepEqual(s.directions[11]!.symbolIds, [2]);
    assert.deepEqual(s.directions[5]!.symbolIds, [0]); // BTC on binance-perp untouched
  });

  void test('discoverPairs composes the two', () => {
    const out = discoverPairs(OUTCOMES, settings, mids);
    assert.ok(out.ok);
    assert.equal(out.result.screened.heldOut.length, 2);
  });
});

void describe('snapshot diff', () => {
  void test('added and delisted pairs and symbols, by name, sorted', () => {
    const before = screenPairs(universeOf(OUTCOMES), settings);
    const after = screenPairs(
      universeOf({
        ...OUTCOMES,
        'binance-spot': answered('spot', ['AAVE', 'BTC', 'DOGE']), // ETH delisted, AAVE new
        'bybit-perp': answered('perp', ['AAVE', 'BTC', 'ETH', 'SOL']),
      }),
      settings,
    );
    const prev = { symbols: universeOf(OUTCOMES).symbols, directions: before.directions };
    const nextSymbols = ['AAVE-USDT', 'BTC-USDT', 'DOGE-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'];
    const diff = diffSnapshots(prev, { symbols: nextSymbols, directions: after.directions });
    assert.deepEqual(diff.addedSymbols, ['AAVE-USDT']);
    assert.deepEqual(diff.removedSymbols, []);
    assert.equal(diff.idsChanged, true);
    assert.deepEqual(
      diff.added.map((p) => `${p.direction} ${p.symbol}`),
      ['binance-spot>bybit-perp AAVE-USDT'],
    );
    assert.deepEqual(
      diff.delisted.map((p) => `${p.direction} ${p.symbol}`),
      ['binance-spot>mexc-perp ETH-USDT', 'binance-spot>bybit-perp ETH-USDT'],
    );
    assert.deepEqual(diffSnapshots(prev, prev), {
      added: [],
      delisted: [],
      addedSymbols: [],
      removedSymbols: [],
      idsChanged: false,
    });
    assert.equal(diffSnapshots(EMPTY_RESULT, prev).added.length, 13);
  });
});

void describe('discovery settings', () => {
  void test('defaults', () => {
    assert.deepEqual(parseDiscoverySettings({}), { quorum: 6, maxPriceRatio: '1.5', denylist: [] });
    assert.deepEqual(parseDiscoverySettings(undefined), parseDiscoverySettings({}));
  });

  for (const [input, pattern] of [
    [{ quorum: 0 }, /quorum: .*>=1/],
    [{ quorum: 9 }, /quorum: .*<=8/],
    [{ quorum: 6.5 }, /quorum: .*expected int/],
    [{ maxPriceRatio: '1' }, /maxPriceRatio: must be above 1/],
    [{ maxPriceRatio: '0.5' }, /maxPriceRatio: must be above 1/],
    [{ maxPriceRatio: 'x' }, /maxPriceRatio: must be a non-negative decimal/],
    [{ denylist: [{ symbol: 'BTC-USDC' }] }, /denylist\.0\.symbol: must be quoted in USDT/],
    [{ denylist: [{ symbol: 'BTC-USDT', source: 'kraken-spot' }] }, /denylist\.0\.source/],
  ] as const)
    void test(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseDiscoverySettings(input),
        (e) => e instanceof DiscoverySettingsError && pattern.test(e.message),
      );
    });

  void test('names every bad key at once', () => {
    assert.throws(
      () => parseDiscoverySettings({ quorum: 0, maxPriceRatio: '1' }),
      (e) =>
        e instanceof DiscoverySettingsError &&
        e.problems.length === 2 &&
        /quorum.*maxPriceRatio/.test(e.message),
    );
  });
});
