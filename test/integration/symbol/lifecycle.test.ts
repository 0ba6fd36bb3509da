import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createOrderFeeds } from '../../../activities/order-feeds';
import { orchestratorControl } from '../../../api/orchestrator';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../../../connectors/exchange-connector';
import { takerOrder } from '../../../workers/sim-world';
import type { GridParamsInput } from '../../../workflows/strategies/grid/grid-params';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { gridParams as exampleGridParams } from '../grid/grid-kit';

/**
 * The symbol lifecycle around the order path: configuration changes, pause and resume, fills that race a
 * cancel. Each test names the #11 item it proves; each failed on the code before its fix.
 */

/** The shared example grid (levels 90 … 110), laid out around 101 while the book is empty. */
const gridParams = (overrides: Partial<GridParamsInput> = {}) =>
  exampleGridParams({ referencePrice: '101', ...overrides });
const gridConfig = (params: GridParamsInput, risk?: { maxOpenOrders: number }) => ({
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [{ name: 'grid', params }],
  ...(risk ? { risk } : {}),
});

const SYMBOLS = [
  'IDS-USDT',
  'PAU-USDT',
  'RAC-USDT',
  'FLT-USDT',
  'DED-USDT',
  'SLO-USDT',
  'LIM-USDT',
  'NOT-USDT',
  'LIV-USDT',
  'SIM-USDT',
  'VAN-USDT',
];

describe('symbol lifecycle', () => {
  const sim = createSimWorld(SYMBOLS);
  const market = sim.exchange.market('binance', 'spot');
  /**
   * Orders (symbol and price) whose cancel a taker beats: the order fills just before the cancel reaches the
   * venue, as a fill racing a cancel does.
   */
  const fillBeforeCancel = new Set<string>();
  /** Symbols whose next open-orders read the venue refuses for the account (a revoked key): once each. */
  const refuseNextRead = new Set<string>();
  /** Symbols whose orders the venue has forgotten (a venue restored without them, as a restarted simulator was). */
  const forgotten = new Set<string>();
  const connectors: ConnectorFactory = (venue, kind, account) => {
    const real = sim.connectors(venue, kind, account);
    const racing: ExchangeConnector = Object.create(real) as ExchangeConnector;
    // Account `treasury` stands for a real venue's account on this worker (real money).
    Object.defineProperty(racing, 'live', { value: account === 'treasury' });
    racing.cancelOrder = async (symbol, clientOrderId) => {
      const resting = await real.fetchOrderByClientId(symbol, clientOrderId);
      if (resting?.status === 'open' && resting.price && fillBeforeCancel.has(`${symbol} ${resting.price}`))
        takerOrder(market, {
          symbol,
          side: resting.side === 'buy' ? 'sell' : 'buy',
          price: resting.price,
          quantity: resting.quantity,
        });
      return real.cancelOrder(symbol, clientOrderId);
    };
    racing.openOrders = async (symbol) => {
      if (symbol && refuseNextRead.delete(symbol))
        throw new ConnectorError('auth', 'binance: API key revoked (simulated)', -2015);
      if (symbol && forgotten.has(symbol)) return [];
      return real.openOrders(symbol);
    };
    racing.fetchOrderByClientId = async (symbol, clientOrderId) =>
      forgotten.has(symbol) ? undefined : real.fetchOrderByClientId(symbol, clientOrderId);
    return racing;
  };
  const ref = testOrchestratorRef('lifecycle', { shardCount: 2, shardLivenessCheckMs: 1_000 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;
  const control = () => orchestratorControl(harness.client, ref);

  const resting = (symbol: string) =>
    market
      .openOrders('keel', symbol)
      .map((order) => `${order.side} ${Number(order.price)}`)
      .sort();
  const restingAre = (symbol: string, expected: string[]) => () =>
    JSON.stringify(resting(symbol)) === JSON.stringify([...expected].sort());
  const ledgerIds = async (symbol: string) =>
    (
      await database.pool.query<{ client_order_id: string }>(
        'SELECT client_order_id FROM ledger_orders WHERE symbol = $1',
        [symbol],
      )
    ).rows.map((row) => row.client_order_id);
  const put = async (symbol: string, config: unknown) => {
    const response = await app.inject({
      method: 'PUT',
      url: `/symbols/${symbol}`,
      headers: authHeader,
      payload: { config },
    });
    assert.equal(response.statusCode, 200, response.body);
  };
  const symbolState = async (symbol: string) => {
    const entry = await control().registered(symbol);
    assert.ok(entry, `${symbol} is registered`);
    const state = await control().symbolState(entry.workflowId);
    assert.ok(state, `${symbol} answers its state query`);
    return state;
  };

  before(async () => {
    for (const symbol of SYMBOLS) {
      const base = symbol.split('-')[0] ?? '';
      sim.exchange.venue('binance').deposit('spot', 'taker', base, '1000');
    }
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '1000000');
    const started = await startHarness({
      database: 'lifecycle',
      worker: {
        deps: {
          connectors,
          settleWindowMs: () => 0,
          // A venue forgetting orders says nothing on their stream: the audit finds it (after 5 min by default).
          orderFeeds: createOrderFeeds({ auditMs: 2_000 }),
        },
      },
      orchestrator: ref,
    });
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('#11.1: replacing the strategy instances never reuses a client order id of the chain', async () => {
    const symbol = 'IDS-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams()));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    const first = await ledgerIds(symbol);
    // Only the risk limits change: the old instance is stopped and a new one lays the grid out again.
    await put(symbol, gridConfig(gridParams(), { maxOpenOrders: 19 }));
    await waitFor('the grid laid out again by the new instance', async () => {
      const ids = await ledgerIds(symbol);
      return ids.length >= first.length * 2 && restingAre(symbol, ['buy 90', 'buy 95'])();
    });
    const ids = await ledgerIds(symbol);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(first.every((id) => ids.includes(id)));
    const venueIds = market.accountOrders('keel', symbol).map((order) => order.clientOrderId);
    assert.equal(new Set(venueIds).size, venueIds.length, 'no id reached the venue twice');
    assert.deepEqual([...venueIds].sort(), [...ids].sort(), 'ledger = venue');
    assert.equal((await symbolState(symbol)).status, 'running');
  });

  test('#11.2: new params given while paused are the ones the grid resumes with', async () => {
    const symbol = 'PAU-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams({ levels: 5 })));
    await waitFor('the 5-level layout', restingAre(symbol, ['buy 90', 'buy 95']));
    await control().pause(symbol);
    await waitFor('the pause cancelled everything', restingAre(symbol, []));
    // 90, 100, 110: the level nearest 101 (100) stays empty, a long grid buys at 90 only.
    await put(symbol, gridConfig(gridParams({ levels: 3 })));
    await control().resume(symbol);
    await waitFor('the 3-level layout', restingAre(symbol, ['buy 90']), 20_000);
    const state = await symbolState(symbol);
    const grid = (state.strategies[0]?.state as { grid?: { prices: string[] } }).grid;
    assert.deepEqual(grid?.prices, ['90', '100', '110']);
  });

  test('#11.4: a fill that reaches the venue before a regrid’s cancel still counts in the plan', async () => {
    const symbol = 'RAC-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams()));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    fillBeforeCancel.add(`${symbol} 95`);
    // New bounds: the regrid cancels the 90 and 95 buys; the 95 one fills just before its cancel lands.
    await put(symbol, gridConfig(gridParams({ lowerPrice: '91', upperPrice: '111' })));
    await waitFor('both old buys closed', () =>
      market.openOrders('keel', symbol).every((o) => o.price !== '90' && o.price !== '95'),
    );
    await waitFor(
      'the plan counts the fill',
      async () => {
        const grid = ((await symbolState(symbol)).strategies[0]?.state as { grid?: { inventory: string } })
          .grid;
        return grid?.inventory === '1';
      },
      20_000,
    );
    const { rows } = await database.pool.query<{ quantity: string }>(
      `SELECT coalesce(sum(CASE side WHEN 'buy' THEN quantity ELSE -quantity END), 0)::text AS quantity
         FROM ledger_fills WHERE symbol = $1`,
      [symbol],
    );
    assert.equal(Number(rows[0]?.quantity), 1, 'the ledger holds the fill too');
    // The new generation sells what the raced fill bought: a long grid only sells what it holds.
    await waitFor(
      'the new layout with the held unit for sale',
      restingAre(symbol, ['buy 91', 'buy 96', 'sell 106']),
    );
  });

  test('#11.3: a strategy that fails shows it everywhere, its orders are cancelled, and resume recovers it', async () => {
    const symbol = 'FLT-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams()));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    refuseNextRead.add(symbol);
    // The watch's next read is refused for the account: an error no retry can fix.
    const failed = await waitFor('the symbol to show the failure', async () => {
      const state = await symbolState(symbol);
      return state.status === 'failed' ? state : undefined;
    });
    assert.match(failed.problems.join('\n'), /grid failed: .*API key revoked/);
    assert.equal(failed.strategies[0]?.health, 'failed');
    await waitFor('its orders cancelled (the default policy)', restingAre(symbol, []));
    // The shard knows, and so does visibility (the Web UI, `temporal workflow list`).
    await waitFor('the shard to hold the failure', async () => {
      const status = await control().status();
      const entry = (await control().shardEntries(status)).get(symbol);
      return (
        entry?.status === 'failed' &&
        (entry.problems ?? []).some((problem) => /API key revoked/.test(problem))
      );
    });
    // The API's views: the symbol list, the symbol itself, and /status, which is no longer ok.
    const listed = await app.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader });
    const view = listed.json<{ symbols: Array<{ symbol: string; status: string; problems: string[] }> }>();
    const row = view.symbols.find((entry) => entry.symbol === symbol);
    assert.equal(row?.status, 'failed');
    assert.match(row?.problems.join('\n') ?? '', /API key revoked/);
    const detail = await app.inject({ method: 'GET', url: `/symbols/${symbol}`, headers: readAuthHeader });
    assert.equal(detail.json<{ strategies: Array<{ health: string }> }>().strategies[0]?.health, 'failed');
    const status = await app.inject({ method: 'GET', url: '/status', headers: readAuthHeader });
    assert.equal(status.statusCode, 503, status.body);
    const symbolsCheck = status.json<{
      checks: { symbols: { ok: boolean; unhealthy: Array<{ symbol: string }> } };
    }>().checks.symbols;
    assert.equal(symbolsCheck.ok, false);
    assert.ok(symbolsCheck.unhealthy.some((entry) => entry.symbol === symbol));
    const workflowId = (await control().registered(symbol))?.workflowId ?? '';
    await waitFor('the SymbolStatus search attribute', async () => {
      for await (const execution of harness.client.workflow.list({
        query: `WorkflowId = "${workflowId}" AND SymbolStatus = "failed"`,
      }))
        return execution.workflowId === workflowId;
      return false;
    });
    // The operator fixed the key: resume lays the grid out again.
    await control().resume(symbol);
    await waitFor('the grid trading again', restingAre(symbol, ['buy 90', 'buy 95']));
    const recovered = await symbolState(symbol);
    assert.equal(recovered.status, 'running');
    assert.deepEqual(recovered.problems, []);
  });

  test('#11.3: a symbol workflow that stops running is found by its shard and restarted on resume', async () => {
    const symbol = 'DED-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams()));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    const workflowId = (await control().registered(symbol))?.workflowId ?? '';
    const before = new Set(market.openOrders('keel', symbol).map((order) => order.clientOrderId));
    // Killed from outside: nothing of Keel's runs to notice, and its orders stay on the venue.
    await harness.client.workflow.getHandle(workflowId).terminate('test: the workflow is gone');
    await waitFor('the shard to find it not running', async () => {
      const status = await control().status();
      const entry = (await control().shardEntries(status)).get(symbol);
      return (
        entry?.status === 'failed' && (entry.problems ?? []).some((problem) => /not running/.test(problem))
      );
    });
    await control().resume(symbol);
    // The new chain sweeps the dead one's orders and lays the grid out again under its own ids.
    await waitFor('the grid laid out again by a new chain', () => {
      const open = market.openOrders('keel', symbol);
      return open.length === 2 && open.every((order) => !before.has(order.clientOrderId));
    });
    assert.deepEqual(resting(symbol), ['buy 90', 'buy 95']);
    assert.equal((await symbolState(symbol)).status, 'running');
  });

  test('#11.5: a slow-polling watch lives through its heartbeats and gives way to a pause at once', async () => {
    const symbol = 'SLO-USDT';
    // One poll every 30 s, a watch of up to 2 minutes: far longer than the 3 s heartbeat timeout.
    await control().addSymbol(symbol, gridConfig(gridParams({ pollMs: 30_000, watchMs: 120_000 })));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    const workflowId = (await control().registered(symbol))?.workflowId ?? '';
    await control().pause(symbol);
    await waitFor(
      'the pause to cancel everything while the watch was waiting',
      restingAre(symbol, []),
      15_000,
    );
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    const timedOut = (history.events ?? []).filter((event) => event.activityTaskTimedOutEventAttributes);
    assert.equal(timedOut.length, 0, 'no watch attempt timed out on its heartbeat');
  });

  test('#11.6: the symbol’s limits hold for every strategy, in the order path: over them an order is denied, never sent', async () => {
    const limited = 'LIM-USDT';
    // A neutral grid wants 4 orders (buys 95, 90; sells 105, 110) and a quote 2 more; the symbol allows 3.
    await control().addSymbol(limited, {
      venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
      risk: { maxOpenOrders: 3 },
      strategies: [
        { name: 'grid', params: gridParams({ mode: 'neutral' }) },
        { name: 'quote', params: { quantity: '1', referencePrice: '101', levels: 1, halfSpreadBps: 200 } },
      ],
    });
    const denials = async (symbol: string) =>
      (
        await database.pool.query<{ strategy: string; denial: string }>(
          `SELECT strategy, denial FROM ledger_orders WHERE symbol = $1 AND status = 'denied' ORDER BY created_at`,
          [symbol],
        )
      ).rows;
    await waitFor('three orders resting and the rest denied', async () =>
      resting(limited).length === 3 && (await denials(limited)).length === 3 ? true : undefined,
    );
    for (const { denial } of await denials(limited))
      assert.match(denial, /maxOpenOrders: LIM-USDT already holds 3 live orders, the limit is 3/);
    assert.deepEqual((await denials(limited)).map((row) => row.strategy).sort(), ['grid', 'quote', 'quote']);
    const listed = await app.inject({
      method: 'GET',
      url: `/symbols/${limited}/orders?status=denied`,
      headers: readAuthHeader,
    });
    const denied = listed.json<{ orders: Array<{ status: string; denial: string | null }> }>().orders;
    assert.equal(denied.length, 3, listed.body);
    assert.ok(denied.every((order) => order.status === 'denied' && /maxOpenOrders/.test(order.denial ?? '')));

    const notional = 'NOT-USDT';
    // One base unit at 105 and 110 is over 100 of notional: the neutral grid's sells are denied.
    await control().addSymbol(notional, gridConfig(gridParams({ mode: 'neutral' }), { maxOpenOrders: 20 }));
    await control().updateSymbol(notional, {
      ...gridConfig(gridParams({ mode: 'neutral' })),
      risk: { maxOpenOrders: 20, maxOrderNotional: '100' },
    });
    await waitFor('the buys resting, the sells denied', async () =>
      restingAre(notional, ['buy 90', 'buy 95'])() && (await denials(notional)).length >= 2
        ? true
        : undefined,
    );
    assert.ok(
      (await denials(notional)).every(({ denial }) =>
        /maxOrderNotional: 1(05|10) × 1 = 1(05|10) is above 100/.test(denial),
      ),
    );
    assert.ok(
      market.openOrders('keel', notional).every((order) => order.side === 'buy'),
      'no sell was sent',
    );
  });

  test('#11.10: simulated and live never mix: a configuration for one never places an order on the other', async () => {
    const cases = [
      // Written for the simulator, but on this worker the account is a real venue's.
      {
        symbol: 'SIM-USDT',
        venue: { venue: 'binance' as const, market: 'spot' as const, account: 'treasury' },
        says: /configured for the simulator \(live: false\), but this worker's binance is a real venue/,
      },
      // Written for real money, but the worker's venue is the simulator.
      {
        symbol: 'LIV-USDT',
        venue: { venue: 'binance' as const, market: 'spot' as const, account: 'keel', live: true },
        says: /configured for real money \(live: true\), but this worker's binance is a simulated one/,
      },
    ];
    for (const { symbol, venue, says } of cases) {
      await control().addSymbol(symbol, {
        venues: [venue],
        strategies: [{ name: 'grid', params: gridParams() }],
      });
      const failed = await waitFor(`${symbol} refused`, async () => {
        const state = await symbolState(symbol);
        return state.status === 'failed' ? state : undefined;
      });
      assert.match(failed.problems.join('\n'), says);
      assert.deepEqual(resting(symbol), []);
      const { rows } = await database.pool.query('SELECT 1 FROM ledger_orders WHERE symbol = $1', [symbol]);
      assert.equal(rows.length, 0, 'nothing recorded, nothing sent');
    }
  });

  test('#11.11: orders the venue no longer knows make the strategy degraded, with the orders named', async () => {
    const symbol = 'VAN-USDT';
    await control().addSymbol(symbol, gridConfig(gridParams()));
    await waitFor('the first layout', restingAre(symbol, ['buy 90', 'buy 95']));
    const ids = market.openOrders('keel', symbol).map((order) => order.clientOrderId);
    forgotten.add(symbol);
    const degraded = await waitFor('the grid to show the vanished orders', async () => {
      const state = await symbolState(symbol);
      return state.status === 'degraded' ? state : undefined;
    });
    for (const id of ids) assert.match(degraded.problems.join('\n'), new RegExp(id));
    // The operator re-lays the grid out: pause and resume; the vanished orders leave the plan.
    forgotten.delete(symbol);
    await control().pause(symbol);
    await control().resume(symbol);
    await waitFor('healthy again', async () => (await symbolState(symbol)).status === 'running');
  });
});
