import { Counter, Histogram } from 'prom-client';
import { processRegistry } from './registry';

const registers = [processRegistry];

const duration = new Histogram({
  name: 'keel_venue_call_duration_seconds',
  help: 'Round trip of each request to a venue, by operation',
  labelNames: ['venue', 'market', 'operation'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});
const errors = new Counter({
  name: 'keel_venue_call_errors_total',
  help: 'Requests to a venue that failed, by operation and error kind (a refused order included)',
  labelNames: ['venue', 'market', 'operation', 'kind'],
  registers,
});

/** One request to a venue: how long it took, and the kind of error it failed with, if it did. */
export function observeVenueCall(
  call: { venue: string; market: string; operation: string },
  seconds: number,
  errorKind?: string,
): void {
  duration.observe(call, seconds);
  if (errorKind !== undefined) errors.inc({ ...call, kind: errorKind });
}
