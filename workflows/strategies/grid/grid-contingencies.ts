import { orderKey, type LiveOrder } from './grid-order-ids';
import type { GridParams } from './grid-params';
import { replacementsOnFill, type GridState, type SubmitOrder } from './grid-plan';

/** A resting order's replacement, decided before the watch starts, placed by the watch if the order fills. */
export interface PlannedContingency {
  /** The client order id whose complete fill places the replacement. */
  trigger: string;
  /** `orderKey` of the replacement in the plan. */
  key: string;
  replacement: SubmitOrder;
}

/**
 * Each resting order's replacement if it fills completely before anything else happens: what the watch
 * may place on the plan's behalf the moment such a fill shows, without a round trip through the workflow
 * (see docs/grid.md). None while the grid is suspended or the params turn it off.
 */
export function planContingencies(
  grid: GridState,
  params: GridParams,
  live: LiveOrder[],
): PlannedContingency[] {
  if (grid.suspended || !params.replaceFromWatch) return [];
  return replacementsOnFill(grid, params).flatMap(({ level, seq, replacement }) => {
    const trigger = live.find((entry) => entry.level === level && entry.order.seq === seq);
    if (!trigger) return [];
    const key = orderKey(replacement.generation, replacement.level, replacement.seq);
    return [{ trigger: trigger.clientOrderId, key, replacement }];
  });
}
