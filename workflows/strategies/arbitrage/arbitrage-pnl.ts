import { add, compare, divide, multiply, negate, sign, subtract } from '../../../domain/decimal';
import type { LegName } from './arbitrage-params';

/** One fill of a leg's order (decimal strings; the fee in quote currency, negative for a rebate). */
export interface Fill {
  price: string;
  quantity: string;
  fee: string;
}

/** A leg's fills: those that opened it, those that closed it, and the funding it received (+) or paid (−). */
export interface LegFills {
  entries: readonly Fill[];
  exits: readonly Fill[];
  funding?: readonly string[];
}

export interface LegPnl {
  /** Base units opened, closed, and still open. */
  entered: string;
  exited: string;
  open: string;
  /** Price PnL of the closed quantity, before fees and funding. */
  grossPnl: string;
  fees: string;
  funding: string;
  /** grossPnl − fees + funding. */
  netPnl: string;
}

export interface ArbitragePnl {
  long: LegPnl;
  short: LegPnl;
  grossPnl: string;
  fees: string;
  funding: string;
  netPnl: string;
}

/** Only a partly closed leg divides (by its entry average): to this many places, half up. */
const PARTIAL_PLACES = 12;

const sum = (values: readonly string[]) => values.reduce(add, '0');
const quantityOf = (fills: readonly Fill[]) => sum(fills.map((fill) => fill.quantity));
const valueOf = (fills: readonly Fill[]) => sum(fills.map((fill) => multiply(fill.price, fill.quantity)));

/**
 * Realized PnL of one leg. A long leg earns what its exits sold for above what its entries cost; a short
 * leg the other way round. While part of the leg is still open, only the closed quantity is realized, at
 * the entries' average price. Throws when the exits close more than the entries opened.
 */
export function legPnl(leg: LegName, fills: LegFills): LegPnl {
  const entered = quantityOf(fills.entries);
  const exited = quantityOf(fills.exits);
  if (compare(exited, entered) > 0)
    throw new RangeError(
      `the ${leg} leg's exits (${exited}) close more than its entries opened (${entered})`,
    );
  const entryValue = valueOf(fills.entries);
  const exitValue = valueOf(fills.exits);
  // entry value of the closed part = entryValue × exited / entered; exact when the leg is fully closed.
  const closedEntryValue =
    compare(exited, entered) === 0
      ? entryValue
      : sign(exited) === 0
        ? '0'
        : divide(multiply(entryValue, exited), entered, PARTIAL_PLACES, 'half-up');
  const longGross = subtract(exitValue, closedEntryValue);
  const grossPnl = leg === 'long' ? longGross : negate(longGross);
  const fees = sum([...fills.entries, ...fills.exits].map((fill) => fill.fee));
  const funding = sum(fills.funding ?? []);
  return {
    entered,
    exited,
    open: subtract(entered, exited),
    grossPnl,
    fees,
    funding,
    netPnl: add(subtract(grossPnl, fees), funding),
  };
}

/** Realized PnL of one arbitrage: both legs, their fees and funding, and the net of it all. */
export function arbitragePnl(fills: Record<LegName, LegFills>): ArbitragePnl {
  const long = legPnl('long', fills.long);
  const short = legPnl('short', fills.short);
  return {
    long,
    short,
    grossPnl: add(long.grossPnl, short.grossPnl),
    fees: add(long.fees, short.fees),
    funding: add(long.funding, short.funding),
    netPnl: add(long.netPnl, short.netPnl),
  };
}
