import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../../../connectors/exchange-connector';
import { takerOrder } from '../../../workers/sim-world';
import type { ManualCommandResult } from '../../../workflows/strategies/manual/manual-params';
import {
  authHeader,
  capturedLogs,
  createSimWorld,
  readAuthHeader,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { temporalCli } from '../../support/temporal-cli';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';

const SYMBOL = 'MAN-USDT';
/** A symbol without the manual strategy. */
const IDLE_SYMBOL = 'IDL-USDT';

/** The simulator's own order statuses, in the ledger's words. */
const VENUE_STATUS: Record<string, string> = {
  NEW: 'open',
  PARTIALLY_FILLED: 'partially-filled',
  FILLED: 'filled',
  CANCELED: 'canceled',
  EXPIRED: 'expired',
};

interface OrderView {
  clientOrderId: string;
  status: string;
  filledQuantity: string;
  rejection: string | null;
  denial: string | null;
}
interface CommandResult {
  kind: string;
  order: OrderView | null;
  replaced?: OrderView | null;
  note?: string;
}

describe('manual orders: placed, amended and cancelled through the API and the temporal CLI', () => {
  const sim = createSimWorld([SYMBOL, IDLE_SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  /** When set, the venue refuses the account's next order (a revoked key): no retry can fix that. */
  let refuseNextOrder = false;
  const connectors: ConnectorFactory = (venue, kind, account) => {
    const real = sim.connectors(venue, kind, account);
    const refusing: ExchangeConnector = Object.create(real) as ExchangeConnector;
    refusing.createOrder = async (order, options) => {
      if (!refuseNextOrder) return real.createOrder(order, options);
      refuseNextOrder = false;
      throw new ConnectorError('auth', 'binance: API key revoked (simulated)', -2015);
    };
    return refusing;
  };
  // A small history bound: the symbol workflow continues as new every few seconds while orders rest, so
  // commands also meet a run that is closing.
  const ref = testOrchestratorRef('manual', { shardCount: 1, shardMaxHistoryEvents: 150 });
  let database: TestDatabase;
  let app: FastifyInstance;
  let client: Client;
  let stack: Harness | undefined;
  let workflowId: string;

  const symbolDetail = async (symbol = SYMBOL) =>
    (await app.inject({ method: 'GET', url: `/symbols/${symbol}`, headers: readAuthHeader })).json<{
      workflowId: string;
      status: string;
      run: number;
      strategies: Array<{ name: string; openOrders: string[] }>;
    }>();
  const openOrders = async () =>
    (await symbolDetail()).strategies.find((s) => s.name === 'manual')?.openOrders;
  const place = (body: object, symbol = SYMBOL) =>
    app.inject({
      method: 'POST',
      url: `/symbols/${symbol}/manual-orders`,
      headers: authHeader,
      payload: body,
    });
  const amend = (id: string, body: object) =>
    app.inject({
      method: 'PATCH',
      url: `/symbols/${SYMBOL}/manual-orders/${id}`,
      headers: authHeader,
      payload: body,
    });
  const cancel = (id: string) =>
    app.inject({ method: 'DELETE', url: `/symbols/${SYMBOL}/manual-orders/${id}`, headers: authHeader });
  /** The `temporal` CLI sending the symbol workflow's `manualOrder` update, as an operator types it. */
  const cli = async (command: object): Promise<CommandResult> => {
    const { stdout } = await temporalCli(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      workflowId,
      '--name',
      'manualOrder',
      '--input',
      JSON.stringify(command),
      '--output',
      'json',
    );
    return (JSON.parse(stdout) as { result: CommandResult }).result;
  };
  /** The CLI's refusal of an update: its stderr (the command exits non-zero). */
  const cliRefusal = async (command: object): Promise<string> => {
    const refused = await cli(command).then(
      (result) => assert.fail(`accepted: ${JSON.stringify(result)}`),
      (error: unknown) => (error as { stderr?: string }).stderr ?? String(error),
    );
    return refused;
  };
  /** How many times the venue holds an order under this client order id (any status). */
  const onVenue = (clientOrderId: string) =>
    market.accountOrders('keel', SYMBOL).filter((order) => order.clientOrderId === clientOrderId);
  const ledgerRows = async (clientOrderId?: string) =>
    (
      await database.pool.query<{ client_order_id: string; strategy: string; status: string; price: string }>(
        `SELECT client_order_id, strategy, status, price::text FROM ledger_orders
         WHERE symbol = $1 AND ($2::text IS NULL OR client_order_id = $2) ORDER BY created_at`,
        [SYMBOL, clientOrderId ?? null],
      )
    ).rows;
  /** The order is in the ledger once under strategy `manual` with `status`, and on the venue once. */
  const exactlyOnce = async (clientOrderId: string, status: string) => {
    const rows = await ledgerRows(clientOrderId);
    assert.deepEqual(
      rows.map((row) => [row.strategy, row.status]),
      [['manual', status]],
      `ledger rows of ${clientOrderId}`,
    );
    const venue = onVenue(clientOrderId);
    assert.equal(venue.length, 1, `venue orders of ${clientOrderId}`);
    assert.equal(venue[0] && VENUE_STATUS[venue[0].status], status);
  };

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'manual_orders',
      // In-process simulator: a call is over when it returns, so absence is proven at once.
      worker: { deps: { connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
      // Long enough for an order path that retries once; the last test waits longer on purpose.
      api: { manualOrderWaitMs: 5_000 },
    });
    stack = started;
    ({ database, app, client } = started);
    const venues = [{ venue: 'binance', market: 'spot', account: 'keel' }];
    for (const [symbol, strategy] of [
      [SYMBOL, { name: 'manual', params: { refreshMs: 1_000 } }],
      [IDLE_SYMBOL, { name: 'idle' }],
    ] as const) {
      const added = await app.inject({
        method: 'POST',
        url: '/symbols',
        headers: authHeader,
        payload: { symbol, config: { venues, strategies: [strategy] } },
      });
      assert.equal(added.statusCode, 201, added.body);
      await waitFor(`${symbol} running`, async () => (await symbolDetail(symbol)).status === 'running');
    }
    workflowId = (await symbolDetail()).workflowId;
  });
  after(() => stack?.stop());

  let apiOrder: string;
  let cliOrder: string;

  test('an order placed through the API is in the ledger and on the venue exactly once, its response lost once', async () => {
    const lost = sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', nth: 1 });
    const placed = await place({ side: 'buy', type: 'limit', price: '95', quantity: '1' });
    sim.exchange.faults.remove(lost.id);
    assert.equal(placed.statusCode, 201, placed.body);
    assert.equal(lost.fired, 1, 'the venue took the order and its answer was lost');
    const result = placed.json<CommandResult>();
    assert.equal(result.kind, 'place');
    assert.equal(result.order?.status, 'open');
    apiOrder = result.order?.clientOrderId ?? '';
    await exactlyOnce(apiOrder, 'open');
    assert.deepEqual(await openOrders(), [apiOrder]);
  });

  test('an order placed through `temporal workflow update execute` likewise, its response lost once', async () => {
    const lost = sim.exchange.faults.add({ op: 'createOrder', fault: 'lose-response', nth: 1 });
    const result = await cli({ kind: 'place', side: 'sell', type: 'limit', price: '105', quantity: '0.5' });
    sim.exchange.faults.remove(lost.id);
    assert.equal(lost.fired, 1);
    assert.equal(result.order?.status, 'open');
    cliOrder = result.order?.clientOrderId ?? '';
    assert.notEqual(cliOrder, apiOrder);
    await exactlyOnce(cliOrder, 'open');
    assert.deepEqual(await openOrders(), [apiOrder, cliOrder]);

    const orders = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/orders`,
      headers: readAuthHeader,
    });
    assert.deepEqual(
      orders
        .json<{ orders: Array<{ clientOrderId: string; strategy: string; price: string }> }>()
        .orders.map((order) => [order.clientOrderId, order.strategy, Number(order.price)]),
      [
        [cliOrder, 'manual', 105],
        [apiOrder, 'manual', 95],
      ],
      'the ledger view shows both, newest first',
    );
  });

  test('amend cancels and places a replacement under a new client order id (its cancel answer lost once); cancel cancels', async () => {
    const lost = sim.exchange.faults.add({ op: 'cancelOrder', fault: 'lose-response', nth: 1 });
    const amended = await amend(apiOrder, { price: '96', quantity: '2' });
    sim.exchange.faults.remove(lost.id);
    assert.equal(amended.statusCode, 200, amended.body);
    assert.equal(lost.fired, 1);
    const result = amended.json<CommandResult>();
    assert.equal(result.replaced?.clientOrderId, apiOrder);
    assert.equal(result.replaced?.status, 'canceled');
    const replacement = result.order?.clientOrderId ?? '';
    assert.notEqual(replacement, apiOrder);
    await exactlyOnce(apiOrder, 'canceled');
    await exactlyOnce(replacement, 'open');
    assert.deepEqual(
      onVenue(replacement).map((order) => [order.side, Number(order.price), Number(order.quantity)]),
      [['buy', 96, 2]],
    );
    assert.deepEqual(await openOrders(), [cliOrder, replacement]);

    const cancelled = await cancel(replacement);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json<CommandResult>().order?.status, 'canceled');
    await exactlyOnce(replacement, 'canceled');
    assert.deepEqual(await openOrders(), [cliOrder]);
  });

  test('a fill on the venue reaches the ledger and the open orders without a command', async () => {
    takerOrder(market, { symbol: SYMBOL, side: 'buy', price: '105', quantity: '0.5' });
    await waitFor(
      'the filled order gone from the open orders',
      async () => (await openOrders())?.length === 0,
    );
    await exactlyOnce(cliOrder, 'filled');
    const fills = await app.inject({
      method: 'GET',
      url: `/symbols/${SYMBOL}/fills`,
      headers: readAuthHeader,
    });
    assert.deepEqual(
      fills
        .json<{ fills: Array<{ clientOrderId: string; strategy: string; quantity: string }> }>()
        .fills.map((fill) => [fill.clientOrderId, fill.strategy, Number(fill.quantity)]),
      [[cliOrder, 'manual', 0.5]],
    );
  });

  test('bad input is refused with a 4xx or a rejected update that says why, and changes nothing', async () => {
    const ledgerBefore = (await ledgerRows()).length;
    const venueBefore = market.accountOrders('keel', SYMBOL).length;

    const unknown = await place({ side: 'buy', type: 'limit', price: '95', quantity: '1' }, 'NOPE-USDT');
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.match(unknown.json<{ message: string }>().message, /NOPE-USDT is not registered/);

    const notDecimal = await place({ side: 'buy', type: 'limit', price: '95,5', quantity: '1' });
    assert.equal(notDecimal.statusCode, 400, notDecimal.body);
    assert.match(notDecimal.json<{ message: string }>().message, /price: must be a non-negative decimal/);
    assert.match(
      await cliRefusal({ kind: 'place', side: 'buy', type: 'limit', price: 'abc', quantity: '1' }),
      /price: must be a non-negative decimal/,
    );
    assert.match(
      await cliRefusal({ kind: 'place', side: 'buy', type: 'limit', price: '95', quantity: '0' }),
      /quantity: must be above zero/,
    );
    assert.match(await cliRefusal({ kind: 'replace', clientOrderId: apiOrder }), /kind: /);

    const notOpen = await amend(apiOrder, { price: '97' });
    assert.equal(notOpen.statusCode, 404, notOpen.body);
    assert.match(
      notOpen.json<{ message: string }>().message,
      new RegExp(`${apiOrder} is not an open order of the manual strategy`),
    );
    assert.match(
      await cliRefusal({ kind: 'cancel', clientOrderId: cliOrder }),
      new RegExp(`${cliOrder} is not an open order of the manual strategy`),
    );
    const noChange = await amend(apiOrder, {});
    assert.equal(noChange.statusCode, 400, noChange.body);
    assert.match(noChange.json<{ message: string }>().message, /an amend needs a new price or quantity/);

    const noManual = await place({ side: 'buy', type: 'limit', price: '95', quantity: '1' }, IDLE_SYMBOL);
    assert.equal(noManual.statusCode, 409, noManual.body);
    assert.match(noManual.json<{ message: string }>().message, /no manual strategy on this symbol/);

    assert.equal((await ledgerRows()).length, ledgerBefore, 'nothing recorded');
    assert.equal(market.accountOrders('keel', SYMBOL).length, venueBefore, 'nothing sent');
    assert.deepEqual(await openOrders(), []);
    assert.equal((await symbolDetail()).status, 'running', 'the strategy did not fail');
  });

  test("below the venue's minimum, or above the symbol's risk limit: the order path's refusal comes back as a 422", async () => {
    const small = await place({ side: 'buy', type: 'limit', price: '95', quantity: '0.01' });
    assert.equal(small.statusCode, 422, small.body);
    const rejected = small.json<{ message: string; result: CommandResult }>();
    assert.match(rejected.message, /the venue rejected K\w+: invalid-order: .*notional below minimum/i);
    assert.equal(rejected.result.order?.status, 'rejected');
    assert.deepEqual(
      (await ledgerRows(rejected.result.order?.clientOrderId)).map((row) => row.status),
      ['rejected'],
    );
    assert.deepEqual(onVenue(rejected.result.order?.clientOrderId ?? ''), [], 'the venue holds nothing');

    // 200 × 95 = 19000, above the symbol's default maxOrderNotional of 10000.
    const large = await place({ side: 'buy', type: 'limit', price: '95', quantity: '200' });
    assert.equal(large.statusCode, 422, large.body);
    const denied = large.json<{ message: string; result: CommandResult }>();
    assert.match(denied.message, /the risk check denied K\w+: .*19000/);
    assert.equal(denied.result.order?.status, 'denied');
    assert.deepEqual(onVenue(denied.result.order?.clientOrderId ?? ''), [], 'never sent');
    assert.deepEqual(await openOrders(), []);
    assert.equal((await symbolDetail()).status, 'running');
  });

  test('pause cancels the resting manual orders and refuses new ones until resume', async () => {
    const placed = await place({ side: 'buy', type: 'limit', price: '90', quantity: '1' });
    assert.equal(placed.statusCode, 201, placed.body);
    const resting = placed.json<CommandResult>().order?.clientOrderId ?? '';
    const paused = await app.inject({ method: 'POST', url: `/symbols/${SYMBOL}/pause`, headers: authHeader });
    assert.equal(paused.statusCode, 200, paused.body);
    await waitFor('paused', async () => (await symbolDetail()).status === 'paused');
    await exactlyOnce(resting, 'canceled');
    assert.deepEqual(await openOrders(), []);

    const refused = await place({ side: 'buy', type: 'limit', price: '90', quantity: '1' });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json<{ message: string }>().message, /the symbol is paused: resume it first/);

    const resumed = await app.inject({
      method: 'POST',
      url: `/symbols/${SYMBOL}/resume`,
      headers: authHeader,
    });
    assert.equal(resumed.statusCode, 200, resumed.body);
    await waitFor('running', async () => (await symbolDetail()).status === 'running');
    assert.deepEqual(await openOrders(), [], 'resume places nothing by itself');
    const again = await place({ side: 'buy', type: 'limit', price: '90', quantity: '1' });
    assert.equal(again.statusCode, 201, again.body);
    await exactlyOnce(again.json<CommandResult>().order?.clientOrderId ?? '', 'open');
  });

  test('a venue slow to answer: the API answers 202, and the order still lands exactly once', async () => {
    // The first four sends fail before reaching the book; the order path retries 0.5, 1, 2 and 4 s apart.
    const failing = sim.exchange.faults.add({ op: 'createOrder', fault: 'server-error', every: 1, times: 4 });
    const placed = await place({ side: 'sell', type: 'limit', price: '110', quantity: '1' });
    assert.equal(placed.statusCode, 202, placed.body);
    const { updateId } = placed.json<{ updateId: string }>();
    const result = await client.workflow
      .getHandle(workflowId)
      .getUpdateHandle<ManualCommandResult>(updateId)
      .result();
    sim.exchange.faults.remove(failing.id);
    assert.equal(failing.fired, 4);
    assert.equal(result.order?.status, 'open');
    await exactlyOnce(result.order?.clientOrderId ?? '', 'open');
  });

  test('an order path that fails for good fails the strategy (502, the symbol shows it) until resume', async () => {
    refuseNextOrder = true;
    const placed = await place({ side: 'buy', type: 'limit', price: '85', quantity: '1' });
    assert.equal(placed.statusCode, 502, placed.body);
    assert.match(placed.json<{ message: string }>().message, /^manual failed: .*API key revoked/);
    const failed = await symbolDetail();
    assert.equal(failed.status, 'failed');
    await waitFor('its resting orders cancelled (the default policy)', async () => {
      const held = await openOrders();
      return held?.length === 0 && market.openOrders('keel', SYMBOL).length === 0;
    });
    const refused = await place({ side: 'buy', type: 'limit', price: '85', quantity: '1' });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json<{ message: string }>().message, /the symbol has failed|manual failed/);

    const resumed = await app.inject({
      method: 'POST',
      url: `/symbols/${SYMBOL}/resume`,
      headers: authHeader,
    });
    assert.equal(resumed.statusCode, 200, resumed.body);
    await waitFor('running again', async () => (await symbolDetail()).status === 'running');
    const again = await place({ side: 'buy', type: 'limit', price: '85', quantity: '1' });
    assert.equal(again.statusCode, 201, again.body);
    await exactlyOnce(again.json<CommandResult>().order?.clientOrderId ?? '', 'open');
  });

  test('resting orders and the order counter are carried across continue-as-new', async () => {
    const firstRun = (await symbolDetail()).run;
    const placed = await place({ side: 'buy', type: 'limit', price: '80', quantity: '1' });
    assert.equal(placed.statusCode, 201, placed.body);
    const resting = placed.json<CommandResult>().order?.clientOrderId ?? '';
    // While an order rests the strategy reads the venue every second, so the history reaches its bound.
    await waitFor('a new run', async () => (await symbolDetail()).run > firstRun, 120_000);
    assert.ok((await openOrders())?.includes(resting), 'still held by the new run');

    const amended = await amend(resting, { price: '81' });
    assert.equal(amended.statusCode, 200, amended.body);
    const replacement = amended.json<CommandResult>().order?.clientOrderId ?? '';
    await exactlyOnce(resting, 'canceled');
    await exactlyOnce(replacement, 'open');

    const venueIds = market.accountOrders('keel', SYMBOL).map((order) => order.clientOrderId);
    assert.equal(new Set(venueIds).size, venueIds.length, 'no client order id placed twice');
    const sent = (await ledgerRows()).filter((row) => row.status !== 'rejected' && row.status !== 'denied');
    assert.deepEqual(sent.map((row) => row.client_order_id).sort(), [...venueIds].sort(), 'ledger = venue');
    const unanswered = capturedLogs.filter((entry) => entry.message.includes('TMPRL1102'));
    assert.deepEqual(unanswered, [], 'no run closed while an update was still being carried out');
  });

  test('fuzzed manual-order requests never yield a 5xx, always say why, and place nothing', async () => {
    const ledgerBefore = (await ledgerRows()).length;
    const decimalish = fc.oneof(
      fc.constantFrom('1', '0', '95.5', '-1', '1e3', '0x10', ' 1', '1.', '', '9'.repeat(30)),
      fc.anything(),
    );
    const orderLike = fc.record(
      {
        side: fc.oneof(fc.constantFrom('buy', 'sell', 'BUY'), fc.anything()),
        type: fc.oneof(fc.constantFrom('limit', 'market', 'stop'), fc.anything()),
        price: decimalish,
        quantity: decimalish,
        postOnly: fc.oneof(fc.boolean(), fc.anything()),
        timeInForce: fc.oneof(fc.constantFrom('GTC', 'IOC', 'FOK', 'GTX'), fc.anything()),
        kind: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const idLike = fc.oneof(fc.string(), fc.constantFrom('K1', 'x'.repeat(200), '%', '..', 'K'.repeat(28)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'PATCH', 'DELETE'),
        idLike,
        fc.oneof(orderLike, fc.anything()),
        async (method, id, body) => {
          // POST goes to the symbol without a manual strategy: a well-formed order is refused there too.
          const url =
            method === 'POST'
              ? `/symbols/${IDLE_SYMBOL}/manual-orders`
              : `/symbols/${SYMBOL}/manual-orders/${encodeURIComponent(id)}`;
          const response = await app.inject({
            method,
            url,
            headers: authHeader,
            ...(method === 'DELETE' ? {} : { payload: body as object }),
          });
          const shown = `${method} ${url} ${JSON.stringify(body)?.slice(0, 200)}`;
          assert.ok(
            response.statusCode >= 400 && response.statusCode < 500,
            `${response.statusCode} for ${shown}`,
          );
          assert.equal(typeof response.json<{ message?: unknown }>().message, 'string', `says why: ${shown}`);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal((await ledgerRows()).length, ledgerBefore, 'nothing recorded');
  });

  test('a request sent again with its Idempotency-Key answers as the first did and places nothing more', async () => {
    const send = (key: string) =>
      app.inject({
        method: 'POST',
        url: `/symbols/${SYMBOL}/manual-orders`,
        headers: { ...authHeader, 'idempotency-key': key },
        payload: { side: 'buy', type: 'limit', price: '94', quantity: '1' },
      });
    const first = await send('order-94-a');
    assert.equal(first.statusCode, 201, first.body);
    const again = await send('order-94-a');
    assert.equal(again.statusCode, 201, again.body);
    const id = first.json<CommandResult>().order?.clientOrderId ?? '';
    assert.equal(again.json<CommandResult>().order?.clientOrderId, id, 'the same order, not a second');
    await exactlyOnce(id, 'open');
    const bad = await send('not a key!');
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.json<{ message: string }>().message, /idempotency-key/);
    const cancelled = await cancel(id);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
  });
});
