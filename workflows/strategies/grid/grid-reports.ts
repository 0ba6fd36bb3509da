import { toFixed } from '../../../domain/decimal';
import type { GridEvent } from './grid-plan';

/** What the venue (through the ledger) reported about one order: its status and cumulative fill. */
export interface VenueReport {
  status: string;
  filledQuantity: string;
}

const CLOSED = new Set(['filled', 'canceled', 'expired', 'rejected', 'abandoned']);

/**
 * A venue report on the grid's order (level, seq) as plan events: the fill first (cumulative, so a
 * repeated report changes nothing), then the close. The plan ignores events for orders it no longer holds.
 */
export function eventsFromReport(level: number, seq: number, report: VenueReport): GridEvent[] {
  const events: GridEvent[] = [];
  if (toFixed(report.filledQuantity) > 0n)
    events.push({ type: 'OrderFilled', level, seq, filledQuantity: report.filledQuantity });
  if (CLOSED.has(report.status)) events.push({ type: 'OrderClosed', level, seq });
  return events;
}
