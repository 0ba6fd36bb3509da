import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { resetSharedExchanges, sharedProExchange, VENUE_SPECS } from '../../../connectors/ccxt';
import { resolveStreamMethod, SlotAllocator, watchRequests } from '../../../connectors/ccxt/stream';

after(() => resetSharedExchanges());

const syms = (n: number): string[] => Array.from({ length: n }, (_, i) => `S${i}/USDT`);

void describe('watch call batching (planSubscriptions limits)', () => {
  void test('bybit spot: 25 symbols -> watchBidsAsks calls of 10, 10 and 5 topics', () => {
    const r = watchRequests('bybit', 'spot', 'watchBidsAsks', syms(25));
    assert.deepEqual(
      r.map((x) => x.length),
      [10, 10, 5],
    );
    assert.deepEqual(r[2], ['S20/USDT', 'S21/USDT', 'S22/USDT', 'S23/USDT', 'S24/USDT']);
  });

  void test('bybit perp and okx have no per-request limit: one call', () => {
    assert.deepEqual(
      watchRequests('bybit', 'perp', 'watchBidsAsks', syms(25)).map((x) => x.length),
      [25],
    );
    assert.deepEqual(watchRequests('okx', 'spot', 'watchBidsAsks', ['A/USDT', 'B/USDT', 'A/USDT']), [
      ['A/USDT', 'B/USDT'],
    ]);
  });

  void test('per-symbol methods: one call per distinct symbol', () => {
    assert.deepEqual(watchRequests('mexc', 'perp', 'watchTicker', ['A', 'B', 'A']), [['A'], ['B']]);
  });
});

void describe('connection slots (per-connection limits)', () => {
  void test('mexc spot: 61 symbols over connections of 30, 30 and 1', () => {
    const a = SlotAllocator.for('mexc', 'spot');
    const placed = a.assign(syms(61));
    assert.deepEqual([...placed.keys()], [0, 1, 2]);
    assert.deepEqual(
      [...placed.values()].map((s) => s.length),
      [30, 30, 1],
    );
    assert.deepEqual(placed.get(2), ['S60/USDT']);
    assert.deepEqual(a.sizes(), [30, 30, 1]);
  });

  void test('a symbol already placed stays on its connection; freed room is reused first', () => {
    const a = SlotAllocator.for('mexc', 'spot');
    a.assign(syms(31)); // S0..S29 on 0, S30 on 1
    // A second watcher of S5 and S30: same connections, counted once against the limit.
    assert.deepEqual(
      [...a.assign(['S5/USDT', 'S30/USDT'])],
      [
        [0, ['S5/USDT']],
        [1, ['S30/USDT']],
      ],
    );
    assert.deepEqual(a.sizes(), [30, 1]);
    // S5 is still followed by the first watcher: releasing once frees nothing.
    assert.deepEqual(a.release(0, ['S5/USDT']), []);
    assert.deepEqual(a.release(0, ['S5/USDT', 'S6/USDT']), ['S5/USDT', 'S6/USDT']);
    assert.deepEqual(a.sizes(), [28, 1]);
    assert.deepEqual(
      [...a.assign(['N1/USDT', 'N2/USDT', 'N3/USDT'])],
      [
        [0, ['N1/USDT', 'N2/USDT']],
        [1, ['N3/USDT']],
      ],
    );
  });

  void test('binance: 1024 streams per connection', () => {
    const a = SlotAllocator.for('binance', 'perp');
    assert.deepEqual(
      [...a.assign(syms(1025)).values()].map((s) => s.length),
      [1024, 1],
    );
  });
});

void describe('stream method', () => {
  void test('first supported method from the preferred one on; poll only when none', () => {
    assert.equal(
      resolveStreamMethod({ watchBidsAsks: true, watchTicker: true }, 'watchBidsAsks'),
      'watchBidsAsks',
    );
    assert.equal(resolveStreamMethod({ watchTicker: true }, 'watchBidsAsks'), 'watchTicker');
    assert.equal(resolveStreamMethod({ watchOrderBook: true }, 'watchBidsAsks'), 'watchOrderBook');
    assert.equal(resolveStreamMethod({ watchBidsAsks: true }, 'watchTicker'), 'poll');
    assert.equal(resolveStreamMethod({ watchBidsAsks: true }, 'poll'), 'poll');
    assert.equal(resolveStreamMethod({}, 'watchBidsAsks'), 'poll');
  });

  void test('every venue market streams with its preferred WS method on ccxt 4.5.84 (no polling)', () => {
    const expected = {
      binance: ['watchBidsAsks', 'watchBidsAsks'],
      bybit: ['watchBidsAsks', 'watchBidsAsks'],
      okx: ['watchBidsAsks', 'watchBidsAsks'],
      mexc: ['watchBidsAsks', 'watchTicker'],
    } as const;
    for (const venue of ['binance', 'bybit', 'okx', 'mexc'] as const) {
      const ex = new ccxt.pro[venue]();
      const got = (['spot', 'perp'] as const).map((m) =>
        resolveStreamMethod(ex.has, VENUE_SPECS[venue].stream[m]),
      );
      assert.deepEqual(got, expected[venue], venue);
      assert.equal(VENUE_SPECS[venue].capabilities.spot.canStream, true);
    }
  });
});

void describe('shared ccxt.pro instance', () => {
  void test('URL overrides: REST and WS families not overridden point at a dead loopback port', () => {
    const p = sharedProExchange('bybit', {
      env: {},
      apiUrls: { public: 'http://127.0.0.1:1/rest' },
      wsUrls: { marker: 'ws://127.0.0.1:1/ws' },
    });
    const urls: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') urls.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(p.exchange.urls['api']);
    const api = p.exchange.urls['api'] as Record<string, unknown>;
    assert.equal(api['public'], 'http://127.0.0.1:1/rest');
    assert.equal((api['ws'] as Record<string, unknown>)['marker'], 'ws://127.0.0.1:1/ws');
    const others = urls.filter(
      (u) => !u.startsWith('http://127.0.0.1:1/') && !u.startsWith('ws://127.0.0.1:1/'),
    );
    assert.ok(others.length > 5);
    for (const u of others) assert.match(u, /^(http|ws):\/\/127\.0\.0\.1:9\/not-configured$/, u);
  });

  void test('one instance per venue and URL set; the last release closes it, acquire after reuses it', async () => {
    const opts = { env: {}, apiUrls: { public: 'http://127.0.0.1:1/x' } };
    const a = sharedProExchange('okx', opts);
    assert.equal(sharedProExchange('okx', opts), a);
    assert.notEqual(sharedProExchange('okx', opts, 1), a);
    let closed = 0;
    const close = a.exchange.close.bind(a.exchange);
    a.exchange.close = async () => {
      closed++;
      await close();
    };
    await a.acquire();
    await a.acquire();
    await a.release();
    assert.equal(closed, 0);
    await a.release();
    assert.equal(closed, 1);
    assert.equal(a.users, 0);
    await a.acquire();
    assert.equal(a.users, 1);
    await a.release();
    assert.equal(closed, 2);
  });
});
