import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createExactlyOnceOrderActivities,
  type PlaceOrderInput,
  type PlacementResult,
} from '../../../activities/place-order-once';
import type { ExchangeConnector } from '../../../connectors/exchange-connector';
import { createSimHttpConnector } from '../../../connectors/sim/http-connector';
import { SimExchange } from '../../../sim/exchange';
import { createSimServer, type SimServer } from '../../../sim/server/server';
import { startHarness, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

/**
 * #11.7: absence is proven on one clock (PostgreSQL's, which wrote `sent_at`), from when the request
 * could last leave, and a request the network delays beyond its recvWindow is refused by the venue, never
 * executed late. The venue is the networked simulator, reached over HTTP like a real one.
 */
const symbol = 'BTC-USDT';
const account = 'keel';
const SETTLE_WINDOW_MS = 7_000;

describe('the settle window: no duplicate whatever the network or the clocks do', () => {
  let harness: Harness;
  let database: TestDatabase;
  let exchange: SimExchange;
  let server: SimServer;
  let baseUrl: string;

  before(async () => {
    const started = await startHarness({ database: 'settle_window', worker: false });
    harness = started;
    ({ database } = started);
  });
  after(() => harness?.stop());

  /** A fresh venue: client ids reusable once closed, and a resting ask our IOC buys fill against at once. */
  async function openVenue() {
    exchange = new SimExchange({ seed: 7 });
    const venue = exchange.venue('binance');
    venue.setClientIdReuse('after-close');
    venue.deposit('spot', 'maker', 'BTC', '100');
    venue.deposit('spot', account, 'USDT', '1000000');
    exchange
      .market('binance', 'spot')
      .placeOrder({ account: 'maker', symbol, side: 'sell', type: 'limit', price: '30000', quantity: '10' });
    // The simulator's own latency, observed: how many injected delays have run out (the request then goes
    // on at once, synchronously, to its recvWindow check and execution).
    delaysOver = 0;
    server = createSimServer(exchange, {
      sleep: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        delaysOver += 1;
      },
    });
    baseUrl = await server.listen(0);
  }
  let delaysOver = 0;

  const order = (clientOrderId: string): PlaceOrderInput => ({
    clientOrderId,
    venue: 'binance',
    market: 'spot',
    account,
    symbol,
    strategy: 'probe',
    side: 'buy',
    type: 'limit',
    price: '30000',
    quantity: '0.001',
    timeInForce: 'IOC',
    limits: { maxOpenOrders: 100, maxOrderNotional: '1000000' },
    live: false,
  });

  async function place(connector: ExchangeConnector, input: PlaceOrderInput) {
    const activities = createExactlyOnceOrderActivities({
      pool: database.pool,
      connectors: () => connector,
      settleWindowMs: () => SETTLE_WINDOW_MS,
    });
    const { worker, taskQueue } = await harness.createWorker(
      { workflows: join(import.meta.dirname, 'place-orders-workflow.ts'), activities },
      uniqueName('settle-window'),
    );
    const run = harness.client.workflow.execute('placeOrdersWorkflow', {
      taskQueue,
      workflowId: uniqueName('settle'),
      args: [[input]],
    });
    return (await worker.runUntil(run)) as PlacementResult[];
  }

  const ordersOnVenue = (clientOrderId: string) =>
    exchange
      .market('binance', 'spot')
      .accountOrders(account, symbol)
      .filter((placed) => placed.clientOrderId === clientOrderId);

  test('a request delayed longer than the settle window is refused when it finally arrives: one order', async () => {
    await openVenue();
    try {
      // The first send is held 9 s in the network: its client gives up after 1 s, the placer proves the
      // order absent after 7 s and sends again; then the first request arrives, 9 s old.
      const delayed = exchange.faults.add({ op: 'createOrder', fault: 'latency', latencyMs: 9_000, nth: 1 });
      const connector = createSimHttpConnector({
        baseUrl,
        venue: 'binance',
        market: 'spot',
        account,
        requestTimeoutMs: 1_000,
      });
      const [result] = await place(connector, order('SW1'));
      assert.equal(result?.status, 'filled');
      assert.equal(delayed.fired, 1);
      await waitFor('the delayed request to reach the venue', () => delaysOver >= 1, 15_000);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(ordersOnVenue('SW1').length, 1, 'the late request was refused, not executed');
    } finally {
      await server.close();
    }
  });

  test('a worker whose clock runs a minute ahead of the database cannot prove absence early', async () => {
    await openVenue();
    const realNow = Date.now.bind(Date);
    try {
      // The first send fails before the venue acts on it: the order does not exist, but the placer cannot
      // know that until its settle window has passed since the send.
      exchange.faults.add({ op: 'createOrder', fault: 'server-error', nth: 1 });
      const http = createSimHttpConnector({ baseUrl, venue: 'binance', market: 'spot', account });
      const sends: number[] = [];
      const connector: ExchangeConnector = Object.create(http) as ExchangeConnector;
      connector.createOrder = (input, options) => {
        sends.push(performance.now());
        // From the first send on, this process's clock (the worker's, and here the venue's too) is 60 s
        // ahead of PostgreSQL's, which wrote `sent_at`.
        Date.now = () => realNow() + 60_000;
        return http.createOrder(input, options);
      };
      const [result] = await place(connector, order('SW2'));
      assert.equal(result?.status, 'filled');
      assert.equal(sends.length, 2);
      const [first = 0, second = 0] = sends;
      assert.ok(
        second - first >= SETTLE_WINDOW_MS - 500,
        `sent again ${Math.round(second - first)} ms after the first send, inside the ${SETTLE_WINDOW_MS} ms window`,
      );
      assert.equal(ordersOnVenue('SW2').length, 1);
    } finally {
      Date.now = realNow;
      await server.close();
    }
  });
});
