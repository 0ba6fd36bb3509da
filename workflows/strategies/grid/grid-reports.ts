import { toFixed } from '../../../domain/decimal';
import type { GridEvent } from './grid-plan';

/** What the venue (through the ledger) reported about one order: its status and cumulative fill. */
export interface VenueReport {
  status: string;
  filledQuantity: string;
}

// A denied order was never sent (the risk check refused it): closed as if cancelled unfilled.
const CLOSED = new Set(['filled', 'canceled', 'expired', 'rejected', 'abandoned', 'denied']);

/** Names one of the grid's orders for its whole life. */
export interface GridOrderRef {
  generation: number;
  level: number;
  seq: number;
}

/**
 * A venue report on one of the grid's orders as plan events: the fill first (cumulative, so a repeated
 * report changes nothing), then the close. The plan ignores events for orders it no longer holds.
 */
export function eventsFromReport(
  { generation, level, seq }: GridOrderRef,
  report: VenueReport,
): Array<GridEvent & GridOrderRef> {
  const order = { generation, level, seq };
  const events: Array<GridEvent & GridOrderRef> = [];
  if (toFixed(report.filledQuantity) > 0n)
    events.push({ type: 'OrderFilled', ...order, filledQuantity: report.filledQuantity });
  if (CLOSED.has(report.status)) events.push({ type: 'OrderClosed', ...order });
  return events;
}
