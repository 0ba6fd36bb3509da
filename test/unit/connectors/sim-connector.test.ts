import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { BestBidAsk, PublicTrade } from '../../../connectors/exchange-connector';
import { createSimConnector } from '../../../connectors/sim/in-process-connector';
import { SimExchange } from '../../../sim/exchange';
import { connectorContract } from '../../support/connector-contract';
import { waitFor } from '../../support/wait';
import { recvWindowScenario } from '../sim/connector-recv-window';
import { heldLatency } from '../sim/helpers';

connectorContract(
  'in-process sim',
  async ({ exchange, market, account }) => ({
    connector: createSimConnector({ exchange, venue: 'binance', market, account }),
    close: async () => {},
  }),
  ['spot', 'perp'],
  { depth: true, trades: true },
);

function perpSetup() {
  const exchange = new SimExchange({ seed: 3 });
  const v = exchange.venue('okx');
  v.deposit('perp', 'maker', 'USDT', '1000000');
  v.deposit('perp', 'alice', 'USDT', '10000');
  const c = createSimConnector({ exchange, venue: 'okx', market: 'perp', account: 'alice' });
  return { exchange, c };
}

void describe('in-process sim connector: perp account', () => {
  void test('a filled buy shows as a long position; the maker is short', async () => {
    const { exchange, c } = perpSetup();
    exchange.market('okx', 'perp').placeOrder({
      account: 'maker',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.5',
      price: '60000',
    });
    const o = await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'buy1',
      side: 'buy',
      type: 'limit',
      quantity: '0.1',
      price: '60000',
    });
    assert.equal(o.status, 'filled');
    // okx perp taker fee 0.05 %: 0.1 x 60000 x 0.0005 = 3 USDT.
    assert.equal(o.fee, '3');
    assert.equal(o.feeAsset, 'USDT');
    const [p] = await c.positions();
    assert.equal(p?.symbol, 'BTC-USDT');
    assert.equal(p?.quantity, '0.1');
    assert.equal(p?.entryPrice, '60000');
    assert.equal(p?.leverage, 10);
    const maker = createSimConnector({ exchange, venue: 'okx', market: 'perp', account: 'maker' });
    assert.equal((await maker.positions())[0]?.quantity, '-0.1');
  });

  void test('setLeverage is reflected on the position; out of range is invalid-order', async () => {
    const { exchange, c } = perpSetup();
    await c.setLeverage('BTC-USDT', 5);
    exchange.market('okx', 'perp').placeOrder({
      account: 'maker',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '1',
      price: '60000',
    });
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 's1',
      side: 'sell',
      type: 'market',
      quantity: '0.01',
    });
    const [p] = await c.positions();
    assert.equal(p?.quantity, '-0.01');
    assert.equal(p?.leverage, 5);
    await assert.rejects(
      c.setLeverage('BTC-USDT', 1000),
      (e) => e instanceof ConnectorError && e.kind === 'invalid-order',
    );
  });

  void test('margin balance: 10000 USDT, then 6000 notional at 10x holds 600 of order margin', async () => {
    const { c } = perpSetup();
    assert.deepEqual(await c.balances(), [{ asset: 'USDT', free: '10000', locked: '0' }]);
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'rest1',
      side: 'buy',
      type: 'limit',
      quantity: '0.1',
      price: '60000',
    });
    assert.deepEqual(await c.balances(), [{ asset: 'USDT', free: '9400', locked: '600' }]);
  });

  void test('a position holds its initial margin: 0.1 long at 60000 and 10x locks 600 of the wallet', async () => {
    const { exchange, c } = perpSetup();
    exchange.market('okx', 'perp').placeOrder({
      account: 'maker',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.1',
      price: '60000',
    });
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'pos1',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    // Wallet 10000 less the 3 USDT taker fee; the position's 600 of margin is in use, not free.
    const [wallet] = await c.balances();
    assert.equal(wallet?.locked, '600');
    assert.equal(Number(wallet?.free) + Number(wallet?.locked), 9997);
  });

  void test('funding payments: each settlement on the account, signed as received or paid, from `since` on', async () => {
    const { exchange, c } = perpSetup();
    const okx = exchange.venue('okx');
    exchange.market('okx', 'perp').placeOrder({
      account: 'maker',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.1',
      price: '60000',
    });
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'f1',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    exchange.market('okx', 'perp').setMarkPrice('BTC-USDT', '60000');
    okx.setFundingRate('BTC-USDT', '0.0001');
    okx.settleFunding(); // the long pays 6000 × 0.0001 = 0.6
    const first = exchange.clock.now();
    exchange.clock.advance(1_000);
    okx.setFundingRate('BTC-USDT', '-0.0002');
    okx.settleFunding(); // shorts pay longs: it receives 1.2
    assert.deepEqual(await c.fundingPayments(0), [
      { id: `BTC-USDT:${first}`, symbol: 'BTC-USDT', at: first, amount: '-0.6', asset: 'USDT' },
      {
        id: `BTC-USDT:${first + 1_000}`,
        symbol: 'BTC-USDT',
        at: first + 1_000,
        amount: '1.2',
        asset: 'USDT',
      },
    ]);
    assert.deepEqual(
      (await c.fundingPayments(first + 1)).map((p) => p.amount),
      ['1.2'],
    );
    const spot = createSimConnector({ exchange, venue: 'okx', market: 'spot', account: 'alice' });
    await assert.rejects(
      spot.fundingPayments(0),
      (e) => e instanceof ConnectorError && e.kind === 'invalid-order',
    );
  });

  void test('funding rate: default 0.0001 until the next 8h boundary after the 2024-01-01 start', async () => {
    const { c } = perpSetup();
    const f = await c.fundingRate('BTC-USDT');
    assert.deepEqual(f, { symbol: 'BTC-USDT', rate: '0.0001', nextFundingTime: Date.UTC(2024, 0, 1, 8) });
  });
});

void describe('in-process sim connector: spot specifics', () => {
  const spot = () => {
    const exchange = new SimExchange({ seed: 3 });
    exchange.venue('mexc').deposit('spot', 'alice', 'USDT', '1000');
    return { exchange, c: createSimConnector({ exchange, venue: 'mexc', market: 'spot', account: 'alice' }) };
  };

  void test('capabilities: spot has no positions or funding', async () => {
    const { c } = spot();
    assert.deepEqual(c.capabilities, {
      canTrade: true,
      canStream: true,
      hasPositions: false,
      hasFunding: false,
    });
    assert.deepEqual(await c.positions(), []);
    await assert.rejects(
      c.fundingRate('BTC-USDT'),
      (e) => e instanceof ConnectorError && e.kind === 'invalid-order',
    );
  });

  void test('a resting buy locks quote: 0.01 BTC at 50000 locks 500 of 1000 USDT', async () => {
    const { c } = spot();
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'b1',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '50000',
    });
    assert.deepEqual(await c.balances(), [{ asset: 'USDT', free: '500', locked: '500' }]);
  });

  void test('an empty book has no quote: bestBidAsk says no-quote (retryable), not a transport failure', async () => {
    const { c } = spot();
    await assert.rejects(
      c.bestBidAsk('BTC-USDT'),
      (e) => e instanceof ConnectorError && e.kind === 'no-quote' && e.retryable,
    );
  });

  void test('non-canonical symbols are unknown-symbol, not looked up', async () => {
    const { c } = spot();
    for (const s of ['BTCUSDT', 'BTC/USDT', 'btc-usdt']) {
      await assert.rejects(
        c.bestBidAsk(s),
        (e) => e instanceof ConnectorError && e.kind === 'unknown-symbol',
      );
    }
  });

  void test('an order that breaks the port schema (bad client id) is invalid-order and never reaches the venue', async () => {
    const { c, exchange } = spot();
    await assert.rejects(
      c.createOrder({
        symbol: 'BTC-USDT',
        clientOrderId: 'bad-id!',
        side: 'buy',
        type: 'limit',
        quantity: '1',
        price: '1',
      }),
      (e) => e instanceof ConnectorError && e.kind === 'invalid-order',
    );
    assert.deepEqual(exchange.market('mexc', 'spot').openOrders('alice'), []);
  });

  void test('fetch by client id with the wrong symbol does not return the order', async () => {
    const { c } = spot();
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'b2',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '50000',
    });
    assert.equal(await c.fetchOrderByClientId('ETH-USDT', 'b2'), undefined);
    assert.equal((await c.fetchOrderByClientId('BTC-USDT', 'b2'))?.status, 'open');
  });

  void test('server-error on cancel is retryable; the retried cancel succeeds', async () => {
    const { c, exchange } = spot();
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'b3',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '50000',
    });
    exchange.faults.add({ venue: 'mexc', op: 'cancelOrder', fault: 'server-error', nth: 1 });
    await assert.rejects(
      c.cancelOrder('BTC-USDT', 'b3'),
      (e) => e instanceof ConnectorError && e.kind === 'retryable',
    );
    assert.equal((await c.cancelOrder('BTC-USDT', 'b3')).status, 'canceled');
  });

  void test('a cancel whose response is lost: retryable, and the retry returns the cancelled order', async () => {
    const { c, exchange } = spot();
    await c.createOrder({
      symbol: 'BTC-USDT',
      clientOrderId: 'b4',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '50000',
    });
    exchange.faults.add({ venue: 'mexc', op: 'cancelOrder', fault: 'lose-response', nth: 1 });
    await assert.rejects(
      c.cancelOrder('BTC-USDT', 'b4'),
      (e) => e instanceof ConnectorError && e.kind === 'retryable',
    );
    assert.equal((await c.cancelOrder('BTC-USDT', 'b4')).status, 'canceled');
  });
});

void describe('in-process sim connector: streaming', () => {
  const setup = () => {
    const exchange = new SimExchange({ seed: 3 });
    const v = exchange.venue('bybit');
    v.deposit('spot', 'maker', 'USDT', '1000000');
    v.deposit('spot', 'maker', 'BTC', '10');
    const m = exchange.market('bybit', 'spot');
    const rest = (side: 'buy' | 'sell', price: string) =>
      m.placeOrder({ account: 'maker', symbol: 'BTC-USDT', side, type: 'limit', quantity: '1', price });
    const c = createSimConnector({ exchange, venue: 'bybit', market: 'spot', account: 'alice' });
    return { exchange, rest, c };
  };

  void test('emits the current quote, then each change of the touch, until aborted', async () => {
    const { rest, c } = setup();
    rest('buy', '100');
    rest('sell', '101');
    const quotes: BestBidAsk[] = [];
    const ac = new AbortController();
    const done = c.watchBestBidAsk(['BTC-USDT'], (q) => quotes.push(q), ac.signal);
    await waitFor('the first quote', () => quotes.length === 1, 2_000, 1);
    rest('buy', '100.5');
    ac.abort();
    await done;
    rest('buy', '100.7'); // after abort: not seen
    assert.deepEqual(
      quotes.map((q) => [q.bid, q.ask]),
      [
        ['100', '101'],
        ['100.5', '101'],
      ],
    );
  });

  void test('a feed disconnect rejects the watch with a retryable error', async () => {
    const { exchange, rest, c } = setup();
    rest('buy', '100');
    rest('sell', '101');
    let seen = 0;
    const done = c.watchBestBidAsk(['BTC-USDT'], () => seen++, new AbortController().signal);
    await waitFor('the first quote', () => seen === 1, 2_000, 1);
    exchange.faults.add({ venue: 'bybit', market: 'spot', op: 'marketData', fault: 'disconnect', nth: 1 });
    exchange.step(100);
    await assert.rejects(done, (e) => e instanceof ConnectorError && e.kind === 'retryable');
  });

  void test("public trades: each print with its aggressor's side, until aborted; a disconnect is retryable", async () => {
    const { exchange, rest, c } = setup();
    rest('sell', '101');
    const m = exchange.market('bybit', 'spot');
    exchange.venue('bybit').deposit('spot', 'taker', 'USDT', '1000');
    const trades: PublicTrade[] = [];
    const ac = new AbortController();
    const done = c.watchTrades!('BTC-USDT', (trade) => trades.push(trade), ac.signal);
    // Prints before the stream is open are not on it: buy until one is seen.
    const take = () =>
      m.placeOrder({
        account: 'taker',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.25',
        price: '101',
        timeInForce: 'IOC',
      });
    await waitFor('a trade', () => (trades.length > 0 ? true : void take()), 2_000, 5);
    assert.deepEqual(
      [trades[0]!.symbol, trades[0]!.price, trades[0]!.quantity, trades[0]!.takerSide],
      ['BTC-USDT', '101', '0.25', 'buy'],
    );
    ac.abort();
    await done;
    let seenAgain = 0;
    const again = c.watchTrades!('BTC-USDT', () => seenAgain++, new AbortController().signal);
    rest('sell', '101');
    await waitFor('open again', () => (seenAgain > 0 ? true : void take()), 2_000, 5);
    exchange.faults.add({ venue: 'bybit', market: 'spot', op: 'marketData', fault: 'disconnect', nth: 1 });
    exchange.step(100);
    await assert.rejects(again, (e) => e instanceof ConnectorError && e.kind === 'retryable');
    await assert.rejects(
      c.watchTrades!('DOGE-USDT', () => undefined, new AbortController().signal),
      (e) => e instanceof ConnectorError && e.kind === 'unknown-symbol',
    );
  });

  void test('watching an unlisted symbol is unknown-symbol', async () => {
    const { c } = setup();
    await assert.rejects(
      c.watchBestBidAsk(['DOGE-USDT'], () => {}, new AbortController().signal),
      (e) => e instanceof ConnectorError && e.kind === 'unknown-symbol',
    );
  });
});

void describe('in-process sim connector: recvWindow', () => {
  void test('an order or cancel delayed beyond its recvWindow is refused (retryable) and never executed; within it, it executes', async () => {
    const exchange = new SimExchange({ seed: 3 });
    exchange.venue('binance').deposit('spot', 'alice', 'USDT', '10000');
    const wall = heldLatency(Date.now());
    const connector = createSimConnector({
      exchange,
      venue: 'binance',
      market: 'spot',
      account: 'alice',
      sleep: wall.sleep,
      now: wall.now,
    });
    await recvWindowScenario(exchange, 'binance', connector, wall);
  });
});
