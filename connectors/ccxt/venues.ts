import type { MarketKind } from '../../domain/venues';
import type { ConnectorCapabilities } from '../exchange-connector';

export type CcxtVenue = 'binance' | 'bybit' | 'okx' | 'mexc';

/**
 * How `watchBestBidAsk` follows the touch through ccxt.pro (bundled with ccxt 4.5.84): `watchBidsAsks`
 * (the venue's best bid/ask channel, many symbols per call), `watchTicker` (one symbol per call),
 * `watchOrderBook` (top of the book), or `poll` (REST, only for a venue market without any of them).
 * Checked again at run time against `exchange.has`; the first supported method in this order wins.
 */
export type StreamMethod = 'watchBidsAsks' | 'watchTicker' | 'watchOrderBook' | 'poll';

/** What differs between venues when driving them through ccxt (checked against ccxt 4.5.84 sources). */
export interface CcxtVenueSpec {
  /** ccxt class id. */
  ccxtId: CcxtVenue;
  /** createOrder param carrying our client order id. */
  createClientIdParam: string;
  /** fetchOrder / cancelOrder param selecting an order by client id. */
  lookupClientIdParam: string;
  /** The venue's own limit on client order id length. */
  clientIdMaxLength: number;
  /** Venue error codes meaning "client order id already used" (ccxt raises InvalidOrder/ExchangeError for them). */
  duplicateCodes: readonly string[];
  capabilities: Record<MarketKind, ConnectorCapabilities>;
  /** Preferred streaming method per market (see `StreamMethod`). */
  stream: Record<MarketKind, StreamMethod>;
  /** Extra fetchOrder params (bybit needs an acknowledgement for its 500-orders lookback). */
  fetchOrderParams?: Record<string, unknown>;
  /**
   * Look an order up by client id through `fetchOpenOrders` with the client id param (the same request
   * as fetchOrder) rather than `fetchOrder`: ccxt 4.5.84's bybit fetchOrder, given no order id, throws a
   * TypeError instead of OrderNotFound when the venue lists nothing (`id.toString()` on undefined).
   */
  lookupByList?: boolean;
  /** ccxt options set on the shared instance. */
  options: Record<string, unknown>;
}

const tradable = (perp: boolean, quoteRepublishMs?: number): ConnectorCapabilities => ({
  canTrade: true,
  // A push feed through ccxt.pro (see `stream`); REST polling only where the venue has no WS method.
  canStream: true,
  hasPositions: perp,
  hasFunding: perp,
  ...(quoteRepublishMs !== undefined && { quoteRepublishMs }),
});

/** Bybit's level-1 book (`orderbook.1`, spot and linear) re-sends its snapshot after 3 s without a change. */
const BYBIT_LEVEL1_REPUBLISH_MS = 3_000;

export const VENUE_SPECS: Record<CcxtVenue, CcxtVenueSpec> = {
  binance: {
    ccxtId: 'binance',
    createClientIdParam: 'newClientOrderId',
    lookupClientIdParam: 'origClientOrderId',
    clientIdMaxLength: 36,
    duplicateCodes: ['-4116'],
    capabilities: { spot: tradable(false), perp: tradable(true) },
    // bookTicker streams (`<symbol>@bookTicker`), spot and USD-M.
    stream: { spot: 'watchBidsAsks', perp: 'watchBidsAsks' },
    options: {
      fetchMarkets: { types: ['spot', 'linear'] },
      fetchCurrencies: false,
      fetchMargins: false,
      warnOnFetchOpenOrdersWithoutSymbol: false,
      fetchBalance: { useV2: true },
      fetchPositionsRisk: { useV2: true },
    },
  },
  bybit: {
    ccxtId: 'bybit',
    createClientIdParam: 'orderLinkId',
    lookupClientIdParam: 'orderLinkId',
    clientIdMaxLength: 36,
    duplicateCodes: ['110072'],
    capabilities: {
      spot: tradable(false, BYBIT_LEVEL1_REPUBLISH_MS),
      perp: tradable(true, BYBIT_LEVEL1_REPUBLISH_MS),
    },
    fetchOrderParams: { acknowledged: true },
    // GET /v5/order/realtime with orderLinkId also lists the order once closed (recent ones).
    lookupByList: true,
    // `orderbook.1.<symbol>` topics; ccxt sends all topics of a call in one subscribe request.
    stream: { spot: 'watchBidsAsks', perp: 'watchBidsAsks' },
    options: { fetchMarkets: { types: ['spot', 'linear'] }, fetchCurrencies: false },
  },
  okx: {
    ccxtId: 'okx',
    createClientIdParam: 'clOrdId',
    lookupClientIdParam: 'clOrdId',
    clientIdMaxLength: 32,
    duplicateCodes: ['51016'],
    capabilities: { spot: tradable(false), perp: tradable(true) },
    // `bbo-tbt` channel.
    stream: { spot: 'watchBidsAsks', perp: 'watchBidsAsks' },
    options: { fetchMarkets: { types: ['spot', 'swap'] }, fetchCurrencies: false },
  },
  mexc: {
    ccxtId: 'mexc',
    createClientIdParam: 'clientOrderId',
    lookupClientIdParam: 'clientOrderId',
    clientIdMaxLength: 32,
    duplicateCodes: [],
    capabilities: {
      spot: tradable(false),
      // MEXC futures order entry is not open to API users: Keel uses it as a price source only.
      perp: { canTrade: false, canStream: true, hasPositions: false, hasFunding: true },
    },
    // ccxt's mexc watchBidsAsks is spot only (`spot@public.aggre.bookTicker...`); futures use the ticker.
    stream: { spot: 'watchBidsAsks', perp: 'watchTicker' },
    options: { fetchCurrencies: false },
  },
};

/** Duplicate-id codes of venues outside the four driven here, still recognised if met (Bitget). */
export const OTHER_DUPLICATE_CODES: readonly string[] = ['40786'];
