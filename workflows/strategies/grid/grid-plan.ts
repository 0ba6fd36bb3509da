import { FIXED_ONE, fromFixed, toFixed } from '../../../domain/decimal';
import type { Side } from '../../../domain/trading';
import { gridLevelPrices, levelQuantity } from './grid-levels';
import type { GridParams, TradingRules } from './grid-params';

/** The order resting at one level; a level holds at most one. */
export interface GridOrder {
  side: Side;
  price: string;
  quantity: string;
  /** Cumulative filled quantity, as last reported. */
  filled: string;
  /** The level's order sequence number: (generation, level, seq) names the order for its whole life. */
  seq: number;
}

/** Durable grid state: JSON, carried across continue-as-new. */
export interface GridState {
  generation: number;
  prices: string[];
  quantities: string[];
  orders: Array<GridOrder | null>;
  /**
   * Next sequence number per level within this generation. It only grows, and the generation is part of
   * every client order id, so an id is never issued twice.
   */
  nextSeq: number[];
  /** Signed position in base units held by the grid. */
  inventory: string;
  /** True while price is out of range and the grid has cancelled its orders (outOfRange = cancel). */
  suspended: boolean;
  /**
   * Orders the plan has asked the venue to cancel and whose last report has not come yet: a fill that
   * reached the venue before the cancel still counts in the inventory when that report arrives.
   */
  closing?: ClosingOrder[];
}

/** An order being cancelled, named by its generation and level as well as its sequence number. */
export interface ClosingOrder extends GridOrder {
  generation: number;
  level: number;
}

export type GridCommand =
  | {
      type: 'SubmitOrder';
      generation: number;
      level: number;
      seq: number;
      side: Side;
      price: string;
      quantity: string;
    }
  | { type: 'CancelOrder'; generation: number; level: number; seq: number };

/** A venue report on one order, named by (generation, level, seq); the current generation when omitted. */
export type GridEvent =
  /** `filledQuantity` is cumulative, so a repeated report changes nothing. */
  | { type: 'OrderFilled'; generation?: number; level: number; seq: number; filledQuantity: string }
  /** The order is gone without (further) fills: cancelled, expired or rejected by the venue. */
  | { type: 'OrderClosed'; generation?: number; level: number; seq: number };

export interface GridStep {
  state: GridState;
  commands: GridCommand[];
}

function remaining(order: GridOrder): bigint {
  return toFixed(order.quantity) - toFixed(order.filled);
}

function openExposure(state: GridState, side: Side): bigint {
  return state.orders.reduce((sum, order) => (order?.side === side ? sum + remaining(order) : sum), 0n);
}

/**
 * The inventory cap: buys may not take the position above maxInventory; sells may not take it below
 * -maxInventory in neutral mode, nor below zero in long mode (a long grid never sells what it lacks).
 */
function capAllows(state: GridState, params: GridParams, side: Side, quantity: bigint): boolean {
  const inventory = toFixed(state.inventory);
  const max = toFixed(params.maxInventory);
  if (side === 'buy') return inventory + openExposure(state, 'buy') + quantity <= max;
  const floor = params.mode === 'long' ? 0n : -max;
  return inventory - openExposure(state, 'sell') - quantity >= floor;
}

function place(
  state: GridState,
  params: GridParams,
  level: number,
  side: Side,
  commands: GridCommand[],
): GridState {
  const price = state.prices[level];
  const quantity = state.quantities[level];
  if (price === undefined || quantity === undefined || state.orders[level]) return state;
  if (toFixed(quantity) === 0n || !capAllows(state, params, side, toFixed(quantity))) return state;
  const seq = state.nextSeq[level] ?? 0;
  const orders = state.orders.slice();
  orders[level] = { side, price, quantity, filled: '0', seq };
  const nextSeq = state.nextSeq.slice();
  nextSeq[level] = seq + 1;
  commands.push({ type: 'SubmitOrder', generation: state.generation, level, seq, side, price, quantity });
  return { ...state, orders, nextSeq };
}

/** The level nearest the price: left empty, so a fill on either side has a free level to counter into. */
function gapLevel(prices: string[], mid: bigint): number {
  let best = 0;
  prices.forEach((price, index) => {
    const distance = (p: string) => (toFixed(p) > mid ? toFixed(p) - mid : mid - toFixed(p));
    if (distance(price) < distance(prices[best] ?? price)) best = index;
  });
  return best;
}

/** Places the grid around `mid`: buys below the gap (nearest first), and sells above it in neutral mode. */
function layOut(state: GridState, params: GridParams, mid: string): GridStep {
  const commands: GridCommand[] = [];
  const gap = gapLevel(state.prices, toFixed(mid));
  let next = state;
  for (let level = gap - 1; level >= 0; level -= 1) next = place(next, params, level, 'buy', commands);
  // Long grids sell only what they hold: after a restart with inventory, the levels above carry it.
  for (let level = gap + 1; level < state.prices.length; level += 1)
    next = place(next, params, level, 'sell', commands);
  return { state: next, commands };
}

function emptyState(
  params: GridParams,
  rules: TradingRules,
  generation: number,
  inventory: string,
): GridState {
  const prices = gridLevelPrices(params, rules);
  return {
    generation,
    prices,
    quantities: prices.map((price) => levelQuantity(params, rules, price)),
    orders: prices.map(() => null),
    nextSeq: prices.map(() => 0),
    inventory,
    suspended: false,
  };
}

/** A new grid around the current mid price. */
export function startGrid(params: GridParams, rules: TradingRules, mid: string): GridStep {
  return layOut(emptyState(params, rules, 0, '0'), params, mid);
}

/**
 * Cancels every resting order (new params, pause, price out of range). The orders wait in `closing` until
 * the venue's last word on each is applied, so fills that raced the cancels reach the inventory.
 */
export function cancelGrid(state: GridState): GridStep {
  const closing: ClosingOrder[] = state.orders.flatMap((order, level) =>
    order ? [{ ...order, generation: state.generation, level }] : [],
  );
  return {
    state: {
      ...state,
      orders: state.orders.map(() => null),
      closing: [...(state.closing ?? []), ...closing],
    },
    commands: closing.map(({ generation, level, seq }) => ({
      type: 'CancelOrder' as const,
      generation,
      level,
      seq,
    })),
  };
}

/**
 * New parameters, once the old generation is cancelled (`cancelGrid`) and its last fills applied: a new
 * generation around `mid` that keeps the inventory (and any orders still closing).
 */
export function nextGeneration(
  state: GridState,
  params: GridParams,
  rules: TradingRules,
  mid: string,
): GridStep {
  const fresh = emptyState(params, rules, state.generation + 1, state.inventory);
  return layOut({ ...fresh, closing: state.closing ?? [] }, params, mid);
}

/** Applies a venue event for one of the grid's orders. Events for orders the grid no longer holds are ignored. */
export function applyEvent(state: GridState, params: GridParams, event: GridEvent): GridStep {
  const generation = event.generation ?? state.generation;
  if (generation !== state.generation || state.orders[event.level]?.seq !== event.seq)
    return { state: applyToClosing(state, { ...event, generation }), commands: [] };
  const order = state.orders[event.level];
  if (!order) return { state, commands: [] };
  const orders = state.orders.slice();
  if (event.type === 'OrderClosed') {
    orders[event.level] = null;
    return { state: { ...state, orders }, commands: [] };
  }
  const filled = toFixed(event.filledQuantity);
  const delta = filled - toFixed(order.filled);
  if (delta <= 0n) return { state, commands: [] };
  const signedDelta = order.side === 'buy' ? delta : -delta;
  const inventory = fromFixed(toFixed(state.inventory) + signedDelta);
  const complete = filled >= toFixed(order.quantity);
  orders[event.level] = complete ? null : { ...order, filled: fromFixed(filled) };
  let next: GridState = { ...state, orders, inventory };
  const commands: GridCommand[] = [];
  if (complete && !state.suspended) {
    // A filled buy is sold one level up; a filled sell is bought back one level down.
    const counterLevel = order.side === 'buy' ? event.level + 1 : event.level - 1;
    next = place(next, params, counterLevel, order.side === 'buy' ? 'sell' : 'buy', commands);
  }
  return { state: next, commands };
}

/**
 * A report on an order being cancelled: its fills count in the inventory (no counter order: the grid asked
 * for it to go), and its close takes it off the list.
 */
function applyToClosing(state: GridState, event: GridEvent & { generation: number }): GridState {
  const closing = state.closing ?? [];
  const index = closing.findIndex(
    (order) =>
      order.generation === event.generation && order.level === event.level && order.seq === event.seq,
  );
  const order = closing[index];
  if (!order) return state;
  const rest = closing.filter((_, at) => at !== index);
  if (event.type === 'OrderClosed') return { ...state, closing: rest };
  const delta = toFixed(event.filledQuantity) - toFixed(order.filled);
  if (delta <= 0n) return state;
  const inventory = fromFixed(toFixed(state.inventory) + (order.side === 'buy' ? delta : -delta));
  const complete = toFixed(event.filledQuantity) >= toFixed(order.quantity);
  return {
    ...state,
    inventory,
    closing: complete
      ? rest
      : closing.map((entry, at) => (at === index ? { ...entry, filled: event.filledQuantity } : entry)),
  };
}

export type SubmitOrder = Extract<GridCommand, { type: 'SubmitOrder' }>;

/**
 * For each resting order, the order the plan places if that one fills completely before anything else
 * happens: what may be placed on the plan's behalf the moment such a fill is seen (see grid-strategy.ts).
 */
export function replacementsOnFill(
  state: GridState,
  params: GridParams,
): Array<{ level: number; seq: number; replacement: SubmitOrder }> {
  return state.orders.flatMap((order, level) => {
    if (!order) return [];
    const fill: GridEvent = { type: 'OrderFilled', level, seq: order.seq, filledQuantity: order.quantity };
    const [first] = applyEvent(state, params, fill).commands;
    return first?.type === 'SubmitOrder' ? [{ level, seq: order.seq, replacement: first }] : [];
  });
}

/**
 * Reacts to the price leaving or re-entering [lowest level, highest level]. With outOfRange = cancel the
 * grid cancels everything on the way out and lays out a new generation when price returns.
 */
export function applyPrice(state: GridState, params: GridParams, rules: TradingRules, mid: string): GridStep {
  if (params.outOfRange === 'keep') return { state, commands: [] };
  const price = toFixed(mid);
  const outside = price < toFixed(state.prices[0] ?? '0') || price > toFixed(state.prices.at(-1) ?? '0');
  if (outside && !state.suspended) {
    const cancelled = cancelGrid(state);
    return { state: { ...cancelled.state, suspended: true }, commands: cancelled.commands };
  }
  if (!outside && state.suspended) return nextGeneration(state, params, rules, mid);
  return { state, commands: [] };
}

/** Quote value of the inventory at `price`, for reports. */
export function inventoryValue(state: GridState, price: string): string {
  return fromFixed((toFixed(state.inventory) * toFixed(price)) / FIXED_ONE);
}
