import type { VenueRef } from '../../domain/venues';
import { CandleSeries, type Candle } from './candles';

/** The touch of a symbol: best bid and ask with their sizes (decimal strings, as the venue gave them). */
export interface Touch {
  bid: string;
  ask: string;
  bidSize: string;
  askSize: string;
}

export type MarketSource = Pick<VenueRef, 'venue' | 'market' | 'account'>;

/**
 * What the API needs of market data: a symbol's touch on a venue account as it changes, until unfollowed.
 * The API holds no connectors; the process that has them (`npm start`) provides this port.
 */
export interface QuotePort {
  follow(source: MarketSource, symbol: string, onTouch: (touch: Touch) => void): () => void;
}

export interface MarketUpdate {
  candle: Candle;
  touch: Touch;
}

export interface MarketView {
  source: MarketSource;
  candles: Candle[];
  touch: Touch | undefined;
  stop(): void;
}

export interface MarketWatchOptions {
  /** Where a symbol trades (its strategy's venue), or undefined when Keel does not run it. */
  sourceOf(symbol: string): Promise<MarketSource | undefined>;
  /** Width of a candle (default 60 s). */
  intervalSeconds?: number;
  /** At most one update per symbol per this many ms reaches a viewer (default 250): a chart needs no more. */
  throttleMs?: number;
  now?: () => number;
}

interface Followed {
  source: MarketSource;
  series: CandleSeries;
  touch: Touch | undefined;
  latest: Candle | undefined;
  changed: boolean;
  viewers: Set<(update: MarketUpdate) => void>;
  unfollow: (() => void) | undefined;
  timer: NodeJS.Timeout | undefined;
}

const mid = (touch: Touch): number => (Number(touch.bid) + Number(touch.ask)) / 2;

/**
 * The dashboard's market data: per symbol, candles of its mid price and its touch. A symbol's market is
 * followed while someone views it; its candles are kept for the API's life, so a viewer who comes back
 * sees the chart it left. Updates are sent at most every `throttleMs`, never per quote.
 */
export class MarketWatch {
  readonly #followed = new Map<string, Followed>();
  readonly #intervalSeconds: number;
  readonly #throttleMs: number;
  readonly #now: () => number;

  constructor(
    private readonly port: QuotePort,
    private readonly options: MarketWatchOptions,
  ) {
    this.#intervalSeconds = options.intervalSeconds ?? 60;
    this.#throttleMs = options.throttleMs ?? 250;
    this.#now = options.now ?? Date.now;
  }

  get intervalSeconds(): number {
    return this.#intervalSeconds;
  }

  /** Starts viewing a symbol; undefined when it has no market Keel knows of. */
  async view(symbol: string, onUpdate: (update: MarketUpdate) => void): Promise<MarketView | undefined> {
    const followed = this.#followed.get(symbol) ?? (await this.#start(symbol));
    if (!followed) return undefined;
    followed.viewers.add(onUpdate);
    this.#resume(symbol, followed);
    return {
      source: followed.source,
      candles: followed.series.candles(),
      touch: followed.touch,
      stop: () => {
        followed.viewers.delete(onUpdate);
        if (followed.viewers.size === 0) this.#pause(followed);
      },
    };
  }

  async #start(symbol: string): Promise<Followed | undefined> {
    const source = await this.options.sourceOf(symbol);
    if (!source) return undefined;
    // Another viewer may have started it while the source was read.
    const existing = this.#followed.get(symbol);
    if (existing) return existing;
    const followed: Followed = {
      source,
      series: new CandleSeries(this.#intervalSeconds),
      touch: undefined,
      latest: undefined,
      changed: false,
      viewers: new Set(),
      unfollow: undefined,
      timer: undefined,
    };
    this.#followed.set(symbol, followed);
    return followed;
  }

  #resume(symbol: string, followed: Followed): void {
    followed.unfollow ??= this.port.follow(followed.source, symbol, (touch) => {
      followed.touch = touch;
      followed.latest = followed.series.add(mid(touch), this.#now());
      followed.changed = true;
    });
    followed.timer ??= setInterval(() => {
      if (!followed.changed || !followed.latest || !followed.touch) return;
      followed.changed = false;
      const update = { candle: followed.latest, touch: followed.touch };
      for (const viewer of followed.viewers) viewer(update);
    }, this.#throttleMs);
  }

  #pause(followed: Followed): void {
    followed.unfollow?.();
    followed.unfollow = undefined;
    clearInterval(followed.timer);
    followed.timer = undefined;
  }

  /** Stops following every market (the API closing). */
  close(): void {
    for (const followed of this.#followed.values()) this.#pause(followed);
  }
}
