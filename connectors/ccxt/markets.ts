import type { MarketInterface as Market } from 'ccxt';
import { canonicalSymbol, QUOTE, splitCanonical, venueToCanonical } from '../../domain/symbols';
import type { MarketKind, Venue } from '../../domain/venues';

/** ccxt unified symbol to canonical: `BTC/USDT` is spot, `BTC/USDT:USDT` a USDT-settled perpetual. */
export function ccxtToCanonical(market: MarketKind, ccxtSymbol: string): string | undefined {
  const m = /^([A-Z0-9]+)\/([A-Z0-9]+)(?::([A-Z0-9]+))?$/.exec(ccxtSymbol);
  if (!m) return undefined;
  const [, base = '', quote = '', settle] = m;
  if (market === 'spot' ? settle !== undefined : settle !== QUOTE) return undefined;
  return canonicalSymbol(base, quote);
}

export function canonicalToCcxt(market: MarketKind, symbol: string): string | undefined {
  const s = splitCanonical(symbol);
  if (!s) return undefined;
  return market === 'spot' ? `${s.base}/${s.quote}` : `${s.base}/${s.quote}:${s.quote}`;
}

/** ccxt markets by unified symbol, as `exchange.markets` holds them. */
export type CcxtMarkets = Record<string, Market | undefined>;

/** The market a ccxt payload names and its canonical symbol, when it is a listed market of this kind. */
export function canonicalMarket(
  markets: CcxtMarkets,
  market: MarketKind,
  ccxtSymbol: string | undefined,
): { ccxtMarket: Market; symbol: string } | undefined {
  const m = ccxtSymbol === undefined ? undefined : markets[ccxtSymbol];
  const symbol = m ? ccxtToCanonical(market, m.symbol) : undefined;
  return m && symbol !== undefined ? { ccxtMarket: m, symbol } : undefined;
}

/** The subset of a ccxt market (`exchange.markets[symbol]`) that normalization looks at. */
export interface CcxtMarketLike {
  id?: string;
  symbol?: string;
  base?: string;
  quote?: string;
  settle?: string | null;
  type?: string;
  spot?: boolean;
  swap?: boolean;
  linear?: boolean | null;
  active?: boolean | null;
  info?: unknown;
}

export interface NormalizedMarket {
  symbol: string;
  venueSymbol: string;
  ccxtSymbol: string;
  base: string;
  quote: string;
  market: MarketKind;
  trading: boolean;
}

const str = (info: Record<string, unknown>, key: string): string | undefined => {
  const v = info[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};

/**
 * Whether the venue itself says the instrument trades, read from the raw payload: Binance `TRADING`,
 * Bybit `Trading`, OKX `live`, MEXC spot `1` with API spot trading allowed, MEXC futures state `0`,
 * Bitget `online` / `normal`, Gate `tradable`. Where the venue gives no status, ccxt's `active` decides.
 */
export function isTrading(venue: Venue, market: MarketKind, m: CcxtMarketLike): boolean {
  const info = (typeof m.info === 'object' && m.info !== null ? m.info : {}) as Record<string, unknown>;
  const fallback = m.active === true;
  switch (venue) {
    case 'binance':
      return str(info, 'status') === 'TRADING';
    case 'bybit':
      return str(info, 'status') === 'Trading';
    case 'okx':
      return str(info, 'state') === 'live';
    case 'mexc':
      return market === 'spot'
        ? str(info, 'status') === '1' && info.isSpotTradingAllowed === true
        : str(info, 'state') === '0';
    case 'bitget':
      return market === 'spot' ? str(info, 'status') === 'online' : str(info, 'symbolStatus') === 'normal';
    case 'gate': {
      const status = str(info, 'trade_status');
      return status === undefined ? fallback : status === 'tradable';
    }
  }
}

/** One ccxt market to Keel's view, or undefined when out of scope or when its id and unified symbol disagree. */
export function normalizeCcxtMarket(venue: Venue, m: CcxtMarketLike): NormalizedMarket | undefined {
  let market: MarketKind;
  if (m.type === 'spot' && m.spot === true) market = 'spot';
  else if (m.type === 'swap' && m.swap === true && m.linear === true && m.settle === QUOTE) market = 'perp';
  else return undefined;
  if (m.quote !== QUOTE || m.id === undefined || m.symbol === undefined || m.base === undefined)
    return undefined;
  const fromCcxt = ccxtToCanonical(market, m.symbol);
  const fromVenue = venueToCanonical(venue, market, m.id);
  const fromFields = canonicalSymbol(m.base, m.quote);
  if (fromCcxt === undefined || fromCcxt !== fromVenue || fromCcxt !== fromFields) return undefined;
  return {
    symbol: fromCcxt,
    venueSymbol: m.id,
    ccxtSymbol: m.symbol,
    base: m.base,
    quote: m.quote,
    market,
    trading: isTrading(venue, market, m),
  };
}

/** Every in-scope market of a ccxt market map, trading ones only unless asked, sorted by market then symbol. */
export function normalizeCcxtMarkets(
  venue: Venue,
  markets: Record<string, CcxtMarketLike | undefined>,
  opts: { includeNotTrading?: boolean } = {},
): NormalizedMarket[] {
  const out: NormalizedMarket[] = [];
  for (const m of Object.values(markets)) {
    if (!m) continue;
    const n = normalizeCcxtMarket(venue, m);
    if (n && (n.trading || opts.includeNotTrading === true)) out.push(n);
  }
  return out.sort((a, b) =>
    a.market === b.market
      ? a.symbol < b.symbol
        ? -1
        : a.symbol > b.symbol
          ? 1
          : 0
      : a.market < b.market
        ? -1
        : 1,
  );
}
