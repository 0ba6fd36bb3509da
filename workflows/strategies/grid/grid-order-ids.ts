import type { GridOrder, GridState } from './grid-plan';

/** Names one order of the plan for its whole life: its generation, level and the level's sequence number. */
export const orderKey = (generation: number, level: number, seq: number) => `${generation}/${level}/${seq}`;

/** Which client order id each order of the plan was placed under (`orderKey` → id), carried across runs. */
export type IssuedIds = Record<string, string>;

/** Takes the chain's next client order ids for the grid and remembers which plan order holds which. */
export class GridIdIssuer {
  constructor(
    private readonly ids: IssuedIds,
    private readonly next: () => string,
  ) {}

  /** The next id, now held by the order `key`. */
  issueFor(key: string): string {
    const id = this.next();
    this.ids[key] = id;
    return id;
  }

  /** The next id, set aside for an order that may or may not be placed; never handed out again. */
  reserve(): string {
    return this.next();
  }
}

export interface LiveOrder {
  generation: number;
  level: number;
  order: GridOrder;
  clientOrderId: string;
}

/** The plan's resting orders with the client order ids they were placed under. */
export function liveOrders(grid: GridState | undefined, ids: IssuedIds): LiveOrder[] {
  if (!grid) return [];
  return grid.orders.flatMap((order, level) => {
    const id = order ? ids[orderKey(grid.generation, level, order.seq)] : undefined;
    return order && id ? [{ generation: grid.generation, level, order, clientOrderId: id }] : [];
  });
}

/** The orders the plan is cancelling, whose last report has not come yet, with their client order ids. */
export function closingOrders(grid: GridState | undefined, ids: IssuedIds): LiveOrder[] {
  return (grid?.closing ?? []).flatMap((order) => {
    const id = ids[orderKey(order.generation, order.level, order.seq)];
    return id ? [{ generation: order.generation, level: order.level, order, clientOrderId: id }] : [];
  });
}

/** True while the plan still holds the order (resting, or being cancelled). */
export function holdsOrder(grid: GridState, generation: number, level: number, seq: number): boolean {
  if (generation === grid.generation && grid.orders[level]?.seq === seq) return true;
  return (grid.closing ?? []).some(
    (order) => order.generation === generation && order.level === level && order.seq === seq,
  );
}
