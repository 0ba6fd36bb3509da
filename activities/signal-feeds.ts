import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConnectorError,
  type BestBidAsk,
  type ExchangeConnector,
  type PublicTrade,
} from '../connectors/exchange-connector';
import { isValidQuote } from '../connectors/market-data-hub';
import { FeatureCalculator, type SnapshotRecord, type TradeRecord } from '../signal/features';
import type { QuoteLeg } from './quote-watch';

/** Rings sized for a window at a busy feed's rate: BTCUSDT's touch moves ~100 times a second. */
const RING_CAPACITY = 4_096;
/** How long a feed nobody reads keeps following its market: the next loop after an order finds it warm. */
export const FEED_LINGER_MS = 30_000;

export interface AttachedFeed {
  /** The feature windows, kept from every touch since the feed began. */
  calculator: FeatureCalculator;
  /** The latest sound touch, if one has come. */
  latest: BestBidAsk | undefined;
  /** Whether the venue's public trades reach the windows (the connector streams them, and the stream holds). */
  readonly trades: boolean;
  detach(): void;
}

export interface FeedListener {
  /** A touch, already in the windows; `receivedAt` (performance.now()) is when it arrived, before that. */
  onQuote(quote: BestBidAsk, receivedAt: number): void;
  onError(error: unknown): void;
}

type Follow = (
  exchange: ExchangeConnector,
  leg: QuoteLeg,
  onQuote: (quote: BestBidAsk) => void,
  onError: (error: unknown) => void,
) => () => void;

interface Feed {
  calculator: FeatureCalculator;
  snapshot: SnapshotRecord;
  latest: BestBidAsk | undefined;
  listeners: Set<FeedListener>;
  stop: () => void;
  linger: NodeJS.Timeout | undefined;
  trades: boolean;
}

/** How long a broken public trade stream waits before it is opened again. */
const TRADES_RETRY_MS = 1_000;

/**
 * Folds the symbol's public trades into the feed's windows (each one also evaluated by the readers, on
 * the standing touch) until stopped. A stream that fails transiently is opened again; one the venue
 * refuses leaves the feed without trades, which its readers report.
 */
function followTrades(exchange: ExchangeConnector, symbol: string, feed: Feed): () => void {
  if (!exchange.watchTrades) return () => undefined;
  const abort = new AbortController();
  const trade: TradeRecord = { time: 0, price: 0, quantity: 0, side: 0 };
  const onTrade = (printed: PublicTrade) => {
    const receivedAt = performance.now();
    trade.time = printed.timestamp;
    trade.price = Number(printed.price);
    trade.quantity = Number(printed.quantity);
    trade.side = printed.takerSide === 'buy' ? 1 : -1;
    feed.calculator.addTrade(trade);
    const latest = feed.latest;
    if (latest) for (const reader of feed.listeners) reader.onQuote(latest, receivedAt);
  };
  void (async () => {
    while (!abort.signal.aborted) {
      try {
        await exchange.watchTrades!(symbol, onTrade, abort.signal);
      } catch (error) {
        if (!(error instanceof ConnectorError && error.retryable)) {
          feed.trades = false;
          return;
        }
      }
      await sleep(TRADES_RETRY_MS, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();
  return () => abort.abort();
}

/**
 * The signal loops' market feeds, one per worker: per account, market, symbol and window, the touch is
 * followed and folded into the feature windows while a loop reads it and FEED_LINGER_MS after. A loop ends
 * with each decision; the next one, started after the order, reads windows that never stopped filling.
 */
export function signalFeeds(follow: Follow, lingerMs = FEED_LINGER_MS) {
  const feeds = new Map<string, Feed>();
  const close = (key: string, feed: Feed) => {
    clearTimeout(feed.linger);
    feed.stop();
    if (feeds.get(key) === feed) feeds.delete(key);
  };
  return {
    attach(
      exchange: ExchangeConnector,
      leg: QuoteLeg,
      windowMs: number,
      listener: FeedListener,
    ): AttachedFeed {
      const key = JSON.stringify([leg.account, leg.venue, leg.market, leg.symbol, windowMs]);
      let feed = feeds.get(key);
      if (!feed) {
        const created: Feed = {
          calculator: new FeatureCalculator(
            { priceMs: windowMs, flowMs: windowMs },
            { snapshots: RING_CAPACITY, trades: RING_CAPACITY },
          ),
          snapshot: { time: 0, bid: 0, ask: 0, bidSize: 0, askSize: 0, bidDepth: 0, askDepth: 0 },
          latest: undefined,
          listeners: new Set(),
          stop: () => undefined,
          linger: undefined,
          trades: exchange.watchTrades !== undefined,
        };
        feeds.set(key, created);
        const stopTrades = followTrades(exchange, leg.symbol, created);
        const stopTouch = follow(
          exchange,
          leg,
          (quote) => {
            if (!isValidQuote(quote)) return;
            const receivedAt = performance.now();
            const record = created.snapshot;
            record.time = quote.timestamp;
            record.bid = Number(quote.bid);
            record.ask = Number(quote.ask);
            record.bidSize = record.bidDepth = Number(quote.bidSize);
            record.askSize = record.askDepth = Number(quote.askSize);
            created.calculator.addSnapshot(record);
            created.latest = quote;
            for (const reader of created.listeners) reader.onQuote(quote, receivedAt);
          },
          (error) => {
            close(key, created);
            for (const reader of created.listeners) reader.onError(error);
          },
        );
        created.stop = () => {
          stopTouch();
          stopTrades();
        };
        feed = created;
      }
      const attached = feed;
      clearTimeout(attached.linger);
      attached.linger = undefined;
      attached.listeners.add(listener);
      return {
        calculator: attached.calculator,
        latest: attached.latest,
        get trades() {
          return attached.trades;
        },
        detach() {
          attached.listeners.delete(listener);
          if (attached.listeners.size === 0 && feeds.get(key) === attached)
            attached.linger = setTimeout(() => close(key, attached), lingerMs);
        },
      };
    },
    /** Feeds now followed (tests and /status). */
    get size() {
      return feeds.size;
    },
    closeAll() {
      for (const [key, feed] of [...feeds]) close(key, feed);
    },
  };
}
