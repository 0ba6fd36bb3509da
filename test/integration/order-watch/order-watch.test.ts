import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createOrderFeeds, type OrderFeeds } from '../../../activities/order-feeds';
import { createOrderReconcileActivities, type ReconcileResult } from '../../../activities/order-reconcile';
import {
  createOrderWatchActivities,
  type WatchInput,
  type WatchResult,
} from '../../../activities/order-watch';
import { ConnectorError, type ExchangeConnector } from '../../../connectors/exchange-connector';
import { createSimConnector } from '../../../connectors/sim/in-process-connector';
import { findOrder, claimSend, recordIntent } from '../../../db/order-ledger';
import { SimExchange } from '../../../sim';
import { takerOrder } from '../../../workers/sim-world';
import { startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

const symbol = 'BTC-USDT';

describe('watchOrders: a heartbeating activity that returns only when the strategy must act', () => {
  let database: TestDatabase;
  /** A database and a client for the file; each run gets a worker of its own (test-only workflows). */
  let harness: Harness;

  before(async () => {
    const started = await startHarness({ database: 'order_watch', worker: false });
    ({ database } = started);
    harness = started;
  });
  after(() => harness?.stop());

  /** A venue where `keel` rests a buy at 29000 and a sell at 31000, both recorded in the ledger. */
  async function setUp(prefix: string) {
    const exchange = new SimExchange({ seed: 5 });
    const venue = exchange.venue('binance');
    venue.deposit('spot', 'keel', 'USDT', '100000');
    venue.deposit('spot', 'keel', 'BTC', '1');
    venue.deposit('spot', 'taker', 'BTC', '1');
    venue.deposit('spot', 'taker', 'USDT', '100000');
    const market = exchange.market('binance', 'spot');
    const placed = [
      { clientOrderId: `${prefix}b`, side: 'buy' as const, price: '29000' },
      { clientOrderId: `${prefix}s`, side: 'sell' as const, price: '31000' },
    ];
    for (const order of placed) {
      const intent = {
        ...order,
        venue: 'binance',
        market: 'spot' as const,
        account: 'keel',
        symbol,
        strategy: 'grid',
        workflowId: 'w',
        type: 'limit' as const,
        quantity: '0.01',
      };
      await recordIntent(database.pool, intent);
      market.placeOrder({
        account: 'keel',
        symbol,
        side: order.side,
        type: 'limit',
        price: order.price,
        quantity: '0.01',
        clientOrderId: order.clientOrderId,
      });
    }
    const connector = createSimConnector({ exchange, venue: 'binance', market: 'spot', account: 'keel' });
    const input: WatchInput = {
      venue: 'binance',
      market: 'spot',
      account: 'keel',
      symbol,
      orders: placed.map(({ clientOrderId }) => ({ clientOrderId, filledQuantity: '0' })),
      maxWaitMs: 1500,
      pollMs: 50,
    };
    return { exchange, market, connector, input, placed };
  }

  /** Decided before the watch: the buy filling → sell at 30000 (`r0`), the sell filling → buy at 30000 (`r1`). */
  const contingenciesFor = (prefix: string): NonNullable<WatchInput['contingencies']> =>
    (['b', 's'] as const).map((trigger, index) => ({
      trigger: `${prefix}${trigger}`,
      order: {
        clientOrderId: `${prefix}r${index}`,
        venue: 'binance',
        market: 'spot',
        account: 'keel',
        symbol,
        strategy: 'grid',
        side: trigger === 'b' ? 'sell' : 'buy',
        type: 'limit',
        price: '30000',
        quantity: '0.01',
        limits: { maxOpenOrders: 100, maxOrderNotional: '1000000' },
        live: false,
      },
    }));
  const liftTheAsk = (market: ReturnType<SimExchange['market']>) =>
    takerOrder(market, { symbol, side: 'buy', price: '31000', quantity: '0.01' });

  /** Runs one test workflow (the watch, or a reconcile) on a worker with the real activities. */
  async function runActivity<Result>(
    connector: ExchangeConnector,
    workflowType: 'watchWorkflow' | 'reconcileWorkflow',
    input: unknown,
    whileRunning?: () => void,
    orderFeeds?: OrderFeeds,
  ) {
    const deps = { pool: database.pool, connectors: () => connector, settleWindowMs: () => 0 };
    const { worker, taskQueue } = await harness.createWorker(
      {
        workflows: join(import.meta.dirname, 'watch-workflow.ts'),
        activities: {
          ...createOrderWatchActivities({ ...deps, ...(orderFeeds && { orderFeeds }) }),
          ...createOrderReconcileActivities(deps),
        },
      },
      uniqueName('watch'),
    );
    const { client } = harness;
    const run = async (): Promise<{ result: Result; elapsedMs: number; historyLength: number }> => {
      const started = Date.now();
      const handle = await client.workflow.start(workflowType, {
        taskQueue,
        workflowId: uniqueName('watch'),
        args: [input],
      });
      if (whileRunning) setTimeout(whileRunning, 300);
      const result = (await handle.result()) as Result;
      const history = await handle.fetchHistory();
      return { result, elapsedMs: Date.now() - started, historyLength: history.events?.length ?? 0 };
    };
    return worker.runUntil(run());
  }
  const watch = (
    connector: ExchangeConnector,
    input: WatchInput,
    whileRunning?: () => void,
    orderFeeds?: OrderFeeds,
  ) => runActivity<WatchResult>(connector, 'watchWorkflow', input, whileRunning, orderFeeds);

  /** The connector, counting its REST calls by name; `openOrdersAnswered` once its first openOrders returned. */
  function counting(connector: ExchangeConnector) {
    const calls: Record<string, number> = {};
    let answered: () => void = () => undefined;
    const openOrdersAnswered = new Promise<void>((resolve) => (answered = resolve));
    const count =
      <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
      (...args: A) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return call(...args);
      };
    const counted: ExchangeConnector = {
      ...connector,
      openOrders: count('openOrders', (symbol?: string) => connector.openOrders(symbol).finally(answered)),
      fetchOrderByClientId: count('fetchOrderByClientId', connector.fetchOrderByClientId.bind(connector)),
      bestBidAsk: count('bestBidAsk', connector.bestBidAsk.bind(connector)),
    };
    return { counted, calls, openOrdersAnswered };
  }

  test('nothing happens: it returns on its own deadline, having added no history while it waited', async () => {
    const { connector, input } = await setUp('wA');
    const { result, elapsedMs, historyLength } = await watch(connector, input);
    assert.deepEqual(result, { reason: 'timeout', changes: [] });
    assert.ok(elapsedMs >= 1500, `waited ${elapsedMs} ms`);
    // Start, 3 workflow-task events, activity scheduled/started/completed, 3 more, completed: ~11 events
    // however many of its 30 polls ran; heartbeats are not history events.
    assert.ok(historyLength <= 12, `history length ${historyLength}`);
  });

  test('a fill wakes it: the change is reported and already in the ledger', async () => {
    const { connector, input, market, placed } = await setUp('wB');
    const sell = placed[1]!;
    // A taker lifts keel's 31000 ask.
    const { result } = await watch(connector, { ...input, maxWaitMs: 20_000 }, () => liftTheAsk(market));
    assert.equal(result.reason, 'orders');
    assert.deepEqual(result.changes, [
      { clientOrderId: sell.clientOrderId, status: 'filled', filledQuantity: '0.01', averagePrice: '31000' },
    ]);
    const row = await findOrder(database.pool, sell.clientOrderId);
    assert.equal(row?.status, 'filled');
    assert.equal(Number(row?.filled_quantity), 0.01);
  });

  test('price leaving the band wakes it with the exact mid', async () => {
    const { connector, input } = await setUp('wC');
    // Book: keel bid 29000, ask 31000 → mid 30000, outside a band of [30100, 30500].
    const { result } = await watch(connector, {
      ...input,
      orders: [],
      priceBand: { low: '30100', high: '30500' },
    });
    assert.deepEqual(result, { reason: 'price', changes: [], mid: '30000' });
  });

  test('a fill that triggers a contingency: the replacement is placed by the watch, exactly as decided', async () => {
    const { connector, input, market, placed } = await setUp('wD');
    const contingencies = contingenciesFor('wD');
    const { result } = await watch(connector, { ...input, maxWaitMs: 20_000, contingencies }, () =>
      liftTheAsk(market),
    );
    assert.equal(result.fired?.trigger, placed[1]!.clientOrderId);
    assert.equal(result.fired?.placement.clientOrderId, 'wDr1');
    assert.equal(result.fired?.placement.status, 'open');
    assert.equal(result.changes[0]?.clientOrderId, placed[1]!.clientOrderId, 'the trigger is reported first');
    const resting = market
      .openOrders('keel', symbol)
      .map((order) => `${order.clientOrderId} ${order.side} ${order.price}`);
    assert.deepEqual(resting.sort(), ['wDb buy 29000', 'wDr1 buy 30000']);
    assert.equal((await findOrder(database.pool, 'wDr1'))?.status, 'open');
    assert.equal(await findOrder(database.pool, 'wDr0'), undefined, 'the other contingency never recorded');
  });

  test('an attempt that died after sending a contingency: the retry finishes that one and fires no other', async () => {
    const { connector, input, market, exchange, placed } = await setUp('wE');
    const contingencies = contingenciesFor('wE');
    // Both resting orders fill. The dead attempt saw the sell first, recorded r1, sent it, and died
    // before it could record the answer.
    liftTheAsk(market);
    takerOrder(market, { symbol, side: 'sell', price: '29000', quantity: '0.01' });
    const sent = contingencies[1]!.order;
    const row = await recordIntent(database.pool, { ...sent, workflowId: 'w' });
    assert.equal(await claimSend(database.pool, row), 'claimed');
    market.placeOrder({ ...sent, account: 'keel' });

    // Without the ledger check this attempt would fire r0, the first trigger it sees: a stray order.
    const { result } = await watch(connector, { ...input, contingencies });
    assert.equal(result.fired?.placement.clientOrderId, 'wEr1');
    assert.equal(result.changes[0]?.clientOrderId, placed[1]!.clientOrderId);
    const ids = exchange
      .market('binance', 'spot')
      .accountOrders('keel', symbol)
      .map((order) => order.clientOrderId);
    assert.deepEqual(
      ids.filter((id) => id.startsWith('wEr')),
      ['wEr1'],
      'r1 once, r0 never',
    );
    assert.equal((await findOrder(database.pool, 'wEr1'))?.status, 'open');
  });

  test('with the order stream: REST settles once, then a fill reaches the watch, the ledger and its contingency from the stream', async () => {
    const { connector, input, market, placed } = await setUp('wS');
    const { counted, calls, openOrdersAnswered } = counting(connector);
    const orderFeeds = createOrderFeeds();
    const contingencies = contingenciesFor('wS');
    const { result } = await watch(
      counted,
      { ...input, maxWaitMs: 20_000, contingencies },
      // After the watch's one settle has answered: a fill before it would rightly be asked about by REST.
      () => void openOrdersAnswered.then(() => liftTheAsk(market)),
      orderFeeds,
    );
    assert.equal(result.fired?.placement.clientOrderId, 'wSr1');
    assert.deepEqual(result.changes[0], {
      clientOrderId: placed[1]!.clientOrderId,
      status: 'filled',
      filledQuantity: '0.01',
      averagePrice: '31000',
    });
    assert.equal((await findOrder(database.pool, placed[1]!.clientOrderId))?.status, 'filled');
    // Polling every 50 ms for the 300 ms before the fill would have asked about six times.
    assert.deepEqual(calls, { openOrders: 1 }, 'one settle, then nothing but the stream');

    // A second watch of the same symbol in the same worker trusts the stream from its first moment.
    const again = await watch(
      counted,
      { ...input, orders: input.orders.slice(0, 1), maxWaitMs: 1000 },
      undefined,
      orderFeeds,
    );
    assert.equal(again.result.reason, 'timeout');
    assert.deepEqual(calls, { openOrders: 1 });
    orderFeeds.close();
  });

  test('with the order stream dropping: a fill it missed while down is found by REST and reported once', async () => {
    const { connector, input, market, placed } = await setUp('wT');
    let drop: (() => void) | undefined;
    let subscriptions = 0;
    const told: string[] = [];
    const dropping: ExchangeConnector = {
      ...connector,
      watchOrders: (onOrder, signal, onLive) =>
        new Promise<void>((resolve, reject) => {
          subscriptions += 1;
          const inner = new AbortController();
          signal.addEventListener('abort', () => inner.abort());
          drop = () => {
            inner.abort();
            reject(new ConnectorError('retryable', 'stream dropped'));
          };
          connector.watchOrders!(onOrder, inner.signal, onLive).then(resolve, reject);
        }),
    };
    const { result } = await watch(
      dropping,
      { ...input, maxWaitMs: 20_000 },
      // Once the stream is up (300 ms after the start may be before the watch subscribed, on a loaded run).
      () =>
        void waitFor('the stream subscribed', () => drop !== undefined && told.length > 0, 10_000, 10).then(
          () => {
            drop?.();
            liftTheAsk(market); // unseen by the stream, which is down
          },
        ),
      createOrderFeeds({ onChange: ({ live, detail }) => told.push(`${live ? 'up' : 'down'} ${detail}`) }),
    );
    assert.equal(result.reason, 'orders');
    assert.deepEqual(result.changes, [
      {
        clientOrderId: placed[1]!.clientOrderId,
        status: 'filled',
        filledQuantity: '0.01',
        averagePrice: '31000',
      },
    ]);
    assert.equal((await findOrder(database.pool, placed[1]!.clientOrderId))?.status, 'filled');
    assert.ok(subscriptions >= 1);
    // The feed tells of the drop as it handles the stream's failure, which may come after the REST lookup.
    await waitFor('the drop told', () => told.length >= 2, 2_000, 10);
    assert.deepEqual(
      told.slice(0, 2),
      ['up subscribed', 'down retryable'],
      'the operator is told of the drop',
    );
  });

  test('reconcile: a fill nobody watched is returned to the plan; a lost send found live is recorded and cancelled', async () => {
    const { connector, input, market, exchange, placed } = await setUp('wF');
    // The sell fills while no watch runs.
    liftTheAsk(market);
    // An earlier run sent wFx (the answer was lost, the ledger says unknown) and stopped tracking it.
    const lost = { ...contingenciesFor('wF')[1]!.order, clientOrderId: 'wFx', price: '28000' };
    const row = await recordIntent(database.pool, { ...lost, workflowId: 'w' });
    assert.equal(await claimSend(database.pool, row), 'claimed');
    market.placeOrder({ ...lost, account: 'keel' });
    // And wFy was recorded but never sent.
    await recordIntent(database.pool, { ...lost, clientOrderId: 'wFy', price: '27000', workflowId: 'w' });

    const { result } = await runActivity<ReconcileResult>(connector, 'reconcileWorkflow', {
      venue: 'binance',
      market: 'spot',
      account: 'keel',
      symbol,
      strategy: 'grid',
      clientOrderIdPrefix: 'wF',
      tracked: input.orders,
    });
    assert.deepEqual(result, {
      changes: [
        {
          clientOrderId: placed[1]!.clientOrderId,
          status: 'filled',
          filledQuantity: '0.01',
          averagePrice: '31000',
        },
      ],
      strays: ['wFx'],
      abandoned: ['wFy'],
      unsettled: [],
      missing: [],
    });
    assert.equal((await findOrder(database.pool, 'wFs'))?.status, 'filled');
    assert.equal((await findOrder(database.pool, 'wFx'))?.status, 'canceled');
    assert.equal((await findOrder(database.pool, 'wFy'))?.status, 'abandoned');
    const open = exchange.market('binance', 'spot').openOrders('keel', symbol);
    assert.deepEqual(
      open.map((order) => order.clientOrderId),
      ['wFb'],
      'only the tracked buy still rests',
    );
  });
});
