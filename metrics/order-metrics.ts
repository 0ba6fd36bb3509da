import { Counter, Histogram } from 'prom-client';
import { ledgerEvents, type LedgerEvent } from '../db/ledger-events';
import type { LedgerOrder } from '../db/order-ledger';
import { processRegistry } from './registry';

/*
 * The order path as the ledger commits it, so each count is exact: an order counted once however often its
 * activity was retried. Labels are bounded whatever the number of symbols: venue, market, account and
 * strategy (and the risk rule of a denial). Per-symbol detail is the API's and the dashboard's.
 */
const labelNames = ['venue', 'market', 'account', 'strategy'] as const;
const registers = [processRegistry];

const sent = new Counter({
  name: 'keel_orders_sent_total',
  help: 'Requests to place an order that left for the venue (a resend after an unknown outcome counts again)',
  labelNames,
  registers,
});
const acknowledged = new Counter({
  name: 'keel_orders_acknowledged_total',
  help: 'Orders the venue acknowledged (first report of the order from the venue)',
  labelNames,
  registers,
});
const filled = new Counter({
  name: 'keel_orders_filled_total',
  help: 'Orders that filled completely',
  labelNames,
  registers,
});
const fills = new Counter({
  name: 'keel_fills_total',
  help: 'Fills recorded in the ledger (a partial fill counts once per report that adds quantity)',
  labelNames,
  registers,
});
const rejected = new Counter({
  name: 'keel_orders_rejected_total',
  help: 'Orders the venue refused',
  labelNames,
  registers,
});
const denied = new Counter({
  name: 'keel_orders_denied_total',
  help: "Orders Keel's risk check or a halt refused before sending, by rule",
  labelNames: [...labelNames, 'rule'],
  registers,
});
/** Decision (the intent recorded) to the venue's acknowledgement: the order path's tick-to-trade. */
const decisionToAck = new Histogram({
  name: 'keel_order_decision_to_ack_seconds',
  help: 'From the order intent recorded in the ledger to the venue acknowledging the order',
  labelNames: ['venue', 'market'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});
const fillToReplacement = new Histogram({
  name: 'keel_fill_to_replacement_seconds',
  help: "From a fill seen by a grid's watch to the replacement order acknowledged by the venue",
  labelNames: ['venue', 'market', 'strategy'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

const labelsOf = (order: LedgerOrder) => ({
  venue: order.venue,
  market: order.market,
  account: order.account,
  strategy: order.strategy,
});

function count(event: LedgerEvent): void {
  const labels = labelsOf(event.order);
  switch (event.kind) {
    case 'recorded':
      if (event.order.status === 'denied')
        denied.inc({ ...labels, rule: event.order.denial_rule ?? 'unknown' });
      return;
    case 'halted':
      denied.inc({ ...labels, rule: event.order.denial_rule ?? 'halted' });
      return;
    case 'sending':
      sent.inc(labels);
      return;
    case 'rejected':
      rejected.inc(labels);
      return;
    case 'reported':
      if (event.acknowledgedAfterMs !== undefined) {
        acknowledged.inc(labels);
        decisionToAck.observe(
          { venue: event.order.venue, market: event.order.market },
          event.acknowledgedAfterMs / 1000,
        );
      }
      if (event.fill) fills.inc(labels);
      if (event.order.status === 'filled' && event.before.status !== 'filled') filled.inc(labels);
      return;
  }
}

let counting: (() => void) | undefined;

/** Starts counting the ledger's events in this process (once; later calls do nothing). */
export function countOrderPath(): void {
  counting ??= ledgerEvents.listen(count);
}

/** A grid's replacement landed `seconds` after the fill that called for it was seen. */
export function observeFillToReplacement(
  where: { venue: string; market: string; strategy: string },
  seconds: number,
): void {
  fillToReplacement.observe(where, seconds);
}
