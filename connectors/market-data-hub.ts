import { isSoundQuote } from '../domain/trading';
import type { MarketKind, Venue } from '../domain/venues';
import type { BestBidAsk, ExchangeConnector } from './exchange-connector';

export interface MarketSource {
  venue: Venue;
  market: MarketKind;
}

export type QuoteListener = (quote: BestBidAsk, source: MarketSource) => void;

export interface MarketDataHubOptions {
  /** The connector serving a source; called once per source. */
  connectorFor(source: MarketSource): ExchangeConnector;
  /** A source (or symbol) with no valid quote for longer than this is stale (default 5000 ms). */
  staleAfterMs?: number;
  /** Reconnect backoff: initial delay, doubled per failed attempt up to the maximum (100 ms .. 10 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
  /** Waits `ms` or until the signal aborts (tests pass a fake). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Feed failures, for logging; the hub reconnects on its own. */
  onFeedError?: (source: MarketSource, symbol: string, error: unknown) => void;
}

export interface SourceStatus extends MarketSource {
  stale: boolean;
  connected: boolean;
  symbols: number;
  invalidQuotes: number;
  reconnects: number;
  lastQuoteAt: number | undefined;
}

interface Feed {
  source: MarketSource;
  symbol: string;
  listeners: Set<QuoteListener>;
  abort: AbortController;
  connected: boolean;
  latest: BestBidAsk | undefined;
  lastQuoteAt: number | undefined;
}

interface SourceCounters {
  invalidQuotes: number;
  reconnects: number;
}

const sourceKey = (s: MarketSource): string => `${s.venue}/${s.market}`;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** A quote is usable only with both sides positive and not crossed. */
export function isValidQuote(q: BestBidAsk): boolean {
  return isSoundQuote(q.bid, q.ask);
}

/**
 * Best bid/ask for the whole process: one subscription per (venue, market, symbol), fanned out to every
 * consumer; reconnects with exponential backoff; invalid quotes dropped and counted per source; a
 * staleness flag per source and per symbol.
 */
export class MarketDataHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly connectors = new Map<string, ExchangeConnector>();
  private readonly counters = new Map<string, SourceCounters>();
  private readonly staleAfterMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: MarketDataHubOptions) {
    this.staleAfterMs = options.staleAfterMs ?? 5_000;
    this.backoffInitialMs = options.backoffInitialMs ?? 100;
    this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Starts following a symbol (or joins the existing subscription). Returns the unsubscribe function. */
  subscribe(source: MarketSource, symbol: string, listener: QuoteListener): () => void {
    const key = `${sourceKey(source)}/${symbol}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = {
        source: { venue: source.venue, market: source.market },
        symbol,
        listeners: new Set(),
        abort: new AbortController(),
        connected: false,
        latest: undefined,
        lastQuoteAt: undefined,
      };
      this.feeds.set(key, feed);
      // Listener first: a connector may deliver its snapshot synchronously from watchBestBidAsk.
      feed.listeners.add(listener);
      const run = this.run(feed).finally(() => this.running.delete(run));
      this.running.add(run);
    } else feed.listeners.add(listener);
    const f = feed;
    return () => {
      f.listeners.delete(listener);
      if (f.listeners.size === 0 && this.feeds.get(key) === f) {
        this.feeds.delete(key);
        f.abort.abort();
      }
    };
  }

  latest(source: MarketSource, symbol: string): BestBidAsk | undefined {
    return this.feeds.get(`${sourceKey(source)}/${symbol}`)?.latest;
  }

  /** Per symbol: no valid quote yet, none within staleAfterMs, or the feed is down. */
  isSymbolStale(source: MarketSource, symbol: string): boolean {
    const f = this.feeds.get(`${sourceKey(source)}/${symbol}`);
    return !f || this.feedStale(f);
  }

  /** Per source: stale when every followed symbol of it is stale (or nothing is followed). */
  isStale(source: MarketSource): boolean {
    const feeds = this.feedsOf(source);
    return feeds.length === 0 || feeds.every((f) => this.feedStale(f));
  }

  status(): SourceStatus[] {
    const keys = new Set([
      ...this.counters.keys(),
      ...[...this.feeds.values()].map((f) => sourceKey(f.source)),
    ]);
    return [...keys].sort().map((k) => {
      const [venue, market] = k.split('/') as [Venue, MarketKind];
      const source = { venue, market };
      const feeds = this.feedsOf(source);
      const c = this.counterOf(source);
      const times = feeds.map((f) => f.lastQuoteAt).filter((t): t is number => t !== undefined);
      return {
        venue,
        market,
        stale: this.isStale(source),
        connected: feeds.some((f) => f.connected),
        symbols: feeds.length,
        invalidQuotes: c.invalidQuotes,
        reconnects: c.reconnects,
        lastQuoteAt: times.length ? Math.max(...times) : undefined,
      };
    });
  }

  /** Stops every subscription and waits for the feeds to wind down. */
  async close(): Promise<void> {
    for (const f of this.feeds.values()) f.abort.abort();
    this.feeds.clear();
    await Promise.all([...this.running]);
  }

  private feedsOf(source: MarketSource): Feed[] {
    const k = sourceKey(source);
    return [...this.feeds.values()].filter((f) => sourceKey(f.source) === k);
  }

  private feedStale(f: Feed): boolean {
    return !f.connected || f.lastQuoteAt === undefined || this.now() - f.lastQuoteAt > this.staleAfterMs;
  }

  private counterOf(source: MarketSource): SourceCounters {
    const k = sourceKey(source);
    let c = this.counters.get(k);
    if (!c) {
      c = { invalidQuotes: 0, reconnects: 0 };
      this.counters.set(k, c);
    }
    return c;
  }

  private connector(source: MarketSource): ExchangeConnector {
    const k = sourceKey(source);
    let c = this.connectors.get(k);
    if (!c) {
      c = this.options.connectorFor(source);
      this.connectors.set(k, c);
    }
    return c;
  }

  private onQuote(feed: Feed, q: BestBidAsk, resetBackoff: () => void): void {
    if (feed.abort.signal.aborted) return;
    if (q.symbol !== feed.symbol || !isValidQuote(q)) {
      this.counterOf(feed.source).invalidQuotes++;
      return;
    }
    resetBackoff();
    feed.latest = q;
    feed.lastQuoteAt = this.now();
    for (const l of [...feed.listeners]) {
      try {
        l(q, feed.source);
      } catch {
        // One consumer's bug must not starve the others.
      }
    }
  }

  private async run(feed: Feed): Promise<void> {
    const signal = feed.abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      if (attempt > 0) this.counterOf(feed.source).reconnects++;
      feed.connected = true;
      try {
        await this.connector(feed.source).watchBestBidAsk(
          [feed.symbol],
          (q) => this.onQuote(feed, q, () => (attempt = 0)),
          signal,
        );
      } catch (e) {
        if (!signal.aborted) this.options.onFeedError?.(feed.source, feed.symbol, e);
      }
      feed.connected = false;
      if (signal.aborted) break;
      const delay = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** attempt);
      attempt++;
      await this.sleep(delay, signal);
    }
  }
}
