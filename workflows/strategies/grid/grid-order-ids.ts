import { clientOrderId } from '../../../domain/ids';
import type { GridOrder, GridState } from './grid-plan';

const SEQUENCES_PER_GENERATION = 36 ** 3;

/** Names one order of the plan for its whole life: its generation, level and the level's sequence number. */
export const orderKey = (generation: number, level: number, seq: number) => `${generation}/${level}/${seq}`;

/** The grid's client order id numbered `issued`: a function of durable state alone. */
export function gridClientOrderId(scope: string, slot: number, issued: number): string {
  return clientOrderId({
    scope,
    strategySlot: slot,
    generation: Math.floor(issued / SEQUENCES_PER_GENERATION),
    sequence: issued % SEQUENCES_PER_GENERATION,
  });
}

/** The ids a grid has issued, carried across continue-as-new. */
export interface IssuedIds {
  /** Orders issued so far: the next client order id is a function of this count alone. */
  issued: number;
  /** `orderKey` of each live order → its client order id. */
  ids: Record<string, string>;
}

/** Hands out the grid's client order ids in order, never one twice, and remembers which order holds which. */
export class GridIdIssuer {
  constructor(
    private readonly scope: string,
    private readonly slot: number,
    private readonly state: IssuedIds,
  ) {}

  /** The next id, now held by the order `key`. */
  issueFor(key: string): string {
    const id = this.reserve();
    this.state.ids[key] = id;
    return id;
  }

  /** The next id, set aside for an order that may or may not be placed; never handed out again. */
  reserve(): string {
    const id = gridClientOrderId(this.scope, this.slot, this.state.issued);
    this.state.issued += 1;
    return id;
  }
}

export interface LiveOrder {
  level: number;
  order: GridOrder;
  clientOrderId: string;
}

/** The plan's resting orders with the client order ids they were placed under. */
export function liveOrders(grid: GridState | undefined, ids: Record<string, string>): LiveOrder[] {
  if (!grid) return [];
  return grid.orders.flatMap((order, level) => {
    const id = order ? ids[orderKey(grid.generation, level, order.seq)] : undefined;
    return order && id ? [{ level, order, clientOrderId: id }] : [];
  });
}
