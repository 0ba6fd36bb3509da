import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectorError } from '../../../connectors/exchange-connector';
import type { BestBidAsk, ExchangeConnector } from '../../../connectors/exchange-connector';
import { MarketDataHub, isValidQuote } from '../../../connectors/market-data-hub';
import { createSimConnector } from '../../../connectors/sim/in-process-connector';
import { SimExchange } from '../../../sim/exchange';
import { waitFor } from '../../support/wait';

const BINANCE_SPOT = { venue: 'binance', market: 'spot' } as const;

function simWorld() {
  const exchange = new SimExchange({ seed: 4 });
  exchange.venue('binance').deposit('spot', 'mm', 'USDT', '10000000');
  exchange.venue('binance').deposit('spot', 'mm', 'BTC', '100');
  exchange.venue('binance').deposit('spot', 'mm', 'ETH', '100');
  const m = exchange.market('binance', 'spot');
  const rest = (side: 'buy' | 'sell', price: string, symbol = 'BTC-USDT') =>
    m.placeOrder({ account: 'mm', symbol, side, type: 'limit', quantity: '1', price });
  let watches = 0;
  let active = 0;
  const base = createSimConnector({ exchange, venue: 'binance', market: 'spot', account: 'hub' });
  const counting: ExchangeConnector = {
    ...base,
    async watchBestBidAsk(symbols, onQuote, signal) {
      watches++;
      active++;
      try {
        await base.watchBestBidAsk(symbols, onQuote, signal);
      } finally {
        active--;
      }
    },
  };
  const delays: number[] = [];
  let clock = 1_000_000;
  const hub = new MarketDataHub({
    connectorFor: () => counting,
    now: () => clock,
    sleep: async (ms) => {
      delays.push(ms);
      await new Promise((r) => setImmediate(r));
    },
  });
  return {
    exchange,
    rest,
    hub,
    delays,
    stats: () => ({ watches, active }),
    advance: (ms: number) => (clock += ms),
  };
}

void describe('market data hub (in-process sim)', () => {
  void test('one subscription per venue/symbol, fanned out to every consumer', async () => {
    const w = simWorld();
    w.rest('buy', '100');
    w.rest('sell', '101');
    const a: string[] = [];
    const b: string[] = [];
    const offA = w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (q) => a.push(`${q.bid}/${q.ask}`));
    const offB = w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (q) => b.push(`${q.bid}/${q.ask}`));
    await waitFor('the first quote for a', () => a.length === 1, 2_000, 1);
    w.rest('buy', '100.5');
    await waitFor('the second quote for b', () => b.length === 2, 2_000, 1);
    assert.deepEqual(a, ['100/101', '100.5/101']);
    assert.deepEqual(b, ['100/101', '100.5/101']);
    assert.deepEqual(w.stats(), { watches: 1, active: 1 });
    assert.equal(w.hub.latest(BINANCE_SPOT, 'BTC-USDT')?.bid, '100.5');

    offA();
    assert.equal(w.stats().active, 1, 'still one consumer');
    offB();
    await waitFor('no active consumer', () => w.stats().active === 0, 2_000, 1);
    // A later consumer starts a fresh subscription.
    const c: string[] = [];
    const offC = w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (q) => c.push(q.bid));
    await waitFor('the first quote for c', () => c.length === 1, 2_000, 1);
    assert.equal(w.stats().watches, 2);
    offC();
    await w.hub.close();
  });

  void test('a second symbol is a second subscription', async () => {
    const w = simWorld();
    w.rest('buy', '100');
    w.rest('sell', '101');
    w.rest('buy', '10', 'ETH-USDT');
    w.rest('sell', '11', 'ETH-USDT');
    const seen: string[] = [];
    w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (q) => seen.push(q.symbol));
    w.hub.subscribe(BINANCE_SPOT, 'ETH-USDT', (q) => seen.push(q.symbol));
    await waitFor('a quote for each symbol', () => seen.length === 2, 2_000, 1);
    assert.deepEqual(seen.sort(), ['BTC-USDT', 'ETH-USDT']);
    assert.equal(w.stats().watches, 2);
    await w.hub.close();
    assert.equal(w.stats().active, 0);
  });

  void test('a feed disconnect is followed by a reconnect after the initial backoff', async () => {
    const w = simWorld();
    w.rest('buy', '100');
    w.rest('sell', '101');
    const quotes: string[] = [];
    w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (q) => quotes.push(q.bid));
    await waitFor('the first quote', () => quotes.length === 1, 2_000, 1);
    w.exchange.faults.add({
      venue: 'binance',
      market: 'spot',
      op: 'marketData',
      fault: 'disconnect',
      nth: 1,
    });
    w.exchange.step(100);
    await waitFor('the resubscribed quote', () => w.stats().watches === 2 && quotes.length === 2, 2_000, 1);
    assert.deepEqual(w.delays, [100]);
    w.rest('buy', '100.2');
    await waitFor('the third quote', () => quotes.length === 3, 2_000, 1);
    assert.deepEqual(quotes, ['100', '100', '100.2']);
    assert.equal(w.hub.status()[0]?.reconnects, 1);
    await w.hub.close();
  });

  void test('staleness: fresh after a quote, stale 5001 ms later, fresh again on the next quote', async () => {
    const w = simWorld();
    assert.equal(w.hub.isStale(BINANCE_SPOT), true, 'nothing followed yet');
    w.rest('buy', '100');
    w.rest('sell', '101');
    let n = 0;
    w.hub.subscribe(BINANCE_SPOT, 'BTC-USDT', () => n++);
    await waitFor('the first quote', () => n === 1, 2_000, 1);
    assert.equal(w.hub.isStale(BINANCE_SPOT), false);
    w.advance(5000);
    assert.equal(w.hub.isStale(BINANCE_SPOT), false);
    w.advance(1);
    assert.equal(w.hub.isStale(BINANCE_SPOT), true);
    assert.equal(w.hub.isSymbolStale(BINANCE_SPOT, 'BTC-USDT'), true);
    w.rest('sell', '100.9');
    await waitFor('the next quote', () => n === 2, 2_000, 1);
    assert.equal(w.hub.isStale(BINANCE_SPOT), false);
    assert.equal(w.hub.isStale({ venue: 'okx', market: 'spot' }), true);
    await w.hub.close();
  });
});

void describe('market data hub (scripted feed)', () => {
  const q = (bid: string, ask: string, symbol = 'BTC-USDT'): BestBidAsk => ({
    symbol,
    bid,
    ask,
    bidSize: '1',
    askSize: '1',
    timestamp: 0,
  });

  void test('invalid quotes are dropped and counted; bid == ask passes', async () => {
    const fake = {
      async watchBestBidAsk(_s: string[], onQuote: (x: BestBidAsk) => void, signal: AbortSignal) {
        for (const x of [
          q('0', '1'),
          q('1', '0'),
          q('2', '1'),
          q('1', '1'),
          q('1', '2', 'ETH-USDT'),
          q('1', '2'),
        ])
          onQuote(x);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
      },
    } as unknown as ExchangeConnector;
    const hub = new MarketDataHub({ connectorFor: () => fake });
    const got: string[] = [];
    hub.subscribe(BINANCE_SPOT, 'BTC-USDT', (x) => got.push(`${x.bid}/${x.ask}`));
    await waitFor('the two valid quotes', () => got.length === 2, 2_000, 1);
    assert.deepEqual(got, ['1/1', '1/2']);
    // 0 bid, 0 ask, crossed, and a quote for another symbol.
    assert.equal(hub.status()[0]?.invalidQuotes, 4);
    await hub.close();
  });

  void test('backoff doubles per failed attempt up to the cap, and resets after a valid quote', async () => {
    let calls = 0;
    const fake = {
      async watchBestBidAsk(_s: string[], onQuote: (x: BestBidAsk) => void) {
        calls++;
        if (calls === 5) onQuote(q('1', '2'));
        throw new ConnectorError('retryable', `attempt ${calls} failed`);
      },
    } as unknown as ExchangeConnector;
    const delays: number[] = [];
    const errors: string[] = [];
    const hub = new MarketDataHub({
      connectorFor: () => fake,
      backoffMaxMs: 500,
      sleep: async (ms) => {
        delays.push(ms);
        await new Promise((r) => setImmediate(r));
      },
      onFeedError: (_s, _sym, e) => errors.push((e as Error).message),
    });
    hub.subscribe(BINANCE_SPOT, 'BTC-USDT', () => {});
    await waitFor('seven backoff delays', () => delays.length >= 7, 2_000, 1);
    await hub.close();
    assert.deepEqual(delays.slice(0, 7), [100, 200, 400, 500, 100, 200, 400]);
    assert.equal(errors[0], 'attempt 1 failed');
  });

  void test('a throwing consumer does not starve the others', async () => {
    let emit: ((x: BestBidAsk) => void) | undefined;
    const fake = {
      async watchBestBidAsk(_s: string[], onQuote: (x: BestBidAsk) => void, signal: AbortSignal) {
        emit = onQuote;
        await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
      },
    } as unknown as ExchangeConnector;
    const hub = new MarketDataHub({ connectorFor: () => fake });
    let ok = 0;
    hub.subscribe(BINANCE_SPOT, 'BTC-USDT', () => {
      throw new Error('consumer bug');
    });
    hub.subscribe(BINANCE_SPOT, 'BTC-USDT', () => ok++);
    await waitFor('the feed started', () => emit !== undefined, 2_000, 1);
    emit?.(q('1', '2'));
    emit?.(q('1', '3'));
    assert.equal(ok, 2);
    assert.equal(hub.latest(BINANCE_SPOT, 'BTC-USDT')?.ask, '3');
    await hub.close();
  });

  void test('isValidQuote', () => {
    assert.equal(isValidQuote(q('100', '100.5')), true);
    assert.equal(isValidQuote(q('100.5', '100.49')), false);
    assert.equal(isValidQuote(q('0.0', '1')), false);
  });
});
