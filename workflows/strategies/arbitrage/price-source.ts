import { add, compare, divide, midpoint, multiply, sign, subtract } from '../../../domain/decimal';
import type { Side } from '../../../domain/trading';
import type { PriceSourceKind } from './arbitrage-params';

/** One price level: [price, quantity in base units], decimal strings. */
export type BookLevel = readonly [price: string, quantity: string];

/** A venue's book, best level first on each side. */
export interface OrderBook {
  bids: readonly BookLevel[];
  asks: readonly BookLevel[];
}

/** The price an order would get, or why the book cannot say. */
export type PriceQuote = { price: string; reason?: undefined } | { price: undefined; reason: string };

/** A depth average is carried to this many places, rounded against us (up for a buy, down for a sell). */
const AVERAGE_PLACES = 12;

const refuse = (reason: string): PriceQuote => ({ price: undefined, reason });

function crossed(book: OrderBook): boolean {
  const bid = book.bids[0];
  const ask = book.asks[0];
  return bid !== undefined && ask !== undefined && compare(bid[0], ask[0]) > 0;
}

/** The average price of taking `size` from `levels`, walking them best first. */
function depthPrice(levels: readonly BookLevel[], side: Side, size: string): PriceQuote {
  const book = side === 'buy' ? 'asks' : 'bids';
  if (sign(size) <= 0) return refuse(`size ${size} must be above 0 to price from depth`);
  let left = size;
  let cost = '0';
  for (const [price, quantity] of levels) {
    const take = compare(quantity, left) < 0 ? quantity : left;
    cost = add(cost, multiply(price, take));
    left = subtract(left, take);
    if (sign(left) === 0) {
      return { price: divide(cost, size, AVERAGE_PLACES, side === 'buy' ? 'ceil' : 'floor') };
    }
  }
  return refuse(`the ${book} hold ${subtract(size, left)} of the ${size} to ${side}: the book is too thin`);
}

/**
 * The price a buy or a sell of `size` base units would get from `book`: `mid` (between the best bid and
 * ask), `touch` (the best ask for a buy, the best bid for a sell) or `depth` (the volume-weighted average
 * of filling the whole size from the levels, best first).
 */
export function priceFor(book: OrderBook, side: Side, size: string, source: PriceSourceKind): PriceQuote {
  if (crossed(book)) return refuse('the book is crossed (best bid above best ask)');
  const levels = side === 'buy' ? book.asks : book.bids;
  const best = levels[0];
  if (source === 'mid') {
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (!bid || !ask) return refuse(`no mid: the book has no ${bid ? 'asks' : 'bids'}`);
    return { price: midpoint(bid[0], ask[0]) };
  }
  if (!best) return refuse(`no ${side === 'buy' ? 'asks' : 'bids'} to ${side} from`);
  if (source === 'touch') return { price: best[0] };
  return depthPrice(levels, side, size);
}

/** Both sides at once: what a buy and what a sell of `size` would get. */
export function bookPrices(
  book: OrderBook,
  size: string,
  source: PriceSourceKind,
): { buy: PriceQuote; sell: PriceQuote } {
  return { buy: priceFor(book, 'buy', size, source), sell: priceFor(book, 'sell', size, source) };
}

/** Base units at the best level of the side an order of `side` takes from (0 when that side is empty). */
export function touchSize(book: OrderBook, side: Side): string {
  return (side === 'buy' ? book.asks : book.bids)[0]?.[1] ?? '0';
}
