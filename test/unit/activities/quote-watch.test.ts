import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asyncLocalStorage, CancelledFailure, Context, type Info } from '@temporalio/activity';
import { noopMetricMeter, type Logger } from '@temporalio/common';
import {
  createQuoteWatchActivities,
  marketDataHubs,
  type QuoteHub,
  type QuoteLeg,
  type QuoteWatchInput,
  type QuoteWatchResult,
  type SeenTouch,
} from '../../../activities/quote-watch';
import type { ConnectorFactory, ExchangeConnector } from '../../../connectors/exchange-connector';
import { quoteBook } from '../../integration/arbitrage/arbitrage-kit';
import { createSimWorld } from '../../support/harness';
import { waitFor } from '../../support/wait';

/**
 * awaitQuoteChange, the arbitrage's wait for a quote change (spot-perp on one venue): the real activity
 * on real in-process simulator connectors, through the worker-wide market-data hub, its heartbeats and
 * cancellation driven by a mock activity environment (below).
 */
const SYMBOL = 'QW-USDT';
const legs: QuoteLeg[] = [
  { venue: 'binance', market: 'spot', account: 'keel', symbol: SYMBOL },
  { venue: 'binance', market: 'perp', account: 'keel', symbol: SYMBOL },
];

/**
 * What `MockActivityEnvironment` of `@temporalio/testing` does (that package is not among Keel's
 * dependencies): the SDK's own activity `Context`, run in its async-local storage, with heartbeats
 * counted and a cancellation as the worker delivers one (the signal aborts, `cancelled` rejects).
 */
function activityEnvironment() {
  const abort = new AbortController();
  let rejectCancelled: (error: unknown) => void = () => undefined;
  const cancelled = new Promise<never>((_, reject) => (rejectCancelled = reject));
  cancelled.catch(() => undefined);
  const quiet = (): void => undefined;
  const logger: Logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };
  let heartbeats = 0;
  const context = new Context(
    { activityType: 'awaitQuoteChange', heartbeatTimeoutMs: 3_000 } as Info,
    cancelled,
    abort.signal,
    () => (heartbeats += 1),
    undefined,
    logger,
    noopMetricMeter,
    { details: undefined },
  );
  return {
    heartbeats: () => heartbeats,
    cancel() {
      rejectCancelled(new CancelledFailure('CANCELLED'));
      abort.abort();
    },
    run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
      return asyncLocalStorage.run(context, fn, ...args);
    },
  };
}

describe('awaitQuoteChange: a heartbeating wait on the legs’ quote streams', () => {
  const sim = createSimWorld([SYMBOL]);
  const spot = sim.exchange.market('binance', 'spot');
  const perp = sim.exchange.market('binance', 'perp');
  /** Quote streams (watchBestBidAsk calls) the connectors have open, and polls made. */
  let openStreams = 0;
  let polls = 0;
  /** Legs (`venue/market`) served as by a venue without a quote stream. */
  const streamless = new Set<string>();
  const connectors: ConnectorFactory = (venue, market, account) => {
    const real = sim.connectors(venue, market, account);
    const observed = Object.create(real) as ExchangeConnector;
    Object.defineProperty(observed, 'capabilities', {
      get: () => ({ ...real.capabilities, canStream: !streamless.has(`${venue}/${market}`) }),
    });
    observed.watchBestBidAsk = async (symbols, onQuote, signal) => {
      openStreams += 1;
      try {
        await real.watchBestBidAsk(symbols, onQuote, signal);
      } finally {
        openStreams -= 1;
      }
    };
    observed.bestBidAsk = async (symbol) => {
      polls += 1;
      return real.bestBidAsk(symbol);
    };
    return observed;
  };
  const hubs = marketDataHubs(connectors);
  const hub = hubs('keel');
  /** The activity's own subscriptions to the hub still live (a shared feed hides them from the hub's status). */
  let liveListeners = 0;
  const countingHub: QuoteHub = {
    subscribe(source, symbol, listener) {
      liveListeners += 1;
      const unsubscribe = hub.subscribe(source, symbol, listener);
      let once = false;
      return () => {
        if (!once) liveListeners -= 1;
        once = true;
        unsubscribe();
      };
    },
    latest: (source, symbol) => hub.latest(source, symbol),
  };
  const quoteWatch = createQuoteWatchActivities({
    connectors,
    hubFor: (account) => {
      assert.equal(account, 'keel');
      return countingHub;
    },
  });

  /** The legs' touches as the workflow would have read them (marketSnapshot's fields). */
  const currentTouches = async (): Promise<SeenTouch[]> =>
    Promise.all(
      legs.map(async (leg) => {
        const { bid, ask, bidSize, askSize } = await connectors(
          leg.venue,
          leg.market,
          leg.account,
        ).bestBidAsk(leg.symbol);
        return { bid, ask, bidSize, askSize };
      }),
    );

  const subscribedSymbols = () => hub.status().reduce((sum, source) => sum + source.symbols, 0);

  /** Nothing of a watch is left once it returned: no listener, no hub feed, no connector stream. */
  const assertNothingLeft = async () => {
    assert.equal(liveListeners, 0, 'the watch unsubscribed every leg');
    assert.equal(subscribedSymbols(), 0, 'the hub follows nothing any more');
    await waitFor('the connectors’ streams to end', () => openStreams === 0, 2_000, 10);
  };

  /** Runs one watch; `whileWaiting` acts once it has subscribed. */
  async function watch(
    input: Omit<QuoteWatchInput, 'legs'>,
    whileWaiting?: (environment: ReturnType<typeof activityEnvironment>) => void | Promise<void>,
  ) {
    const environment = activityEnvironment();
    const started = Date.now();
    const running = environment.run((args: QuoteWatchInput) => quoteWatch.awaitQuoteChange(args), {
      legs,
      ...input,
    });
    let result: QuoteWatchResult | undefined;
    void running.then((value) => (result = value)).catch(() => undefined);
    if (whileWaiting) {
      // Subscribed to the streamed legs, and their first quotes delivered (or the watch already returned).
      const streamed = legs.filter((leg) => !streamless.has(`${leg.venue}/${leg.market}`));
      await waitFor(
        'the watch to hear its streamed legs',
        () =>
          result !== undefined ||
          (liveListeners === streamed.length && streamed.every((leg) => hub.latest(leg, leg.symbol))),
        2_000,
        5,
      );
      assert.equal(result, undefined, 'the watch waited: nothing had changed yet');
      await whileWaiting(environment);
    }
    const returned = await running;
    return { ...returned, ms: Date.now() - started, heartbeats: environment.heartbeats() };
  }

  before(() => {
    sim.exchange.fundAccount('mm');
    quoteBook(spot, SYMBOL, '99.9', '100');
    quoteBook(perp, SYMBOL, '100.1', '100.2');
  });
  after(() => hub.close());

  test('returns `changed` promptly when one leg’s touch moves, with the latest touches', async () => {
    const seen = await currentTouches();
    let movedAt = 0;
    const result = await watch({ seen, maxWaitMs: 20_000 }, () => {
      movedAt = Date.now();
      quoteBook(perp, SYMBOL, '100.3', '100.4');
    });
    assert.equal(result.reason, 'changed');
    assert.deepEqual(result.changed, [1]);
    assert.ok(Date.now() - movedAt < 1_000, `returned ${Date.now() - movedAt} ms after the move`);
    assert.deepEqual(
      result.quotes.map((quote) => quote && { bid: quote.bid, ask: quote.ask }),
      [
        { bid: '99.9', ask: '100' },
        { bid: '100.3', ask: '100.4' },
      ],
    );
    assert.equal(typeof result.quotes[1]?.timestamp, 'number');
    await assertNothingLeft();
  });

  test('a leg the workflow has seen nothing of changes with its first quote', async () => {
    const [spotSeen] = await currentTouches();
    const result = await watch({ seen: [spotSeen, undefined], maxWaitMs: 5_000 });
    assert.equal(result.reason, 'changed');
    assert.deepEqual(result.changed, [1]);
    assert.ok(result.ms < 1_000, `took ${result.ms} ms`);
    await assertNothingLeft();
  });

  test('returns `timeout` after maxWaitMs when nothing moved; the same prices written otherwise are no change', async () => {
    const seen = (await currentTouches()).map((touch) => ({
      ...touch,
      bid: `${touch.bid}${touch.bid?.includes('.') ? '' : '.'}00`,
    }));
    const result = await watch({ seen, maxWaitMs: 2_500 });
    assert.equal(result.reason, 'timeout');
    assert.deepEqual(result.changed, []);
    assert.ok(result.ms >= 2_500 && result.ms < 3_500, `took ${result.ms} ms`);
    assert.deepEqual(
      result.quotes.map((quote) => quote?.ask),
      seen.map((touch) => touch.ask),
      'the latest touches, as delivered',
    );
    assert.ok(result.heartbeats >= 2, `heartbeated ${result.heartbeats} times in 2.5 s`);
    await assertNothingLeft();
  });

  test('a size at the touch is a change by default, and none with `sizes: false`', async () => {
    const seen = await currentTouches();
    const sized = await watch({ seen, maxWaitMs: 20_000 }, () => quoteBook(spot, SYMBOL, '99.9', '100', '7'));
    assert.equal(sized.reason, 'changed');
    assert.deepEqual(sized.changed, [0]);
    assert.equal(sized.quotes[0]?.bidSize, '7');
    await assertNothingLeft();

    const pricesOnly = await watch({ seen: await currentTouches(), sizes: false, maxWaitMs: 1_000 }, () =>
      quoteBook(spot, SYMBOL, '99.9', '100', '3'),
    );
    assert.equal(pricesOnly.reason, 'timeout');
    assert.equal(pricesOnly.quotes[0]?.bidSize, '3', 'it heard the new size, and kept waiting');
    await assertNothingLeft();
  });

  test('cancellation returns `interrupted` promptly, with what it has', async () => {
    const seen = await currentTouches();
    let cancelledAt = 0;
    const result = await watch({ seen, maxWaitMs: 30_000 }, (environment) => {
      cancelledAt = Date.now();
      environment.cancel();
    });
    assert.equal(result.reason, 'interrupted');
    assert.ok(Date.now() - cancelledAt < 200, `returned ${Date.now() - cancelledAt} ms after the cancel`);
    assert.deepEqual(
      result.quotes.map((quote) => quote?.bid),
      seen.map((touch) => touch.bid),
    );
    await assertNothingLeft();
  });

  test('a watch sharing a feed with another consumer leaves it running, and removes only its own listener', async () => {
    const spotSource = { venue: 'binance' as const, market: 'spot' as const };
    const heard: string[] = [];
    const other = hub.subscribe(spotSource, SYMBOL, (quote) => heard.push(quote.bid));
    try {
      await waitFor('the other consumer’s first quote', () => heard.length > 0, 2_000, 5);
      const seen = await currentTouches();
      // The feed's last quote is not repeated to a newcomer: the watch reads it from the hub.
      const result = await watch({ seen: [{ ...seen[0], bid: '1' }, seen[1]], maxWaitMs: 5_000 });
      assert.equal(result.reason, 'changed', 'the shared feed’s latest quote counted');
      assert.deepEqual(result.changed, [0]);
      assert.equal(liveListeners, 0, 'the watch’s listeners are gone');
      assert.equal(subscribedSymbols(), 1, 'the other consumer’s feed still runs');
      quoteBook(spot, SYMBOL, '99.8', '100');
      await waitFor('the other consumer to hear on', () => heard.at(-1) === '99.8', 2_000, 5);
    } finally {
      other();
    }
    await assertNothingLeft();
  });

  test('a venue without a quote stream is polled, as one activity', async () => {
    streamless.add('binance/perp');
    try {
      const seen = await currentTouches();
      const pollsBefore = polls;
      let movedAt = 0;
      const result = await watch({ seen, maxWaitMs: 20_000 }, async () => {
        await waitFor('a poll', () => polls > pollsBefore + 1, 2_000, 5);
        movedAt = Date.now();
        quoteBook(perp, SYMBOL, '100.5', '100.6');
      });
      assert.equal(result.reason, 'changed');
      assert.deepEqual(result.changed, [1]);
      assert.ok(Date.now() - movedAt < 1_500, `returned ${Date.now() - movedAt} ms after the move`);
      assert.equal(result.quotes[1]?.bid, '100.5');
      const pollsAtReturn = polls;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      assert.ok(
        polls <= pollsAtReturn + 1,
        'polling stopped with the watch (one request may have been in flight)',
      );
      await assertNothingLeft();
    } finally {
      streamless.clear();
    }
  });
});
