import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimExchange } from '../../../sim/exchange';
import {
  attachReplay,
  classifyBinanceCaptureLine,
  loadBinanceCapture,
  parseBinanceCaptureLine,
} from '../../../sim/replay';
import type { ReplayEvent } from '../../../sim/replay';
import { sharedDataSet } from '../../support/shared-data';
import { testExchange } from './helpers';

const CAPTURE_FILE = 'usdm_btcusdt_20240808.gz';
const CAPTURES = sharedDataSet('binance-ws', 'KEEL_BINANCE_WS_DIR', [CAPTURE_FILE]);

void describe('replay: parser (hand-written lines in the capture format)', () => {
  void test('bookTicker and trade lines become events; depth and junk are skipped', () => {
    const bbo =
      '1700000000123456789 {"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"50000.10","B":"1.500","a":"50000.20","A":"0.250"}}';
    const trade =
      '1700000000200000000 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":9,"p":"50000.20","q":"0.010","T":1,"m":false}}';
    const sell =
      '1700000000300000000 {"stream":"btcusdt@trade","data":{"e":"trade","p":"50000.10","q":"0.020","m":true}}';
    assert.deepEqual(parseBinanceCaptureLine(bbo), {
      kind: 'bbo',
      ts: 1700000000123,
      bid: '50000.10',
      bidQty: '1.500',
      ask: '50000.20',
      askQty: '0.250',
    });
    assert.deepEqual(parseBinanceCaptureLine(trade), {
      kind: 'trade',
      ts: 1700000000200,
      price: '50000.20',
      qty: '0.010',
      takerSide: 'buy',
    });
    // m = true: the buyer was the maker, so the aggressor sold.
    assert.deepEqual(parseBinanceCaptureLine(sell), {
      kind: 'trade',
      ts: 1700000000300,
      price: '50000.10',
      qty: '0.020',
      takerSide: 'sell',
    });
    assert.equal(parseBinanceCaptureLine('1 {"stream":"btcusdt@depth@100ms","data":{}}'), undefined);
    assert.equal(parseBinanceCaptureLine('garbage'), undefined);
  });

  void test('driver quotes the recorded touch and fills a resting client order on a recorded print', () => {
    const ex = testExchange();
    const spot = ex.market('binance', 'spot');
    ex.venue('binance').deposit('spot', 'alice', 'BTC', '1');
    const t0 = 1_700_000_000_000;
    const events: ReplayEvent[] = [
      { kind: 'bbo', ts: t0, bid: '50000.10', bidQty: '1', ask: '50000.30', askQty: '1' },
      { kind: 'trade', ts: t0 + 500, price: '50000.20', qty: '0.01', takerSide: 'buy' },
    ];
    attachReplay(ex, 'binance', 'spot', 'BTC-USDT', events);
    ex.step(0);
    assert.deepEqual([spot.top('BTC-USDT').bidPrice, spot.top('BTC-USDT').askPrice], ['50000.1', '50000.3']);
    // Alice improves the offer to 50000.20; the recorded buy print at 50000.20 lifts her first.
    spot.placeOrder({
      account: 'alice',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.01',
      price: '50000.20',
    });
    ex.step(499);
    assert.equal(spot.openOrders('alice')[0]?.filledQuantity, '0');
    ex.step(1);
    assert.deepEqual(
      spot.accountFills('alice').map((f) => [f.price, f.quantity, f.liquidity]),
      [['50000.2', '0.01', 'maker']],
    );
  });
});

void describe('replay: recorded Binance capture', () => {
  void test('drives binance/perp BTC-USDT from real best bid/ask and trades', CAPTURES.options, async () => {
    const events = await loadBinanceCapture(CAPTURES.path(CAPTURE_FILE), 20_000);
    assert.ok(events.some((e) => e.kind === 'bbo') && events.some((e) => e.kind === 'trade'));
    const ex = new SimExchange({ seed: 1, symbols: ['BTC-USDT'] });
    const perp = ex.market('binance', 'perp');
    attachReplay(ex, 'binance', 'perp', 'BTC-USDT', events);
    for (let i = 0; i < 100; i++) ex.step(100);
    const top = perp.top('BTC-USDT');
    // The capture was recorded around 61,800 USDT.
    assert.ok(Number(top.bidPrice) > 55_000 && Number(top.askPrice) < 70_000, JSON.stringify(top));
    assert.ok(Number(top.bidPrice) < Number(top.askPrice));
    assert.ok(perp.tape('BTC-USDT', 10_000).length > 0, 'recorded prints should trade');
  });
});

test('a corrupt capture line is malformed, never an event; another stream is skipped as such', () => {
  const line = (data: object, stream = 'btcusdt@bookTicker') =>
    `1723161250000000000 ${JSON.stringify({ stream, data })}`;
  assert.equal(classifyBinanceCaptureLine('not a capture line'), 'malformed');
  assert.equal(
    classifyBinanceCaptureLine('1723161250000000000 {"stream":"btcusdt@trade","data":'),
    'malformed',
  );
  assert.equal(classifyBinanceCaptureLine(line({ b: 'x', B: '1', a: '2', A: '1' })), 'malformed');
  assert.equal(
    classifyBinanceCaptureLine(line({ p: '61800', q: '-1', m: true }, 'btcusdt@trade')),
    'malformed',
  );
  assert.equal(
    classifyBinanceCaptureLine(line({ b: [['1', 'NaN']], a: [] }, 'btcusdt@depth@100ms')),
    'malformed',
  );
  assert.equal(classifyBinanceCaptureLine(line({ k: {} }, 'btcusdt@kline_1m')), 'other-stream');
  assert.deepEqual(classifyBinanceCaptureLine(line({ b: '1.5', B: '2', a: '1.6', A: '3' })), {
    kind: 'bbo',
    ts: 1723161250000,
    bid: '1.5',
    bidQty: '2',
    ask: '1.6',
    askQty: '3',
  });
});
