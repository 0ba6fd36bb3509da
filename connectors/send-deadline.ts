import { AsyncLocalStorage } from 'node:async_hooks';
import { ConnectorError } from './exchange-connector';

/**
 * The latest moment (wall clock, ms) an order request may leave this process. The exactly-once placer
 * proves an order absent once its settle window has passed since it claimed the send; a request that
 * left after `sendBy` could reach the venue after that proof, so it must never leave. Adapters check it
 * at the last moment before their transport sends (after any client-side queue, such as ccxt's rate
 * limiter), so a request that waited too long is dropped, unsent.
 */
const deadlines = new AsyncLocalStorage<number>();

/** Runs `send` with its requests bound to leave by `sendBy` (no bound when undefined). */
export function withSendDeadline<T>(sendBy: number | undefined, send: () => Promise<T>): Promise<T> {
  return sendBy === undefined ? send() : deadlines.run(sendBy, send);
}

/** Throws (retryable: nothing was sent) when the current request's deadline has passed. */
export function assertSendable(now = Date.now()): void {
  const sendBy = deadlines.getStore();
  if (sendBy !== undefined && now > sendBy)
    throw new ConnectorError(
      'retryable',
      `not sent: the request would have left ${now - sendBy} ms after its deadline (its outcome must stay provable)`,
    );
}
