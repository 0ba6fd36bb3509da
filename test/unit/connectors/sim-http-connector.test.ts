import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { BestBidAsk } from '../../../connectors/exchange-connector';
import { createSimHttpConnector } from '../../../connectors/sim/http-connector';
import { SimExchange } from '../../../sim/exchange';
import { createSimServer } from '../../../sim/server/server';
import { connectorContract } from '../../support/connector-contract';
import { waitFor } from '../../support/wait';
import { recvWindowScenario } from '../sim/connector-recv-window';
import { heldLatency } from '../sim/helpers';

connectorContract(
  'networked sim',
  async ({ exchange, market, account }) => {
    const server = createSimServer(exchange);
    const baseUrl = await server.listen(0);
    const connector = createSimHttpConnector({ baseUrl, venue: 'binance', market, account });
    return {
      connector,
      close: async () => {
        await connector.close();
        await server.close();
      },
    };
  },
  ['spot', 'perp'],
  { depth: true, trades: true },
);

void describe('networked sim connector', () => {
  void test('a server that is not there is retryable', async () => {
    const server = createSimServer(new SimExchange());
    const baseUrl = await server.listen(0);
    await server.close();
    const c = createSimHttpConnector({ baseUrl, venue: 'okx', market: 'spot', account: 'alice' });
    await assert.rejects(c.instruments(), (e) => e instanceof ConnectorError && e.kind === 'retryable');
  });

  void test('streams the snapshot then touch changes over the WebSocket; a dropped feed is retryable', async () => {
    const exchange = new SimExchange({ seed: 2 });
    exchange.venue('okx').deposit('perp', 'maker', 'USDT', '1000000');
    const m = exchange.market('okx', 'perp');
    const rest = (side: 'buy' | 'sell', price: string) =>
      m.placeOrder({ account: 'maker', symbol: 'ETH-USDT', side, type: 'limit', quantity: '1', price });
    rest('buy', '3000');
    rest('sell', '3001');
    const server = createSimServer(exchange);
    const baseUrl = await server.listen(0);
    const c = createSimHttpConnector({ baseUrl, venue: 'okx', market: 'perp', account: 'alice' });
    try {
      const quotes: BestBidAsk[] = [];
      const ac = new AbortController();
      const done = c.watchBestBidAsk(['ETH-USDT'], (q) => quotes.push(q), ac.signal);
      await waitFor('the first quote', () => quotes.length === 1, 4_000, 1);
      rest('sell', '3000.5');
      await waitFor('the changed quote', () => quotes.length === 2, 4_000, 1);
      assert.deepEqual(
        quotes.map((q) => [q.bid, q.ask, q.askSize]),
        [
          ['3000', '3001', '1'],
          ['3000', '3000.5', '1'],
        ],
      );
      ac.abort();
      await done;

      let seen = 0;
      const dropped = c.watchBestBidAsk(['ETH-USDT'], () => seen++, new AbortController().signal);
      await waitFor('the first quote', () => seen === 1, 4_000, 1);
      exchange.faults.add({ venue: 'okx', market: 'perp', op: 'marketData', fault: 'disconnect', nth: 1 });
      exchange.step(100);
      await assert.rejects(dropped, (e) => e instanceof ConnectorError && e.kind === 'retryable');
    } finally {
      await c.close();
      await server.close();
    }
  });
});

void describe('networked sim connector: funding payments', () => {
  void test('the account’s settlements over HTTP, as the in-process connector reads them', async () => {
    const exchange = new SimExchange({ seed: 2 });
    const okx = exchange.venue('okx');
    okx.deposit('perp', 'maker', 'USDT', '1000000');
    okx.deposit('perp', 'alice', 'USDT', '10000');
    const m = exchange.market('okx', 'perp');
    m.placeOrder({
      account: 'maker',
      symbol: 'ETH-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '1',
      price: '3000',
    });
    m.placeOrder({ account: 'alice', symbol: 'ETH-USDT', side: 'sell', type: 'market', quantity: '1' });
    m.setMarkPrice('ETH-USDT', '3000');
    okx.setFundingRate('ETH-USDT', '0.0001');
    okx.settleFunding(); // the short receives 3000 × 0.0001 = 0.3
    const server = createSimServer(exchange);
    const baseUrl = await server.listen(0);
    const c = createSimHttpConnector({ baseUrl, venue: 'okx', market: 'perp', account: 'alice' });
    try {
      const at = exchange.clock.now();
      assert.deepEqual(await c.fundingPayments(0), [
        { id: `ETH-USDT:${at}`, symbol: 'ETH-USDT', at, amount: '0.3', asset: 'USDT' },
      ]);
      assert.deepEqual(await c.fundingPayments(at + 1), []);
    } finally {
      await c.close();
      await server.close();
    }
  });
});

void describe('networked sim connector: recvWindow', () => {
  void test('an order or cancel delayed beyond its recvWindow is refused (retryable) and never executed; within it, it executes', async () => {
    const exchange = new SimExchange({ seed: 3 });
    exchange.venue('okx').deposit('spot', 'alice', 'USDT', '10000');
    const wall = heldLatency(Date.now());
    const server = createSimServer(exchange, { sleep: wall.sleep, now: wall.now });
    const baseUrl = await server.listen(0);
    const connector = createSimHttpConnector({
      baseUrl,
      venue: 'okx',
      market: 'spot',
      account: 'alice',
      now: wall.now,
    });
    try {
      await recvWindowScenario(exchange, 'okx', connector, wall);
    } finally {
      await connector.close();
      await server.close();
    }
  });
});
