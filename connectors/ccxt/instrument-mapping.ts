import type { MarketInterface as Market } from 'ccxt';
import { multiply } from '../../domain/decimal';
import type { MarketKind, Venue } from '../../domain/venues';
import { InstrumentSchema } from '../exchange-connector';
import type { Instrument } from '../exchange-connector';
import { normalizeCcxtMarkets } from './markets';
import type { CcxtMarkets } from './markets';
import { contractUnit, decimalOf } from './numbers';

/** One ccxt market as a port instrument, quantities in base units. */
export function instrumentFromCcxt(
  m: Market,
  market: MarketKind,
  trading: boolean,
  symbol: string,
): Instrument {
  const unit = contractUnit(m);
  const lot = multiply(decimalOf(m.precision.amount) ?? '1', unit);
  return InstrumentSchema.parse({
    symbol,
    venueSymbol: m.id,
    base: m.base,
    quote: m.quote,
    market,
    tickSize: decimalOf(m.precision.price) ?? '0',
    lotSize: lot,
    minQuantity: m.limits.amount?.min != null ? multiply(decimalOf(m.limits.amount.min) ?? '0', unit) : lot,
    maxQuantity:
      m.limits.amount?.max != null ? multiply(decimalOf(m.limits.amount.max) ?? '0', unit) : undefined,
    minNotional: decimalOf(m.limits.cost?.min) ?? '0',
    trading,
  });
}

/** Every instrument of one venue market in a ccxt market map, trading or not. */
export function instrumentsFromCcxt(venue: Venue, market: MarketKind, markets: CcxtMarkets): Instrument[] {
  return normalizeCcxtMarkets(venue, markets, { includeNotTrading: true })
    .filter((n) => n.market === market)
    .flatMap((n) => {
      const m = markets[n.ccxtSymbol];
      return m ? [instrumentFromCcxt(m, market, n.trading, n.symbol)] : [];
    });
}
