import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { MarketKind } from '../../domain/venues';
import { ConnectorError } from '../exchange-connector';
import type { ConnectorCapabilities } from '../exchange-connector';
import { toConnectorError } from './errors';
import type { CcxtOp } from './errors';
import { canonicalToCcxt } from './markets';
import type { CcxtMarkets } from './markets';
import { sharedExchange } from './registry';
import type { SharedExchangeOptions } from './registry';
import { VENUE_SPECS } from './venues';
import type { CcxtVenue, CcxtVenueSpec } from './venues';

/** One venue market on the venue's shared ccxt instance: what every call of a ccxt connector goes through. */
export interface CcxtVenueMarket {
  venue: CcxtVenue;
  market: MarketKind;
  spec: CcxtVenueSpec;
  capabilities: ConnectorCapabilities;
  exchange: Exchange;
  /** The options the shared instances were built from (URL overrides, environment). */
  exchangeOptions: SharedExchangeOptions;
  /** Selects this market on calls that can span markets. */
  marketParams: Record<string, unknown>;
  /** See ExchangeConnector.requestExpiryMs. */
  requestExpiryMs: number;
  /** Runs a ccxt call; whatever it throws comes out as a (redacted) ConnectorError. */
  call<T>(op: CcxtOp, fn: () => Promise<T>): Promise<T>;
  /** The venue's markets, loaded once per shared instance. */
  loadMarkets(): Promise<void>;
  /** ccxt markets by unified symbol, as loaded so far. */
  loadedMarkets(): CcxtMarkets;
  /** The ccxt market of a canonical symbol (markets loaded first); `unknown-symbol` when not listed. */
  marketOf(symbol: string): Promise<Market>;
}

export function openVenueMarket(
  options: SharedExchangeOptions & { venue: CcxtVenue; market: MarketKind },
): CcxtVenueMarket {
  const { venue, market } = options;
  const spec = VENUE_SPECS[venue];
  const shared = sharedExchange(venue, options);
  const exchange = shared.exchange;

  async function call<T>(op: CcxtOp, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toConnectorError(e, spec, op, shared.secrets);
    }
  }

  const loadMarkets = (): Promise<void> => call('read', () => shared.markets());
  const loadedMarkets = (): CcxtMarkets => exchange.markets ?? {};

  return {
    venue,
    market,
    spec,
    capabilities: spec.capabilities[market],
    exchange,
    exchangeOptions: options,
    marketParams: market === 'perp' ? { type: 'swap', subType: 'linear' } : { type: 'spot' },
    requestExpiryMs: requestExpiryMs(exchange),
    call,
    loadMarkets,
    loadedMarkets,
    async marketOf(symbol: string): Promise<Market> {
      await loadMarkets();
      const id = canonicalToCcxt(market, symbol);
      const m = id === undefined ? undefined : loadedMarkets()[id];
      if (!m) throw new ConnectorError('unknown-symbol', `${symbol} is not listed on ${venue}/${market}`);
      return m;
    },
  };
}

/**
 * A venue with a recvWindow (binance 10 s in ccxt, bybit and mexc 5 s) refuses a request older than it,
 * stamped at most 1 s ahead of its clock. Without one (okx, bitget, gate as ccxt drives them) only the
 * transport bounds it: ccxt's timeout plus a 5 s margin for a request still crossing the network.
 */
function requestExpiryMs(exchange: Exchange): number {
  const recvWindow = (exchange.options as Record<string, unknown>)['recvWindow'];
  return typeof recvWindow === 'number' && recvWindow > 0 ? recvWindow + 1_000 : exchange.timeout + 5_000;
}

export function requireTrading({ venue, market, capabilities }: CcxtVenueMarket): void {
  if (!capabilities.canTrade)
    throw new ConnectorError(
      'invalid-order',
      `${venue} ${market}: order entry is not available (price source only)`,
    );
}
