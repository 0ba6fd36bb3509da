import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { committedModelFile } from '../../../activities/signal-model';
import type { Features } from '../../../signal/features';
import { modelInput, SignalModelSpecSchema, upProbability } from '../../../signal/logistic-model';
import { runInRealTime } from '../../../sim/realtime';
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

const SYMBOL = 'SIG-USDT';
const MODEL_SYMBOL = 'MDL-USDT';
const BAD_MODEL_SYMBOL = 'BAD-USDT';
const EXPIRY_SYMBOL = 'EXP-USDT';
const DEPTH_SYMBOL = 'DEP-USDT';
/** Signals that hold a minute: a position stays while a test looks at it. */
const LONG_HOLD = { minSamples: 1, generator: { kind: 'imbalance', decayMs: 60_000 } };
const venues = [{ venue: 'binance', market: 'spot', account: 'keel' }];

interface SignalStateView {
  position: string;
  decisions: number;
  orders: number;
  tradeFlow?: boolean;
  depthBook?: { synced: boolean; sequence: number; snapshots: number; resyncs: number } | null;
  lastDecision?: {
    reason: string;
    side: string;
    strength: number | null;
    outcome: string;
    filled: string;
    touch: { bid: string; ask: string; bidSize: string; askSize: string };
    features: Features;
  };
}

describe('the signal strategy: the hot loop decides, the exactly-once path orders', () => {
  const sim = createSimWorld([SYMBOL, MODEL_SYMBOL, BAD_MODEL_SYMBOL, EXPIRY_SYMBOL, DEPTH_SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  const ref = testOrchestratorRef('signal', { shardCount: 1 });
  let database: TestDatabase;
  let app: FastifyInstance;
  let stack: Harness | undefined;

  /** The other side of the market: account `mm` rests what makes the touch. */
  const rest = (symbol: string, side: 'buy' | 'sell', price: string, quantity: string) =>
    market.placeOrder({ account: 'mm', symbol, side, type: 'limit', price, quantity, timeInForce: 'GTC' });
  const clearBook = (symbol: string) => {
    for (const order of market.openOrders('mm', symbol)) market.cancelOrder('mm', { orderId: order.orderId });
  };
  const detail = async (symbol: string) =>
    (await app.inject({ method: 'GET', url: `/symbols/${symbol}`, headers: readAuthHeader })).json<{
      status: string;
      problems: string[];
      strategies: Array<{ name: string; state: SignalStateView; health: string }>;
    }>();
  const signalState = async (symbol: string) =>
    (await detail(symbol)).strategies.find((strategy) => strategy.name === 'signal')?.state;
  const config = (params: object) => ({ venues, strategies: [{ name: 'signal', params }] });
  const add = async (symbol: string, params: object) =>
    app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol, config: config(params) },
    });

  const update = (symbol: string, params: object) =>
    app.inject({
      method: 'PUT',
      url: `/symbols/${symbol}`,
      headers: authHeader,
      payload: { config: config(params) },
    });

  /** Every order of the strategy: once in the ledger, once on the venue, and the fills agree. */
  const compareOrders = async (symbol: string) => {
    const { rows } = await database.pool.query<{ client_order_id: string; filled: string; side: string }>(
      `SELECT client_order_id, filled_quantity::text AS filled, side FROM ledger_orders
        WHERE symbol = $1 AND strategy = 'signal' ORDER BY created_at`,
      [symbol],
    );
    const onVenue = market.accountOrders('keel', symbol);
    assert.equal(onVenue.length, rows.length, 'one venue order per ledger order');
    assert.equal(new Set(onVenue.map((order) => order.clientOrderId)).size, onVenue.length, 'no duplicate');
    for (const row of rows) {
      const order = onVenue.find((venueOrder) => venueOrder.clientOrderId === row.client_order_id);
      assert.ok(order, `${row.client_order_id} is on the venue`);
      assert.equal(Number(order.filledQuantity), Number(row.filled), `${row.client_order_id} filled`);
    }
    return rows.reduce((sum, row) => sum + (row.side === 'buy' ? 1 : -1) * Number(row.filled), 0);
  };
  /**
   * The same once the order in flight (if any) has settled in the ledger: a strategy still trading may
   * have an order the venue filled and the ledger has yet to record. A duplicate stays a duplicate.
   */
  const ordersAgree = async (symbol: string) =>
    (
      await waitFor(
        `${symbol}: ledger and venue agree`,
        async () => ({ net: await compareOrders(symbol) }),
        10_000,
        100,
      )
    ).net;

  // The venue's clock runs as a live venue's does: the feature windows are in venue time.
  let stopClock: () => void = () => undefined;
  before(async () => {
    stopClock = runInRealTime(sim.exchange);
    sim.exchange.fundAccount('mm');
    const started = await startHarness({
      database: 'signal_strategy',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
    });
    stack = started;
    ({ database, app } = started);
  });
  after(async () => {
    await stack?.stop();
    stopClock();
  });

  test('bad params are refused with a message and start nothing', async () => {
    for (const [params, message] of [
      [{ maxPosition: '0' }, /maxPosition.*above zero/],
      [{ maxPosition: '1', generator: { kind: 'model', model: '../x' } }, /model name/],
      [{ maxPosition: '1', orderSizeFraction: 2 }, /orderSizeFraction/],
      [{ maxPosition: '1', execution: 'aggressive' }, /execution/],
    ] as const) {
      const refused = await add(SYMBOL, params);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(refused.body, message);
    }
    const listed = await app.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader });
    assert.doesNotMatch(listed.body, /SIG-USDT/);
  });

  test('a bid-heavy touch buys up to the position limit, each order once though a response is lost', async () => {
    rest(SYMBOL, 'buy', '99.99', '10');
    rest(SYMBOL, 'sell', '100.01', '0.5');
    const lost = sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', nth: 1 });
    // The signal holds a minute, so the position is held while the test looks.
    const added = await add(SYMBOL, { ...LONG_HOLD, maxPosition: '0.2' });
    assert.equal(added.statusCode, 201, added.body);
    const state = await waitFor('the position at its limit', async () => {
      const seen = await signalState(SYMBOL);
      return seen?.position === '0.2' ? seen : undefined;
    });
    sim.exchange.faults.remove(lost.id);
    assert.equal(lost.fired, 1, 'the venue took an order and its answer was lost');
    assert.equal(state.lastDecision?.reason, 'entry');
    assert.equal(state.tradeFlow, true, "the simulator's public trades reach the loop");
    // Half the limit per entry: two buys of 0.1 at the ask.
    assert.deepEqual(
      market.accountFills('keel', SYMBOL).map((fill) => [fill.side, fill.price, fill.quantity]),
      [
        ['buy', '100.01', '0.1'],
        ['buy', '100.01', '0.1'],
      ],
    );
    assert.equal(await ordersAgree(SYMBOL), 0.2);
    assert.equal((await detail(SYMBOL)).status, 'running');
  });

  test('an ask-heavy touch closes the long; long only, it opens no short until allowed', async () => {
    // The strategy's own buys are aggressive buys on the tape: flow against a sell signal. Once they have
    // left the 1 s window, the flip's touches read the book alone.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    clearBook(SYMBOL);
    rest(SYMBOL, 'buy', '99.99', '0.5');
    rest(SYMBOL, 'sell', '100.01', '10');
    const closed = await waitFor('the long closed', async () => {
      const seen = await signalState(SYMBOL);
      return seen?.position === '0' ? seen : undefined;
    });
    assert.equal(closed.lastDecision?.reason, 'exit-reversal');
    assert.deepEqual(
      market
        .accountFills('keel', SYMBOL)
        .slice(2)
        .map((fill) => [fill.side, fill.price, fill.quantity]),
      [['sell', '99.99', '0.2']],
    );
    // Each watch weighs the standing touch at once: a short would be decided within a watch or two.
    const ordersBefore = market.accountOrders('keel', SYMBOL).length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(market.accountOrders('keel', SYMBOL).length, ordersBefore, 'no short while long only');
    const allowed = await update(SYMBOL, { ...LONG_HOLD, maxPosition: '0.2', allowShort: true });
    assert.equal(allowed.statusCode, 200, allowed.body);
    await waitFor(
      'a short at the limit once allowed',
      async () => (await signalState(SYMBOL))?.position === '-0.2',
    );
    assert.equal(await ordersAgree(SYMBOL), -0.2);
  });

  test('a position whose signal runs out in a quiet market is closed', async () => {
    rest(EXPIRY_SYMBOL, 'buy', '99.99', '10');
    rest(EXPIRY_SYMBOL, 'sell', '100.01', '0.5');
    const added = await add(EXPIRY_SYMBOL, {
      maxPosition: '0.2',
      minSamples: 1,
      generator: { kind: 'imbalance', decayMs: 300 },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor('a long', async () => Number((await signalState(EXPIRY_SYMBOL))?.position) > 0);
    // A balanced touch gives no signal: the long's 300 ms hold runs out and it is sold, and nothing follows.
    clearBook(EXPIRY_SYMBOL);
    rest(EXPIRY_SYMBOL, 'buy', '99.99', '5');
    rest(EXPIRY_SYMBOL, 'sell', '100.01', '5');
    const flat = await waitFor('the long closed', async () => {
      const seen = await signalState(EXPIRY_SYMBOL);
      return seen?.position === '0' ? seen : undefined;
    });
    assert.equal(flat.lastDecision?.reason, 'exit-expired');
    const ordersThen = market.accountOrders('keel', EXPIRY_SYMBOL).length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(market.accountOrders('keel', EXPIRY_SYMBOL).length, ordersThen, 'no entry without a signal');
    assert.equal(await ordersAgree(EXPIRY_SYMBOL), 0);
  });

  test("the depth features read the venue's L2 book, which is resynced after a lost diff", async () => {
    // A balanced touch over a book that is deeper on the bid side.
    rest(DEPTH_SYMBOL, 'buy', '99.99', '0.5');
    rest(DEPTH_SYMBOL, 'buy', '99.98', '5');
    rest(DEPTH_SYMBOL, 'buy', '99.97', '5');
    rest(DEPTH_SYMBOL, 'sell', '100.01', '0.5');
    rest(DEPTH_SYMBOL, 'sell', '100.02', '2');
    rest(DEPTH_SYMBOL, 'sell', '100.03', '2.5');
    const added = await add(DEPTH_SYMBOL, {
      ...LONG_HOLD,
      maxPosition: '0.1',
      orderSizeFraction: 1,
      quietWaitMs: 1_000,
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      'the book synced',
      async () => (await signalState(DEPTH_SYMBOL))?.depthBook?.synced === true,
    );
    // The touch turns bid-heavy: the entry is decided on the touch, its depth ratio on ten levels a side.
    rest(DEPTH_SYMBOL, 'buy', '99.99', '9.5');
    const entered = await waitFor('the entry', async () => {
      const seen = await signalState(DEPTH_SYMBOL);
      return seen?.position === '0.1' ? seen : undefined;
    });
    assert.deepEqual(entered.lastDecision?.touch, {
      bid: '99.99',
      ask: '100.01',
      bidSize: '10',
      askSize: '0.5',
    });
    assert.equal(
      entered.lastDecision?.features.depthRatio,
      (10 + 5 + 5) / (0.5 + 2 + 2.5),
      'not the touch’s 20 : 1',
    );
    // A diff lost on the way: the next one shows the gap, and the book is fetched again.
    const before = entered.depthBook!;
    const gap = sim.exchange.faults.add({
      venue: 'binance',
      market: 'spot',
      op: 'marketData',
      fault: 'depth-gap',
      times: 1,
    });
    await waitFor('the gap fault fired', async () => gap.fired === 1);
    rest(DEPTH_SYMBOL, 'buy', '99.90', '1');
    rest(DEPTH_SYMBOL, 'buy', '99.89', '1');
    const resynced = await waitFor('the book resynced', async () => {
      const seen = (await signalState(DEPTH_SYMBOL))?.depthBook;
      return seen && seen.resyncs > before.resyncs && seen.synced ? seen : undefined;
    });
    sim.exchange.faults.remove(gap.id);
    assert.equal(resynced.resyncs, before.resyncs + 1, 'one lost diff, one resync');
    assert.equal(resynced.snapshots, before.snapshots + 1);
    assert.ok(resynced.sequence > before.sequence);
    assert.equal(await ordersAgree(DEPTH_SYMBOL), 0.1);
  });

  test('refused orders are recorded, never sent, not re-sent on every update, and degrade the strategy', async () => {
    const before = await signalState(SYMBOL);
    const updated = await app.inject({
      method: 'PUT',
      url: `/symbols/${SYMBOL}`,
      headers: authHeader,
      payload: {
        config: {
          ...config({ ...LONG_HOLD, maxPosition: '0.2', allowShort: true, cooldownMs: 500 }),
          risk: { maxOrderNotional: '1' },
        },
      },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    // New risk limits replace the strategy: the old one closes its short as it stops (flattenOnStop), and
    // the new one starts flat.
    await waitFor('the short closed on replace', async () => (await signalState(SYMBOL))?.position === '0');
    assert.deepEqual(market.accountFills('keel', SYMBOL).at(-1)?.quantity, '0.2');
    // Then every entry is over the notional limit: denied each time.
    clearBook(SYMBOL);
    rest(SYMBOL, 'buy', '99.99', '10');
    rest(SYMBOL, 'sell', '100.01', '0.5');
    const degraded = await waitFor('the strategy degraded', async () => {
      const seen = await detail(SYMBOL);
      return seen.status === 'degraded' ? seen : undefined;
    });
    assert.match(degraded.problems.join('\n'), /the last \d+ orders were refused: .*maxOrderNotional/);
    const state = degraded.strategies[0]!.state;
    assert.equal(before?.position, '-0.2');
    assert.equal(state.position, '0', 'nothing filled');
    assert.equal(state.lastDecision?.reason, 'entry');
    const sentBefore = market.accountOrders('keel', SYMBOL).length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { rows } = await database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_orders WHERE symbol = $1 AND status = 'denied'`,
      [SYMBOL],
    );
    // One per 500 ms cooldown: a handful, never one per watch.
    assert.ok(rows[0]!.n >= 3 && rows[0]!.n <= 12, `${rows[0]!.n} denied orders`);
    assert.equal(
      market.accountOrders('keel', SYMBOL).length,
      sentBefore,
      'a denied order never reaches the venue',
    );
  });

  test("the committed ONNX model trades on the same touch; its strength is the script's computation", async () => {
    rest(MODEL_SYMBOL, 'buy', '99.99', '10');
    rest(MODEL_SYMBOL, 'sell', '100.01', '0.5');
    const added = await add(MODEL_SYMBOL, {
      maxPosition: '0.1',
      minSamples: 1,
      generator: { kind: 'model', model: 'btcusdt-logistic' },
    });
    assert.equal(added.statusCode, 201, added.body);
    const state = await waitFor('a model entry', async () => {
      const seen = await signalState(MODEL_SYMBOL);
      return seen?.lastDecision ? seen : undefined;
    });
    // The features it decided on are the touch's (a first entry takes from the ask; its print is on the tape).
    const { touch, features } = state.lastDecision!;
    const [bidSize, askSize] = [Number(touch.bidSize), Number(touch.askSize)];
    assert.ok(Math.abs(features.imbalance - (bidSize - askSize) / (bidSize + askSize)) < 1e-12);
    assert.ok(Math.abs(features.spreadBps - 2) < 1e-9);
    assert.ok(Math.abs(features.depthRatio - bidSize / askSize) < 1e-9);
    const spec = SignalModelSpecSchema.parse(
      JSON.parse(readFileSync(committedModelFile('btcusdt-logistic').replace(/\.onnx$/, '.json'), 'utf8')),
    );
    const input = new Float64Array(spec.features.length);
    modelInput(spec, features, input);
    const p = upProbability(spec, input);
    assert.ok(p > 0.6, `the model is bullish on a bid-heavy touch: ${p}`);
    assert.equal(state.lastDecision?.side, 'buy');
    assert.ok(
      Math.abs((state.lastDecision?.strength ?? 0) - (2 * p - 1)) < 1e-4,
      `${state.lastDecision?.strength} vs ${2 * p - 1}`,
    );
    await ordersAgree(MODEL_SYMBOL);
  });

  test('a model that cannot be loaded fails the strategy, naming the file, instead of trading blind', async () => {
    rest(BAD_MODEL_SYMBOL, 'buy', '99.99', '10');
    rest(BAD_MODEL_SYMBOL, 'sell', '100.01', '0.5');
    const added = await add(BAD_MODEL_SYMBOL, {
      maxPosition: '0.1',
      generator: { kind: 'model', model: 'no-such-model' },
    });
    assert.equal(added.statusCode, 201, added.body);
    const failed = await waitFor('the strategy failed', async () => {
      const seen = await detail(BAD_MODEL_SYMBOL);
      return seen.status === 'failed' ? seen : undefined;
    });
    assert.match(failed.problems.join('\n'), /no-such-model\.json cannot be read/);
    assert.equal(market.accountOrders('keel', BAD_MODEL_SYMBOL).length, 0);
  });
});
