import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import {
  ConnectorError,
  type BestBidAsk,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../connectors/exchange-connector';
import { isValidQuote, MarketDataHub } from '../connectors/market-data-hub';
import { compare } from '../domain/decimal';
import type { Where } from './market-snapshot';
import { WATCH_HEARTBEAT_MS } from './order-watch';

/** One leg whose touch is watched: a venue market, the account whose connector reads it, a symbol. */
export interface QuoteLeg extends Where {
  symbol: string;
}

/**
 * A leg's touch as the workflow last decided on it, as `marketSnapshot` returns it: a side absent when
 * that side of the book was empty.
 */
export interface SeenTouch {
  bid?: string;
  ask?: string;
  bidSize?: string;
  askSize?: string;
}

export interface QuoteWatchInput {
  legs: QuoteLeg[];
  /**
   * Per leg (same order), the touch the workflow last decided on; null or undefined: nothing seen, so the
   * leg's first quote is a change. (Temporal carries an `undefined` array element as null.)
   */
  seen: Array<SeenTouch | null | undefined>;
  /**
   * Whether the size at the best bid or ask changing is a change too (default true): the `depth` price
   * source prices from it; `touch` and `mid` need only prices, and pass false to wake less often.
   */
  sizes?: boolean;
  /** Return `timeout` after this long when nothing changed (the workflow then reads by snapshot anyway). */
  maxWaitMs: number;
}

/** A leg's latest sound touch (both sides, not crossed) and its venue time (ms since epoch). */
export interface LegTouch {
  bid: string;
  ask: string;
  bidSize: string;
  askSize: string;
  timestamp: number;
}

export interface QuoteWatchResult {
  /**
   * changed: a leg's touch differs from what the workflow saw; timeout: `maxWaitMs` passed without one;
   * interrupted: the workflow cancelled the wait (a command arrived) before one.
   */
  reason: 'changed' | 'timeout' | 'interrupted';
  /** Per leg, its latest sound touch; null while its stream (or poll) has delivered none. */
  quotes: Array<LegTouch | null>;
  /** The legs (indexes into `legs`) whose touch differs from `seen`; empty unless `changed`. */
  changed: number[];
}

/** What the watch needs of a market-data hub: joining a (source, symbol) feed, and its latest quote. */
export type QuoteHub = Pick<MarketDataHub, 'subscribe' | 'latest'>;

/**
 * How often a leg on a venue without a quote stream (`capabilities.canStream` false) is asked for its
 * touch: twice a second, a light load on any venue's REST limits for one symbol.
 */
export const QUOTE_POLL_MS = 500;

export interface QuoteWatchDependencies {
  connectors: ConnectorFactory;
  /**
   * The worker's market-data hub reading with `account`'s connectors; by default one per account, built
   * on first use and kept for the worker's life (`marketDataHubs`).
   */
  hubFor?: (account: string) => QuoteHub;
  /** Default QUOTE_POLL_MS and WATCH_HEARTBEAT_MS (tests shorten them). */
  pollMs?: number;
  heartbeatMs?: number;
}

/**
 * One market-data hub per account, each built on first use from the worker's connectors: a source's
 * connector belongs to an account (a real venue refuses an unconfigured one), and strategies name theirs.
 * One subscription per (venue, market, symbol) per account, however many watches share it.
 */
export function marketDataHubs(connectors: ConnectorFactory): (account: string) => MarketDataHub {
  const hubs = new Map<string, MarketDataHub>();
  return (account) => {
    let hub = hubs.get(account);
    if (!hub) {
      hub = new MarketDataHub({
        connectorFor: (source) => connectors(source.venue, source.market, account),
      });
      hubs.set(account, hub);
    }
    return hub;
  };
}

const toTouch = ({ bid, ask, bidSize, askSize, timestamp }: BestBidAsk): LegTouch => ({
  bid,
  ask,
  bidSize,
  askSize,
  timestamp,
});

const differs = (seen: string | undefined, now: string): boolean =>
  seen === undefined || compare(seen, now) !== 0;

/**
 * Whether `now` differs from what the workflow saw: a price at the touch (numerically: `100.0` is `100`),
 * or, with `sizes`, a size at the touch. Nothing seen: any quote differs; no quote yet: nothing does. Pure.
 */
export function touchChanged(
  seen: SeenTouch | null | undefined,
  now: LegTouch | null,
  sizes: boolean,
): boolean {
  if (!now) return false;
  if (!seen) return true;
  return (
    differs(seen.bid, now.bid) ||
    differs(seen.ask, now.ask) ||
    (sizes && (differs(seen.bidSize, now.bidSize) || differs(seen.askSize, now.askSize)))
  );
}

/**
 * Follows one leg's touch until the returned function is called: through the account's market-data hub
 * where the venue streams (starting from the hub's latest quote, since a feed other watches already follow
 * does not repeat it to a newcomer), else by asking every `pollMs` (transient errors wait for the next
 * poll; a refusal goes to `onError`).
 */
export function touchFollower(hubFor: (account: string) => QuoteHub, pollMs: number) {
  return (
    exchange: ExchangeConnector,
    leg: QuoteLeg,
    onQuote: (quote: BestBidAsk) => void,
    onError: (error: unknown) => void,
  ): (() => void) => {
    if (exchange.capabilities.canStream) {
      const hub = hubFor(leg.account);
      const source = { venue: leg.venue, market: leg.market };
      const stop = hub.subscribe(source, leg.symbol, onQuote);
      const latest = hub.latest(source, leg.symbol);
      if (latest) onQuote(latest);
      return stop;
    }
    const stop = new AbortController();
    void (async () => {
      while (!stop.signal.aborted) {
        try {
          onQuote(await exchange.bestBidAsk(leg.symbol));
        } catch (error) {
          // A quiet book's empty side (`no-quote`) or a venue hiccup: no news this time. A refusal is thrown.
          if (!(error instanceof ConnectorError && error.retryable)) return onError(error);
        }
        await delay(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    })();
    return () => stop.abort();
  };
}

export function createQuoteWatchActivities(deps: QuoteWatchDependencies) {
  const hubFor = deps.hubFor ?? marketDataHubs(deps.connectors);
  const pollMs = deps.pollMs ?? QUOTE_POLL_MS;
  const heartbeatMs = deps.heartbeatMs ?? WATCH_HEARTBEAT_MS;

  const follow = touchFollower(hubFor, pollMs);

  return {
    /**
     * Long-running and heartbeating: follows each leg's best bid/ask (the worker's market-data hub; a
     * venue without a stream is polled every QUOTE_POLL_MS) and returns as soon as a leg's touch differs
     * from what the workflow last decided on, so the strategy wakes on quote changes instead of polling
     * snapshots. Returns `timeout` after `maxWaitMs`, and `interrupted` when cancelled (a command arrived),
     * each with the latest touches; every subscription is dropped before it returns.
     */
    async awaitQuoteChange(input: QuoteWatchInput): Promise<QuoteWatchResult> {
      const context = Context.current();
      const sizes = input.sizes ?? true;
      // Resolved first: an unknown venue or account fails the activity here instead of a feed retrying it.
      const exchanges = input.legs.map((leg) => deps.connectors(leg.venue, leg.market, leg.account));
      const quotes: Array<LegTouch | null> = input.legs.map(() => null);
      const changedLegs = () =>
        quotes.flatMap((quote, index) => (touchChanged(input.seen[index], quote, sizes) ? [index] : []));

      return new Promise<QuoteWatchResult>((resolve, reject) => {
        const stops: Array<() => void> = [];
        let done = false;
        const end = (): boolean => {
          if (done) return false;
          done = true;
          clearInterval(beating);
          clearTimeout(timer);
          context.cancellationSignal.removeEventListener('abort', onCancel);
          for (const stop of stops.splice(0)) stop();
          return true;
        };
        const finish = (reason: QuoteWatchResult['reason']) => {
          if (end())
            resolve({ reason, quotes: [...quotes], changed: reason === 'changed' ? changedLegs() : [] });
        };
        const fail = (error: unknown) => {
          if (end()) reject(error instanceof Error ? error : new Error(String(error)));
        };
        const onCancel = () => finish('interrupted');
        const onQuote = (index: number) => (quote: BestBidAsk) => {
          // The hub delivers sound quotes only; a poll is held to the same rule.
          if (done || !isValidQuote(quote)) return;
          quotes[index] = toTouch(quote);
          if (touchChanged(input.seen[index], quotes[index], sizes)) finish('changed');
        };

        // Heartbeats follow the clock: the workflow's cancellation arrives within one.
        context.heartbeat();
        const beating = setInterval(() => context.heartbeat(), heartbeatMs);
        const timer = setTimeout(() => finish('timeout'), Math.max(0, input.maxWaitMs));
        if (context.cancellationSignal.aborted) return finish('interrupted');
        context.cancellationSignal.addEventListener('abort', onCancel);

        for (const [index, leg] of input.legs.entries()) {
          if (done) break;
          const stop = follow(exchanges[index]!, leg, onQuote(index), fail);
          // A quote delivered while subscribing may already have ended the watch.
          if (done) stop();
          else stops.push(stop);
        }
      });
    },
  };
}
