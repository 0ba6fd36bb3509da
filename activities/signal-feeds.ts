import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConnectorError,
  type BestBidAsk,
  type ExchangeConnector,
  type OrderBookSnapshot,
  type OrderBookUpdate,
  type PublicTrade,
} from '../connectors/exchange-connector';
import { isValidQuote } from '../connectors/market-data-hub';
import { DepthSync } from '../signal/depth-sync';
import { FeatureCalculator, type SnapshotRecord, type TradeRecord } from '../signal/features';
import type { DepthSnapshot, Level } from '../signal/order-book';
import type { QuoteLeg } from './quote-watch';

/** Rings sized for a window at a busy feed's rate: BTCUSDT's touch moves ~100 times a second. */
const RING_CAPACITY = 4_096;
/** How long a feed nobody reads keeps following its market: the next loop after an order finds it warm. */
export const FEED_LINGER_MS = 30_000;
/** The levels on each side whose sizes make the depth the features read (the depth ratio). */
export const DEPTH_LEVELS = 10;
/** How deep a resync's snapshot reads the book: as deep as the simulator's streams follow it. */
const SNAPSHOT_LEVELS = 100;

/** The L2 book a feed keeps from the venue's depth stream, as its readers report it. */
export interface DepthBookStatus {
  /** A snapshot applied and no gap since: the depth features read the book. */
  synced: boolean;
  /** The venue update id the book is at. */
  sequence: number;
  snapshots: number;
  /** Gaps, broken diffs and reopened streams, each followed by a new snapshot. */
  resyncs: number;
  /** Diffs dropped while awaiting a snapshot beyond the buffer (each also a resync). */
  overflows: number;
}

export interface AttachedFeed {
  /** The feature windows, kept from every touch since the feed began. */
  calculator: FeatureCalculator;
  /** The latest sound touch, if one has come. */
  latest: BestBidAsk | undefined;
  /** Whether the venue's public trades reach the windows (the connector streams them, and the stream holds). */
  readonly trades: boolean;
  /** The L2 book behind the depth features; undefined where the venue streams no depth (the touch's sizes stand in). */
  readonly depth: DepthBookStatus | undefined;
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
  depth: DepthSync | undefined;
}

/** How long a broken public trade or depth stream (or a failed snapshot) waits before it is tried again. */
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

const levels = (raw: ReadonlyArray<readonly [string, string]>): Level[] =>
  raw.map(([price, size]) => [Number(price), Number(size)]);

const bookSnapshot = (book: OrderBookSnapshot): DepthSnapshot => ({
  lastUpdateId: book.lastUpdateId,
  time: book.timestamp,
  bids: levels(book.bids),
  asks: levels(book.asks),
});

/**
 * Keeps the symbol's L2 book in the feed from the venue's depth stream (Binance's procedure: snapshot
 * once subscribed, diffs after it, a new snapshot after any gap) until stopped. A stream that drops is
 * reopened and the book refetched; one the venue refuses leaves the feed on the touch's sizes.
 */
function followDepth(exchange: ExchangeConnector, symbol: string, feed: Feed): () => void {
  if (!exchange.watchOrderBook || !exchange.orderBookSnapshot) return () => undefined;
  const watchOrderBook = exchange.watchOrderBook.bind(exchange);
  const orderBookSnapshot = exchange.orderBookSnapshot.bind(exchange);
  const abort = new AbortController();
  const gone = (error: unknown) => !(error instanceof ConnectorError && error.retryable);
  const fetchSnapshot = async () => {
    while (!abort.signal.aborted) {
      try {
        const book = await orderBookSnapshot(symbol, SNAPSHOT_LEVELS);
        if (!abort.signal.aborted) sync.onSnapshot(bookSnapshot(book));
        return;
      } catch (error) {
        if (gone(error)) return stopDepth();
      }
      await sleep(TRADES_RETRY_MS, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  };
  const sync = new DepthSync(() => void fetchSnapshot());
  feed.depth = sync;
  const stopDepth = () => {
    feed.depth = undefined;
    abort.abort();
  };
  const onUpdate = (update: OrderBookUpdate) => {
    if (update.symbol !== symbol) return;
    if (update.kind === 'snapshot') return sync.onSnapshot(bookSnapshot(update));
    sync.onDiff({
      firstUpdateId: update.firstUpdateId,
      finalUpdateId: update.finalUpdateId,
      previousFinalUpdateId: update.previousFinalUpdateId,
      time: update.timestamp,
      bids: levels(update.bids),
      asks: levels(update.asks),
    });
  };
  void (async () => {
    let opened = false;
    while (!abort.signal.aborted) {
      try {
        await watchOrderBook(symbol, onUpdate, abort.signal, () => {
          if (opened) sync.restart();
          else void fetchSnapshot();
          opened = true;
        });
      } catch (error) {
        if (gone(error)) return stopDepth();
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
          depth: undefined,
        };
        feeds.set(key, created);
        const stopTrades = followTrades(exchange, leg.symbol, created);
        const stopDepth = followDepth(exchange, leg.symbol, created);
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
            record.bidSize = Number(quote.bidSize);
            record.askSize = Number(quote.askSize);
            const book = created.depth?.synced ? created.depth.book : undefined;
            record.bidDepth = book ? book.bids.depth(DEPTH_LEVELS) : record.bidSize;
            record.askDepth = book ? book.asks.depth(DEPTH_LEVELS) : record.askSize;
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
          stopDepth();
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
        get depth() {
          const sync = attached.depth;
          if (!sync) return undefined;
          return {
            synced: sync.synced,
            sequence: sync.book.lastUpdateId,
            snapshots: sync.counts.snapshots,
            resyncs: sync.counts.resyncs,
            overflows: sync.counts.overflows,
          };
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
