import { compare, fromFixed, toFixed } from '../../../domain/decimal';
import type { CommandRefusal } from '../strategy-types';
import type { ManualCommand, ManualOrderSpec } from './manual-params';

/** One of the manual strategy's resting orders, as it was placed and as far as it has filled. */
export interface ManualOrder extends ManualOrderSpec {
  clientOrderId: string;
  status: string;
  filledQuantity: string;
}

/** What the venue (through the ledger) last said of an order. */
export interface OrderReport {
  clientOrderId: string;
  status: string;
  filledQuantity: string;
}

const RESTING = new Set(['open', 'partially-filled']);

/** Whether an order with this ledger status still rests on the book (and so may be amended or cancelled). */
export const isResting = (status: string): boolean => RESTING.has(status);

/**
 * Why `command` cannot be taken while `open` are the strategy's resting orders, or undefined when it can.
 * Asked twice: by the update's validator, and again when the command's turn comes (an order may have
 * filled in between).
 */
export function refuseCommand(
  command: ManualCommand,
  open: readonly ManualOrder[],
): CommandRefusal | undefined {
  if (command.kind === 'place') return undefined;
  const order = open.find((candidate) => candidate.clientOrderId === command.clientOrderId);
  if (!order) {
    const held = open.map((candidate) => candidate.clientOrderId).join(', ') || 'none';
    return {
      reason: 'not-found',
      message: `${command.clientOrderId} is not an open order of the manual strategy (open: ${held})`,
    };
  }
  if (command.kind === 'cancel') return undefined;
  const samePrice = command.price === undefined || compare(command.price, order.price ?? '0') === 0;
  const sameQuantity = command.quantity === undefined || compare(command.quantity, order.quantity) === 0;
  if (samePrice && sameQuantity)
    return { reason: 'invalid', message: `the amend changes nothing on ${order.clientOrderId}` };
  if (command.quantity !== undefined && compare(command.quantity, order.filledQuantity) <= 0)
    return {
      reason: 'invalid',
      message: `${order.clientOrderId} has already filled ${order.filledQuantity}: its new quantity must be above that`,
    };
  return undefined;
}

/**
 * The order an amend places once `order` is cancelled, given what the cancel reported: the same side,
 * type and flags at the new price, for the new total quantity less what already filled. An amend is a
 * cancel and a new order (with its own client order id), never a change of the venue's order in place.
 */
export function replacementFor(
  order: ManualOrder,
  amend: { price?: string | undefined; quantity?: string | undefined },
  last: OrderReport,
): { order: ManualOrderSpec } | { none: string } {
  if (isResting(last.status))
    return { none: `the venue did not cancel ${order.clientOrderId} (${last.status}): nothing placed` };
  if (last.status === 'filled')
    return { none: `${order.clientOrderId} filled before it could be amended: nothing placed` };
  const remaining = toFixed(amend.quantity ?? order.quantity) - toFixed(last.filledQuantity);
  if (remaining <= 0n)
    return {
      none: `${order.clientOrderId} has filled ${last.filledQuantity}, its whole new quantity: nothing placed`,
    };
  const price = amend.price ?? order.price;
  return {
    order: {
      side: order.side,
      type: order.type,
      ...(price === undefined ? {} : { price }),
      quantity: fromFixed(remaining),
      ...(order.postOnly === undefined ? {} : { postOnly: order.postOnly }),
      ...(order.timeInForce === undefined ? {} : { timeInForce: order.timeInForce }),
    },
  };
}

/** The resting orders after a report on one of them: its fill recorded, dropped once it no longer rests. */
export function applyReport(open: readonly ManualOrder[], report: OrderReport): ManualOrder[] {
  return open.flatMap((order) => {
    if (order.clientOrderId !== report.clientOrderId) return [order];
    if (!isResting(report.status)) return [];
    return [{ ...order, status: report.status, filledQuantity: report.filledQuantity }];
  });
}
