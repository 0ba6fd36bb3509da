import type { MarketKind } from '../../domain/venues';
import type { ExchangeConnector } from '../exchange-connector';
import { balances, fundingPayments, fundingRate, positions, setLeverage } from './account';
import { instrumentsFromCcxt } from './instrument-mapping';
import { canWatchOrderBook, canWatchTrades, watchOrderBook, watchTrades } from './market-streams';
import { cancelOrder, createOrder, fetchOrderByClientId, openOrders } from './order-entry';
import { canWatchOrders, watchOrders } from './order-stream';
import { watchBestBidAsk } from './quote-stream';
import type { QuoteFeedOptions } from './quote-stream';
import type { SharedExchangeOptions } from './registry';
import { fetchBestBidAsk, fetchOrderBookSnapshot } from './rest-quotes';
import { openVenueMarket } from './venue-market';
import type { CcxtVenue } from './venues';

export interface CcxtConnectorOptions extends SharedExchangeOptions, QuoteFeedOptions {
  venue: CcxtVenue;
  market: MarketKind;
}

/** The port over a real venue (or the Binance-compatible front) through ccxt. */
export function createCcxtConnector(options: CcxtConnectorOptions): ExchangeConnector {
  const vm = openVenueMarket(options);
  return {
    venue: vm.venue,
    market: vm.market,
    capabilities: vm.capabilities,
    async instruments() {
      await vm.loadMarkets();
      return instrumentsFromCcxt(vm.venue, vm.market, vm.loadedMarkets());
    },
    bestBidAsk: (symbol) => fetchBestBidAsk(vm, symbol),
    watchBestBidAsk: (symbols, onQuote, signal) => watchBestBidAsk(vm, options, symbols, onQuote, signal),
    // Where the venue's ccxt.pro class streams them. Books come out whole: ccxt keeps them from the diffs.
    ...(canWatchOrderBook(vm) && {
      watchOrderBook: (symbol, onUpdate, signal, onLive) =>
        watchOrderBook(vm, symbol, onUpdate, signal, onLive),
    }),
    ...(canWatchTrades(vm) && {
      watchTrades: (symbol, onTrade, signal) => watchTrades(vm, symbol, onTrade, signal),
    }),
    ...(vm.exchange.has['fetchOrderBook'] === true && {
      orderBookSnapshot: (symbol, levels) => fetchOrderBookSnapshot(vm, symbol, levels),
    }),
    // Pointed at other URLs (the simulator's Binance front, a test server) or at the venue's testnet, no
    // real money is at stake.
    live: options.apiUrls === undefined && options.wsUrls === undefined && !options.sandbox,
    requestExpiryMs: vm.requestExpiryMs,
    createOrder: (order, send) => createOrder(vm, order, send),
    cancelOrder: (symbol, clientOrderId) => cancelOrder(vm, symbol, clientOrderId),
    fetchOrderByClientId: (symbol, clientOrderId) => fetchOrderByClientId(vm, symbol, clientOrderId),
    openOrders: (symbol) => openOrders(vm, symbol),
    // The private order stream where ccxt.pro has one and the account's keys are configured; else poll.
    ...(canWatchOrders(vm) && {
      watchOrders: (onOrder, signal, onLive) => watchOrders(vm, onOrder, signal, onLive),
    }),
    balances: () => balances(vm),
    positions: () => positions(vm),
    fundingRate: (symbol) => fundingRate(vm, symbol),
    fundingPayments: (since) => fundingPayments(vm, since),
    setLeverage: (symbol, leverage) => setLeverage(vm, symbol, leverage),
    // The ccxt instance is shared by every connector of the venue: nothing to release here.
    close: async () => {},
  };
}
