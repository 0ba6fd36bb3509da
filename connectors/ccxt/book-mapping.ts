import type { MarketInterface as Market, OrderBook as CcxtOrderBook } from 'ccxt';
import { multiply } from '../../domain/decimal';
import { OrderBookSnapshotSchema } from '../exchange-connector';
import type { OrderBookSnapshot } from '../exchange-connector';
import { contractUnit, decimalOf } from './numbers';

/** How many levels a side of a streamed book carries: the signal reads the top ten. */
export const STREAMED_BOOK_LEVELS = 50;

/** The part of a ccxt book (REST or ccxt.pro's kept one) that mapping reads. */
export type CcxtBook = Pick<CcxtOrderBook, 'bids' | 'asks' | 'timestamp' | 'nonce'>;

type Side = CcxtOrderBook['bids'];

/** The best `levels` levels as decimal strings, sizes in base units (ccxt gives contracts on some venues). */
function levelsOf(side: Side, levels: number, unit: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [price, amount] of side) {
    if (out.length >= levels) break;
    const p = decimalOf(price);
    const a = decimalOf(amount);
    if (p !== undefined && a !== undefined) out.push([p, multiply(a, unit)]);
  }
  return out;
}

/**
 * A ccxt book of market `m` as the port's snapshot of canonical `symbol`: the best `levels` levels a
 * side, `lastUpdateId` the venue's update id ccxt keeps as the nonce (0 where the venue gives none).
 */
export function bookFromCcxt(book: CcxtBook, m: Market, symbol: string, levels: number): OrderBookSnapshot {
  const unit = contractUnit(m);
  return OrderBookSnapshotSchema.parse({
    symbol,
    lastUpdateId: book.nonce ?? 0,
    timestamp: book.timestamp ?? Date.now(),
    bids: levelsOf(book.bids, levels, unit),
    asks: levelsOf(book.asks, levels, unit),
  });
}
