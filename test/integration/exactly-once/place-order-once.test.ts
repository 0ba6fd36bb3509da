import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createExactlyOnceOrderActivities, type PlaceOrderInput } from '../../../activities/place-order-once';
import { ConnectorError, type ExchangeConnector } from '../../../connectors/exchange-connector';
import { createSimConnector } from '../../../connectors/sim/in-process-connector';
import { SimExchange } from '../../../sim';
import { startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';

const symbol = 'BTC-USDT';
const account = 'keel';

/** A venue with a deep resting ask at 30000 for our buys to fill against, and funds for `keel`. */
function preparedExchange(seed: number, reuse: 'never' | 'after-close') {
  const exchange = new SimExchange({ seed });
  const venue = exchange.venue('binance');
  venue.setClientIdReuse(reuse);
  venue.deposit('spot', 'maker', 'BTC', '100');
  venue.deposit('spot', account, 'USDT', '1000000');
  exchange
    .market('binance', 'spot')
    .placeOrder({ account: 'maker', symbol, side: 'sell', type: 'limit', price: '30000', quantity: '10' });
  return exchange;
}

/** Half the orders rest far below the market, half cross the ask and fill at once (then are closed). */
function orders(prefix: string, count: number): PlaceOrderInput[] {
  return Array.from({ length: count }, (_, i) => ({
    clientOrderId: `${prefix}${i}`,
    venue: 'binance' as const,
    market: 'spot' as const,
    account,
    symbol,
    strategy: 'probe',
    side: 'buy' as const,
    type: 'limit' as const,
    price: i % 2 === 0 ? '29000' : '30000',
    quantity: '0.001',
    limits: { maxOpenOrders: 1_000, maxOrderNotional: '1000000' },
    live: false,
    ...(i % 2 === 0 ? {} : { timeInForce: 'IOC' as const }),
  }));
}

function injectFaults(exchange: SimExchange) {
  return [
    exchange.faults.add({ op: 'createOrder', fault: 'lose-response', probability: 0.3 }),
    exchange.faults.add({ op: 'createOrder', fault: 'rate-limit', probability: 0.15 }),
    exchange.faults.add({ op: 'createOrder', fault: 'server-error', probability: 0.15 }),
    exchange.faults.add({ op: 'getOrder', fault: 'server-error', probability: 0.2 }),
    exchange.faults.add({ op: 'createOrder', fault: 'latency', probability: 0.2, latencyMs: 30 }),
  ];
}

/** Orders per client order id on the venue. */
function venueOrderCounts(exchange: SimExchange): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of exchange.market('binance', 'spot').accountOrders(account, symbol)) {
    counts.set(order.clientOrderId, (counts.get(order.clientOrderId) ?? 0) + 1);
  }
  return counts;
}

describe('placing orders exactly once under injected faults (real Temporal retries, real PostgreSQL ledger)', () => {
  let database: TestDatabase;
  /** A database and a client for the file; each run gets a worker of its own (test-only workflow). */
  let harness: Harness;

  before(async () => {
    const started = await startHarness({ database: 'exactly_once', worker: false });
    ({ database } = started);
    harness = started;
  });
  after(() => harness?.stop());

  async function runWorkflow(activities: object, input: PlaceOrderInput[]) {
    const { worker, taskQueue } = await harness.createWorker(
      { workflows: join(import.meta.dirname, 'place-orders-workflow.ts'), activities },
      uniqueName('exactly-once'),
    );
    const run: Promise<unknown> = harness.client.workflow.execute('placeOrdersWorkflow', {
      taskQueue,
      workflowId: uniqueName('place-orders'),
      args: [input],
    });
    return worker.runUntil(run);
  }

  for (const reuse of ['never', 'after-close'] as const) {
    test(`client ids reusable ${reuse === 'never' ? 'never' : 'once the order closed'}: every order exactly once, ledger = venue`, async () => {
      const exchange = preparedExchange(reuse === 'never' ? 11 : 12, reuse);
      const faults = injectFaults(exchange);
      const connector = createSimConnector({ exchange, venue: 'binance', market: 'spot', account });
      const prefix = reuse === 'never' ? 'xoN' : 'xoA';
      const input = orders(prefix, 40);

      const results = (await runWorkflow(
        createExactlyOnceOrderActivities({
          pool: database.pool,
          connectors: () => connector,
          settleWindowMs: () => 0,
        }),
        input,
      )) as Array<{ clientOrderId: string; status: string }>;

      const fired = Object.fromEntries(faults.map((rule) => [`${rule.op}:${rule.fault}`, rule.fired]));
      assert.ok(
        (fired['createOrder:lose-response'] ?? 0) >= 5,
        `lost responses injected: ${JSON.stringify(fired)}`,
      );

      // On the venue: each client order id exactly once, none missing.
      const counts = venueOrderCounts(exchange);
      assert.deepEqual(
        [...counts.entries()].filter(([, n]) => n !== 1),
        [],
        'no client order id placed twice',
      );
      assert.deepEqual([...counts.keys()].sort(), input.map((o) => o.clientOrderId).sort(), 'no order lost');

      // Ledger and venue agree order by order; nothing left unknown.
      const venueOrders = exchange.market('binance', 'spot').accountOrders(account, symbol);
      const { rows } = await database.pool.query<{
        client_order_id: string;
        status: string;
        filled_quantity: string;
      }>(
        `SELECT client_order_id, status, filled_quantity::text FROM ledger_orders WHERE client_order_id LIKE $1`,
        [`${prefix}%`],
      );
      const ledger = new Map(rows.map((row) => [row.client_order_id, row]));
      for (const order of venueOrders) {
        const row = ledger.get(order.clientOrderId);
        assert.ok(row, `${order.clientOrderId} is in the ledger`);
        const expected =
          order.status === 'NEW' ? 'open' : order.status === 'FILLED' ? 'filled' : order.status.toLowerCase();
        assert.equal(row.status, expected, order.clientOrderId);
        assert.equal(Number(row.filled_quantity), Number(order.filledQuantity), order.clientOrderId);
      }
      assert.equal(rows.length, venueOrders.length);
      assert.deepEqual(
        results.map((r) => r.status).sort(),
        [...Array.from({ length: 20 }, () => 'filled'), ...Array.from({ length: 20 }, () => 'open')].sort(),
      );

      // Each filled order has fills summing to its quantity: 20 × 0.001.
      const fills = await database.pool.query<{ total: string }>(
        `SELECT sum(quantity)::text AS total FROM ledger_fills WHERE client_order_id LIKE $1`,
        [`${prefix}%`],
      );
      assert.equal(Number(fills.rows[0]?.total), 0.02);
      console.log(
        `[exactly-once ${reuse}] faults fired: ${JSON.stringify(fired)}; orders ${venueOrders.length}, duplicates 0`,
      );
    });
  }

  test('control: without the ledger and lookup, the same faults duplicate orders (so the check above can fail)', async () => {
    const exchange = preparedExchange(12, 'after-close');
    injectFaults(exchange);
    const connector: ExchangeConnector = createSimConnector({
      exchange,
      venue: 'binance',
      market: 'spot',
      account,
    });
    const naive = {
      // Sends on every attempt and counts "duplicate id" as success: what exactly-once must not be.
      async placeOrderOnce(input: PlaceOrderInput) {
        try {
          const order = await connector.createOrder({
            ...input,
            clientOrderId: input.clientOrderId,
          });
          return { clientOrderId: input.clientOrderId, status: order.status };
        } catch (error) {
          if (error instanceof ConnectorError && error.kind === 'duplicate-client-order-id') {
            return { clientOrderId: input.clientOrderId, status: 'open' };
          }
          throw error;
        }
      },
    };
    await runWorkflow(naive, orders('xoC', 40));
    const duplicated = [...venueOrderCounts(exchange).values()].filter((n) => n > 1).length;
    assert.ok(duplicated > 0, 'the naive path placed some client order id twice');
  });
});
