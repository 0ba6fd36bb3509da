import { EventEmitter } from 'node:events';
import type { LedgerOrder } from './order-ledger';

/**
 * What the order ledger just committed, told in this process once per change: the metrics count from it
 * and the live feed relays it. Told after the transaction commits, so a rolled-back write tells nothing,
 * and only by the write that made the change (a retried report that changes nothing is silent).
 */
export type LedgerEvent =
  /** A new intent, or its denial by the risk check (`order.status` 'denied'). */
  | { kind: 'recorded'; order: LedgerOrder }
  /** A request for the order is about to leave (a claim to send), or a halt denied it at the last moment. */
  | { kind: 'sending' | 'halted'; order: LedgerOrder }
  /** The venue refused it. */
  | { kind: 'rejected'; order: LedgerOrder }
  /**
   * The venue's report changed the order: `acknowledgedAfterMs` the first time it landed (from the
   * intent's record, on PostgreSQL's clock), `fill` when it implied a new fill.
   */
  | {
      kind: 'reported';
      before: LedgerOrder;
      order: LedgerOrder;
      acknowledgedAfterMs?: number;
      fill?: { quantity: string; price: string };
    };

const emitter = new EventEmitter();
// Listeners are the process's few observers (metrics, each live feed connection): no leak warning for them.
emitter.setMaxListeners(0);

export const ledgerEvents = {
  tell(event: LedgerEvent): void {
    emitter.emit('event', event);
  },
  /** Listens until the returned function is called. A listener must not throw. */
  listen(listener: (event: LedgerEvent) => void): () => void {
    emitter.on('event', listener);
    return () => emitter.off('event', listener);
  },
};
