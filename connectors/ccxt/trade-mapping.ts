import type { MarketInterface as Market, Trade as CcxtTrade } from 'ccxt';
import { multiply } from '../../domain/decimal';
import { PublicTradeSchema } from '../exchange-connector';
import type { PublicTrade } from '../exchange-connector';
import { contractUnit, decimalOf } from './numbers';

/** The part of a ccxt public trade that mapping reads. */
export type CcxtPublicTrade = Pick<CcxtTrade, 'side' | 'price' | 'amount' | 'timestamp'>;

/**
 * A ccxt public trade of market `m` as the port's print of canonical `symbol`, quantity in base units;
 * ccxt's `side` is the taker's. Undefined when the venue left the side, price or amount out.
 */
export function publicTradeFromCcxt(t: CcxtPublicTrade, m: Market, symbol: string): PublicTrade | undefined {
  const price = decimalOf(t.price);
  const amount = decimalOf(t.amount);
  if (price === undefined || amount === undefined || (t.side !== 'buy' && t.side !== 'sell'))
    return undefined;
  return PublicTradeSchema.parse({
    symbol,
    price,
    quantity: multiply(amount, contractUnit(m)),
    takerSide: t.side,
    timestamp: t.timestamp ?? Date.now(),
  });
}
