import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectorError } from '../../connectors/exchange-connector';
import type {
  ConnectorErrorKind,
  CreateOrder,
  ExchangeConnector,
  OrderBookSnapshot,
  OrderBookUpdate,
  PublicTrade,
} from '../../connectors/exchange-connector';
import type { MarketKind } from '../../domain/venues';
import { DepthSync } from '../../signal/depth-sync';
import { SimExchange } from '../../sim/exchange';
import { waitFor } from './wait';

/**
 * The behaviour every ExchangeConnector must show, checked against a connector backed by a simulator
 * (in-process, over the simulator's HTTP API, or through ccxt and the Binance-compatible front).
 * The factory gets a fresh, quiet SimExchange (default instruments) with liquidity already seeded:
 * account `maker` rests a bid 1 @ 49900 and an ask 1 @ 50100 on BTC-USDT, and the trading account
 * `alice` holds 10000 USDT (spot wallet or perp margin).
 */
export interface ContractHarness {
  connector: ExchangeConnector;
  close(): Promise<void>;
}

export type ContractFactory = (setup: {
  exchange: SimExchange;
  market: MarketKind;
  account: string;
}) => Promise<ContractHarness>;

const VENUE = 'binance';
const ACCOUNT = 'alice';
/** Default simulator filters for BTC-USDT (docs/simulator.md). */
const TICK: Record<MarketKind, string> = { spot: '0.01', perp: '0.1' };
const LOT: Record<MarketKind, string> = { spot: '0.00001', perp: '0.001' };

function seededExchange(market: MarketKind): SimExchange {
  const exchange = new SimExchange({ seed: 7 });
  const v = exchange.venue(VENUE);
  if (market === 'spot') {
    v.deposit('spot', 'maker', 'USDT', '1000000');
    v.deposit('spot', 'maker', 'BTC', '10');
    v.deposit('spot', ACCOUNT, 'USDT', '10000');
  } else {
    v.deposit('perp', 'maker', 'USDT', '1000000');
    v.deposit('perp', ACCOUNT, 'USDT', '10000');
  }
  const m = exchange.market(VENUE, market);
  const rest = { account: 'maker', symbol: 'BTC-USDT', type: 'limit', quantity: '1' } as const;
  m.placeOrder({ ...rest, side: 'buy', price: '49900' });
  m.placeOrder({ ...rest, side: 'sell', price: '50100' });
  return exchange;
}

async function rejectsWithKind(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectorError, `expected ConnectorError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return true;
  });
}

let idCounter = 0;
const freshId = (): string => `k${Date.now().toString(36)}${(idCounter++).toString(36)}`;

const restingBuy = (clientOrderId: string, extra: Partial<CreateOrder> = {}): CreateOrder => ({
  symbol: 'BTC-USDT',
  clientOrderId,
  side: 'buy',
  type: 'limit',
  quantity: '0.01',
  price: '49000',
  ...extra,
});

/** The optional streams a connector declares it serves: the contract then checks them too. */
export interface ContractStreams {
  depth?: boolean;
  trades?: boolean;
}

const levels = (side: ReadonlyArray<readonly [string, string]>) =>
  side.map(([price, size]) => [Number(price), Number(size)] as const);

/** Registers the contract tests for one connector implementation, for spot and perp. */
export function connectorContract(
  name: string,
  factory: ContractFactory,
  markets: MarketKind[] = ['spot', 'perp'],
  streams: ContractStreams = {},
): void {
  for (const market of markets) {
    void describe(`${name} ${market}: ExchangeConnector contract`, () => {
      async function withConnector(
        fn: (c: ExchangeConnector, exchange: SimExchange) => Promise<void>,
      ): Promise<void> {
        const exchange = seededExchange(market);
        const h = await factory({ exchange, market, account: ACCOUNT });
        try {
          await fn(h.connector, exchange);
        } finally {
          await h.close();
        }
      }

      void test('instruments list BTC-USDT with the venue filters', () =>
        withConnector(async (c) => {
          const all = await c.instruments();
          const btc = all.find((i) => i.symbol === 'BTC-USDT');
          assert.ok(btc, 'BTC-USDT listed');
          assert.equal(btc.base, 'BTC');
          assert.equal(btc.quote, 'USDT');
          assert.equal(btc.market, market);
          assert.equal(btc.trading, true);
          assert.equal(Number(btc.tickSize), Number(TICK[market]));
          assert.equal(Number(btc.lotSize), Number(LOT[market]));
          assert.deepEqual(all.map((i) => i.symbol).sort(), ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT']);
        }));

      void test('best bid/ask is the seeded touch', () =>
        withConnector(async (c) => {
          const q = await c.bestBidAsk('BTC-USDT');
          assert.equal(q.symbol, 'BTC-USDT');
          assert.equal(Number(q.bid), 49900);
          assert.equal(Number(q.ask), 50100);
          assert.equal(Number(q.bidSize), 1);
          assert.equal(Number(q.askSize), 1);
        }));

      void test('limit order with client id: create, fetch, list, cancel (idempotent)', () =>
        withConnector(async (c) => {
          const id = freshId();
          const placed = await c.createOrder(restingBuy(id));
          assert.equal(placed.clientOrderId, id);
          assert.equal(placed.status, 'open');
          assert.equal(placed.symbol, 'BTC-USDT');
          assert.equal(placed.side, 'buy');
          assert.equal(Number(placed.price), 49000);
          assert.equal(Number(placed.quantity), 0.01);
          assert.equal(Number(placed.filledQuantity), 0);

          const fetched = await c.fetchOrderByClientId('BTC-USDT', id);
          assert.equal(fetched?.venueOrderId, placed.venueOrderId);
          assert.equal(fetched?.status, 'open');

          assert.deepEqual(
            (await c.openOrders('BTC-USDT')).map((o) => o.clientOrderId),
            [id],
          );
          assert.deepEqual(
            (await c.openOrders()).map((o) => o.clientOrderId),
            [id],
          );

          const cancelled = await c.cancelOrder('BTC-USDT', id);
          assert.equal(cancelled.status, 'canceled');
          assert.equal(cancelled.venueOrderId, placed.venueOrderId);
          const again = await c.cancelOrder('BTC-USDT', id);
          assert.equal(again.status, 'canceled');
          assert.deepEqual(await c.openOrders('BTC-USDT'), []);
          assert.equal((await c.fetchOrderByClientId('BTC-USDT', id))?.status, 'canceled');
        }));

      void test('an unknown client id is undefined on fetch and order-not-found on cancel', () =>
        withConnector(async (c) => {
          assert.equal(await c.fetchOrderByClientId('BTC-USDT', 'nosuchorder1'), undefined);
          await rejectsWithKind(c.cancelOrder('BTC-USDT', 'nosuchorder2'), 'order-not-found');
        }));

      void test('a crossing limit order fills at the resting ask', () =>
        withConnector(async (c) => {
          const o = await c.createOrder(restingBuy(freshId(), { price: '50100' }));
          assert.equal(o.status, 'filled');
          assert.equal(Number(o.filledQuantity), 0.01);
          assert.equal(Number(o.averagePrice), 50100);
        }));

      void test('a second order with the same client id is duplicate-client-order-id', () =>
        withConnector(async (c) => {
          const id = freshId();
          await c.createOrder(restingBuy(id));
          await rejectsWithKind(
            c.createOrder(restingBuy(id, { price: '48000' })),
            'duplicate-client-order-id',
          );
          assert.equal((await c.openOrders('BTC-USDT')).length, 1);
        }));

      void test('an unlisted symbol is unknown-symbol', () =>
        withConnector(async (c) => {
          await rejectsWithKind(
            c.createOrder(restingBuy(freshId(), { symbol: 'DOGE-USDT' })),
            'unknown-symbol',
          );
          await rejectsWithKind(c.bestBidAsk('DOGE-USDT'), 'unknown-symbol');
          await rejectsWithKind(c.fetchOrderByClientId('DOGE-USDT', freshId()), 'unknown-symbol');
        }));

      void test('a price off the tick grid is invalid-order', () =>
        withConnector(async (c) => {
          await rejectsWithKind(
            c.createOrder(restingBuy(freshId(), { price: '49000.001' })),
            'invalid-order',
          );
          assert.deepEqual(await c.openOrders(), []);
        }));

      void test('an order the account cannot pay for is insufficient-funds', () =>
        withConnector(async (c) => {
          // 10 BTC at 49000 = 490000 USDT; spot needs it all, perp at 10x needs 49000 of margin: both > 10000.
          await rejectsWithKind(
            c.createOrder(restingBuy(freshId(), { quantity: '10' })),
            'insufficient-funds',
          );
        }));

      void test('a response lost after the venue accepted: retryable, then found by client id', () =>
        withConnector(async (c, exchange) => {
          exchange.faults.add({ venue: VENUE, market, op: 'createOrder', fault: 'lose-response', nth: 1 });
          const id = freshId();
          await rejectsWithKind(c.createOrder(restingBuy(id)), 'retryable');
          const found = await c.fetchOrderByClientId('BTC-USDT', id);
          assert.equal(found?.status, 'open');
          assert.equal(found?.clientOrderId, id);
        }));

      void test('a rate-limited order is retryable and was not placed', () =>
        withConnector(async (c, exchange) => {
          exchange.faults.add({ venue: VENUE, market, op: 'createOrder', fault: 'rate-limit', nth: 1 });
          const id = freshId();
          await rejectsWithKind(c.createOrder(restingBuy(id)), 'retryable');
          assert.equal(await c.fetchOrderByClientId('BTC-USDT', id), undefined);
        }));

      if (streams.depth)
        void test('a depth snapshot taken once the stream is live, plus what it streams after, is the venue book', () =>
          withConnector(async (c, exchange) => {
            assert.ok(c.watchOrderBook !== undefined, 'declared: watchOrderBook');
            assert.ok(c.orderBookSnapshot !== undefined, 'declared: orderBookSnapshot');
            const updates: OrderBookUpdate[] = [];
            const abort = new AbortController();
            let live = () => undefined as void;
            const isLive = new Promise<void>((resolve) => (live = resolve));
            const done = c.watchOrderBook('BTC-USDT', (update) => updates.push(update), abort.signal, live);
            await isLive;
            const sync = new DepthSync(() => assert.fail('no gap in a whole stream'));
            const apply = (book: OrderBookSnapshot) =>
              sync.onSnapshot({
                ...book,
                time: book.timestamp,
                bids: levels(book.bids),
                asks: levels(book.asks),
              });
            apply(await c.orderBookSnapshot('BTC-USDT', 100));
            const m = exchange.market(VENUE, market);
            const maker = { account: 'maker', symbol: 'BTC-USDT', type: 'limit' } as const;
            m.placeOrder({ ...maker, side: 'buy', price: '49800', quantity: '2' });
            m.placeOrder({ ...maker, side: 'sell', price: '50200', quantity: '0.5' });
            m.placeOrder({ ...maker, side: 'buy', price: '49900', quantity: '0.25' });
            const venueBook = () => m.depth('BTC-USDT', 10);
            const top = (side: 'bids' | 'asks') =>
              Array.from({ length: sync.book[side].count }, (_, i) => [
                sync.book[side].price(i),
                sync.book[side].size(i),
              ]);
            await waitFor('the book as the venue has it', () => {
              for (const update of updates.splice(0))
                if (update.kind === 'snapshot') apply(update);
                else
                  sync.onDiff({
                    ...update,
                    time: update.timestamp,
                    bids: levels(update.bids),
                    asks: levels(update.asks),
                  });
              return (
                JSON.stringify([top('bids'), top('asks')]) ===
                JSON.stringify([levels(venueBook().bids), levels(venueBook().asks)])
              );
            });
            assert.deepEqual(top('bids'), [
              [49900, 1.25],
              [49800, 2],
            ]);
            abort.abort();
            await done;
          }));

      if (streams.trades)
        void test('public trades print with the taker side, price and quantity', () =>
          withConnector(async (c) => {
            assert.ok(c.watchTrades !== undefined, 'declared: watchTrades');
            const trades: PublicTrade[] = [];
            const abort = new AbortController();
            const done = c.watchTrades('BTC-USDT', (trade) => trades.push(trade), abort.signal);
            // The stream may take a moment to be subscribed: cross the ask until a print arrives.
            await waitFor('a print of our taking buy', async () => {
              if (trades.length === 0) await c.createOrder(restingBuy(freshId(), { price: '50100' }));
              return trades.length > 0;
            });
            assert.deepEqual(
              [
                trades[0]!.symbol,
                trades[0]!.takerSide,
                Number(trades[0]!.price),
                Number(trades[0]!.quantity),
              ],
              ['BTC-USDT', 'buy', 50100, 0.01],
            );
            abort.abort();
            await done;
          }));
    });
  }
}
