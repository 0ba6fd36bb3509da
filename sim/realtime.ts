import type { SimExchange } from './exchange';

/**
 * Moves the exchange's clock with the wall clock: a timer steps it by the time that really passed every
 * `tickMs`. Returns the function that stops it. The timer does not keep the process alive.
 */
export function runInRealTime(exchange: SimExchange, tickMs = 100): () => void {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    exchange.step(Math.max(0, now - last));
    last = now;
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
