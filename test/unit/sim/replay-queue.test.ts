import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attachReplay, loadBinanceCapture, type ReplayEvent } from '../../../sim/replay';
import { independentFills } from '../../support/queue-model';
import { sharedDataSet } from '../../support/shared-data';
import { testExchange } from './helpers';

const T0 = 1_700_000_000_000;
const bbo = (at: number, bid: string, bidQty: string, ask = '101', askQty = '5'): ReplayEvent => ({
  kind: 'bbo',
  ts: T0 + at,
  bid,
  bidQty,
  ask,
  askQty,
});
const sold = (at: number, price: string, qty: string): ReplayEvent => ({
  kind: 'trade',
  ts: T0 + at,
  price,
  qty,
  takerSide: 'sell',
});

/** A replay of `events` on binance spot BTC-USDT, and alice's resting buy of 1 at 100 placed after the first. */
function scenario(events: ReplayEvent[]) {
  const exchange = testExchange();
  const spot = exchange.market('binance', 'spot');
  exchange.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
  attachReplay(exchange, 'binance', 'spot', 'BTC-USDT', events);
  exchange.step(0);
  spot.placeOrder({
    account: 'alice',
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    quantity: '1',
    price: '100',
  });
  const filled = () => spot.accountOrders('alice')[0]?.filledQuantity;
  /** Alice's filled quantity after each later event, stepping the clock 100 ms at a time. */
  const filledAfterEach = () =>
    events.slice(1).map(() => {
      exchange.step(100);
      return filled();
    });
  return { exchange, spot, filledAfterEach };
}

describe('replay: queue position of a client order behind recorded liquidity', () => {
  test('trades at its price move it forward by their volume; it fills after the quantity ahead has traded', () => {
    const { filledAfterEach } = scenario([
      bbo(0, '100', '5'),
      sold(100, '100', '3'),
      bbo(200, '100', '2'),
      sold(300, '100', '2'),
      sold(400, '100', '0.5'),
      sold(500, '100', '1'),
    ]);
    assert.deepEqual(filledAfterEach(), ['0', '0', '0', '0.5', '1']);
  });

  test('arrivals after it queue behind it', () => {
    const { filledAfterEach } = scenario([
      bbo(0, '100', '5'),
      bbo(100, '100', '8'),
      sold(200, '100', '5'),
      sold(300, '100', '1'),
    ]);
    assert.deepEqual(filledAfterEach(), ['0', '0', '1']);
  });

  test('cancels come from behind it first; what is ahead never exceeds what the level holds', () => {
    const { spot, filledAfterEach } = scenario([
      bbo(0, '100', '5'),
      bbo(100, '100', '9'), // 4 arrive behind alice
      bbo(200, '100', '6'), // 3 cancelled: taken from behind her (5 ahead, alice, 1 behind)
      bbo(300, '100', '2'), // the level holds 2 besides her: at most 2 can be ahead
      sold(400, '100', '2'),
      sold(500, '100', '1'),
    ]);
    const lots = () =>
      spot
        .book('BTC-USDT')
        .queueAt(0, 10_000)
        .map((id) => spot.book('BTC-USDT').get(id)?.remaining);
    const after = filledAfterEach();
    assert.deepEqual(after, ['0', '0', '0', '0', '1']);
    assert.deepEqual(lots(), [], 'the level is empty once alice and the 2 ahead have traded');
  });

  test('a recorded level that disappears leaves it at the front', () => {
    const { filledAfterEach } = scenario([
      bbo(0, '100', '5'),
      { kind: 'depth', ts: T0 + 100, bids: [['100', '0']], asks: [] },
      sold(200, '100', '1'),
    ]);
    assert.deepEqual(filledAfterEach(), ['0', '1']);
  });

  test('an aggressive order walks the recorded book, level by level', () => {
    const exchange = testExchange();
    const spot = exchange.market('binance', 'spot');
    exchange.venue('binance').deposit('spot', 'alice', 'USDT', '100000');
    attachReplay(exchange, 'binance', 'spot', 'BTC-USDT', [
      {
        kind: 'depth',
        ts: T0,
        bids: [['99', '1']],
        asks: [
          ['101', '1'],
          ['102', '2'],
          ['103', '5'],
        ],
      },
      bbo(1, '100', '1', '101', '1'),
    ]);
    exchange.step(1);
    spot.placeOrder({ account: 'alice', symbol: 'BTC-USDT', side: 'buy', type: 'market', quantity: '2.5' });
    assert.deepEqual(
      spot.accountFills('alice').map((fill) => `${fill.quantity}@${fill.price}`),
      ['1@101', '1.5@102'],
    );
  });
});

const CAPTURE = 'spot_btcusdt_20240808.gz';
const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [CAPTURE]);

describe('replay: a recorded Binance capture', () => {
  test(
    'a resting buy fills exactly as the queue model computed without the engine says',
    CAPTURES.options,
    async () => {
      const events = (await loadBinanceCapture(CAPTURES.path(CAPTURE), 8_000)).filter(
        (event) => event.ts > 0,
      );
      const exchange = testExchange();
      const spot = exchange.market('binance', 'spot');
      const inst = spot.instrument('BTC-USDT');
      exchange.venue('binance').deposit('spot', 'alice', 'USDT', '10000000');
      const driver = attachReplay(exchange, 'binance', 'spot', 'BTC-USDT', events);
      // Play the first 2,000 events, then join the best bid with 0.5 BTC and follow every later event.
      const from = 2_000;
      exchange.step(driver.simulatedTime(events[from - 1]!.ts) - exchange.clock.now());
      const bid = spot.top('BTC-USDT').bidPrice;
      assert.ok(bid, 'the replay has a best bid');
      spot.placeOrder({
        account: 'alice',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.5',
        price: bid,
      });
      const engine: number[] = [];
      for (const event of events.slice(from)) {
        exchange.step(Math.max(0, driver.simulatedTime(event.ts) - exchange.clock.now()));
        const order = spot.accountOrders('alice')[0];
        const filled = order?.filledQuantity ?? '0';
        engine.push(filled === '0' ? 0 : Number(inst.parseQty(filled)));
      }
      const toTicks = (p: string) => Number(inst.parsePrice(Number(p).toFixed(2)));
      const toLots = (q: string) => (Number(q) <= 0 ? 0 : Math.round(Number(q) / 0.00001));
      const model = independentFills(events, from, { price: toTicks(bid), lots: 50_000 }, toTicks, toLots);
      // The engine plays every event of a timestamp at once: compare where a timestamp's events end.
      const ends = (index: number) => events[from + index + 1]?.ts !== events[from + index]?.ts;
      const differs = engine.findIndex((lots, index) => ends(index) && lots !== model[index]);
      assert.equal(
        differs,
        -1,
        `engine and model part at event ${from + differs} (${JSON.stringify(events[from + differs])}): ` +
          `${engine[differs]} vs ${model[differs]} lots filled`,
      );
      assert.ok(
        model.some((lots) => lots > 0),
        'the capture fills the order at some point (else this test shows nothing)',
      );
    },
  );
});
