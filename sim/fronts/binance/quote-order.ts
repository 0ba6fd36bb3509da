import type { Side } from '../../../domain/trading';
import { parseAtoms } from '../../instruments';
import type { VenueMarket } from '../../venue-market';
import { BinanceApiError, binanceErrorFromSim } from './errors';

/** Parses a MARKET order's `quoteOrderQty` into quote atoms, or -1100 as Binance refuses a bad number. */
export function parseQuoteOrderQty(text: string): bigint {
  const atoms = parseAtoms(text);
  if (atoms === undefined || atoms <= 0n)
    throw new BinanceApiError(400, -1100, "Illegal characters found in parameter 'quoteOrderQty'.");
  return atoms;
}

/**
 * The base quantity a spot MARKET order with `quoteOrderQty` trades: the most whole lots whose fills,
 * walking the opposite side of the book as the order would, cost (buy) or bring (sell) at most the quote
 * amount. Read at the moment the order executes, so the order then fills exactly that.
 */
export function quantityForQuote(
  market: VenueMarket,
  symbol: string,
  side: Side,
  quoteAtoms: bigint,
): string {
  const lots = market.lotsForQuote(symbol, side, quoteAtoms);
  if (lots === undefined)
    throw new BinanceApiError(
      400,
      -2010,
      'Quote order qty market orders are not support when there are no orders on the book.',
    );
  // Not even one lot: the order would be below the LOT_SIZE minimum.
  if (lots === 0) throw binanceErrorFromSim('QTY_BELOW_MIN', 'spot');
  return market.instrument(symbol).formatQty(lots);
}
