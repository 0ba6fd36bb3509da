import type { MarketInterface as Market } from 'ccxt';
import { compare, multiply } from '../../domain/decimal';
import type { BestBidAsk } from '../exchange-connector';
import { contractUnit, decimalOf } from './numbers';
import type { RawTouch } from './stream';

/** A two-sided touch in port units, or undefined (an empty side is not a quote). */
export function quoteFromTouch(
  t: Omit<RawTouch, 'symbol'>,
  m: Market,
  symbol: string,
): BestBidAsk | undefined {
  const bid = decimalOf(t.bid);
  const ask = decimalOf(t.ask);
  if (!bid || !ask || compare(bid, '0') <= 0 || compare(ask, '0') <= 0) return undefined;
  const unit = contractUnit(m);
  return {
    symbol,
    bid,
    bidSize: multiply(decimalOf(t.bidVolume) ?? '0', unit),
    ask,
    askSize: multiply(decimalOf(t.askVolume) ?? '0', unit),
    timestamp: t.timestamp ?? Date.now(),
  };
}

/** What tells two quotes of a symbol apart: feeds pass on changes only. */
export const quoteKey = (q: BestBidAsk): string => `${q.bid}|${q.bidSize}|${q.ask}|${q.askSize}`;
