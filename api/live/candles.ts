/** One candle of a price series, as charting libraries take it: `time` in seconds since the epoch. */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/**
 * Candles of fixed width built from a stream of prices (the live feed's `kline`): a price opens a new candle
 * when its interval has begun, else it moves the current one. A price stamped before the current candle
 * (a late quote) moves the current one too: candles never reopen. Keeps the latest `capacity`. Pure.
 */
export class CandleSeries {
  readonly #candles: Candle[] = [];

  constructor(
    readonly intervalSeconds: number,
    private readonly capacity = 500,
  ) {}

  /** Adds a price seen at `timeMs`; the candle it moved (a copy). */
  add(price: number, timeMs: number): Candle {
    const start = Math.floor(timeMs / 1000 / this.intervalSeconds) * this.intervalSeconds;
    const current = this.#candles.at(-1);
    if (current && start <= current.time) {
      current.high = Math.max(current.high, price);
      current.low = Math.min(current.low, price);
      current.close = price;
      return { ...current };
    }
    const opened = { time: start, open: price, high: price, low: price, close: price };
    this.#candles.push(opened);
    if (this.#candles.length > this.capacity) this.#candles.shift();
    return { ...opened };
  }

  /** Every candle kept, oldest first (copies). */
  candles(): Candle[] {
    return this.#candles.map((candle) => ({ ...candle }));
  }
}
