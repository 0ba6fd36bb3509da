import type { MarketKind } from '../../domain/venues';
import type { MarketDataEvent, SimExchange } from '../../sim/exchange';
import { SimClient, realSleep, withFaults } from '../../sim/gateway';
import type { RequestTiming, Sleep } from '../../sim/gateway';
import type { VenueName } from '../../sim/ids';
import { ConnectorError } from '../exchange-connector';
import type { ExchangeConnector } from '../exchange-connector';
import { createSimPortConnector } from './sim-port';
import type { SimOrderRef, SimOrderRequest, SimStampOptions, SimTransport } from './sim-port';

export interface SimConnectorOptions extends SimStampOptions {
  exchange: SimExchange;
  venue: VenueName;
  market: MarketKind;
  account: string;
  /** How injected latency is waited out (tests pass a fake, with a `now` it moves). */
  sleep?: Sleep;
}

/**
 * The in-process simulator behind the port. Order entry and account reads go through `SimClient`, and
 * the other reads through the same fault injector, so scripted faults and the recvWindow check behave
 * as over the network (one wall clock, `now`, stamps the requests and checks them).
 */
export function createSimConnector(options: SimConnectorOptions): ExchangeConnector {
  return createSimPortConnector(inProcessTransport(options), options.venue, options.market, options);
}

function inProcessTransport(options: SimConnectorOptions): SimTransport {
  const { exchange, venue, market, account } = options;
  const timing: RequestTiming = { sleep: options.sleep ?? realSleep, now: options.now ?? Date.now };
  const client = new SimClient(exchange, timing.sleep, timing.now);
  const query = <T>(fn: () => T): Promise<T> => withFaults(exchange, venue, market, 'query', timing, fn);
  const vm = (): ReturnType<SimExchange['market']> => exchange.market(venue, market);
  const watchers = new Set<() => void>();

  /**
   * This venue market's public events until the signal aborts (resolves) or the scripted feed disconnects
   * (rejects, retryable); `wantsBbo` says which touches to compute, `started` runs once subscribed.
   */
  const followMarketData = (
    signal: AbortSignal,
    onEvent: (e: MarketDataEvent) => void,
    wantsBbo: (key: string) => boolean,
    started?: () => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const stop = (): void => {
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        watchers.delete(onAbort);
      };
      const onAbort = (): void => {
        stop();
        resolve();
      };
      const unsubscribe = exchange.onMarketData((e) => {
        if (e.venue !== venue || e.market !== market) return;
        if (e.type === 'disconnect') {
          stop();
          reject(new ConnectorError('retryable', `${venue}/${market} market data feed disconnected`));
        } else onEvent(e);
      }, wantsBbo);
      signal.addEventListener('abort', onAbort);
      watchers.add(onAbort);
      started?.();
    });

  return {
    instruments: () =>
      query(() =>
        vm()
          .instruments()
          .map((i) => ({ ...i.spec, base: i.base, quote: i.quote })),
      ),
    ticker: (symbol) => query(() => exchange.ticker(venue, market, symbol)),
    placeOrder: (req: SimOrderRequest, stamp) => client.placeOrder(venue, market, { ...req, account }, stamp),
    cancelOrder: (ref: SimOrderRef, stamp) => client.cancelOrder(venue, market, account, ref, stamp),
    getOrder: (ref: SimOrderRef) => client.getOrder(venue, market, account, ref),
    openOrders: (symbol) => client.openOrders(venue, market, account, symbol),
    spotBalances: () => client.balances(venue, account),
    perpAccount: () => client.perpAccount(venue, account),
    funding: (symbol) => query(() => exchange.venue(venue).funding(symbol)),
    fundingPayments: () => query(() => exchange.venue(venue).fundingPayments(account)),
    setLeverage: async (symbol, leverage) => {
      await query(() => exchange.venue(venue).setLeverage(account, symbol, leverage));
    },

    watchTops(symbols, onTop, signal) {
      const wanted = new Set(symbols.map((s) => `${venue}/${market}/${s}`));
      return followMarketData(
        signal,
        (e) => {
          if (e.type === 'bbo' && wanted.has(`${venue}/${market}/${e.top.symbol}`)) onTop(e.top);
        },
        (key) => wanted.has(key),
        () => {
          for (const s of symbols) onTop(exchange.ticker(venue, market, s));
        },
      );
    },

    watchTrades(symbols, onTrade, signal) {
      const wanted = new Set(symbols);
      return followMarketData(
        signal,
        (e) => {
          if (e.type === 'trade' && wanted.has(e.trade.symbol)) onTrade(e.trade);
        },
        () => false,
      );
    },

    watchDepth(symbol, onDiff, signal, onLive) {
      let release: (() => void) | undefined;
      return followMarketData(
        signal,
        (e) => {
          if (e.type === 'depth' && e.diff.symbol === symbol) onDiff(e.diff);
        },
        () => false,
        () => {
          release = exchange.followDepth(venue, market, symbol);
          onLive?.();
        },
      ).finally(() => release?.());
    },
    depthSnapshot: (symbol, levels) => query(() => exchange.depthSnapshot(venue, market, symbol, levels)),

    watchOrders(onOrder, signal, onLive) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return resolve();
        const stop = (): void => {
          stopOrders();
          stopFeed();
          signal.removeEventListener('abort', onAbort);
          watchers.delete(onAbort);
        };
        const onAbort = (): void => {
          stop();
          resolve();
        };
        const stopOrders = exchange.onOrderUpdate(venue, market, account, onOrder);
        // A scripted feed disconnect drops the venue market's private streams too.
        const stopFeed = exchange.onMarketData(
          (e) => {
            if (e.type !== 'disconnect' || e.venue !== venue || e.market !== market) return;
            stop();
            reject(new ConnectorError('retryable', `${venue}/${market} order stream disconnected`));
          },
          () => false,
        );
        signal.addEventListener('abort', onAbort);
        watchers.add(onAbort);
        onLive?.();
      });
    },

    close: async () => {
      for (const stop of [...watchers]) stop();
    },
  };
}
