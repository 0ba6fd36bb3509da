import type { Exchange, MarketInterface as Market, Order as CcxtOrder } from 'ccxt';
import { compare, divideExact, isMultipleOf, multiply } from '../../domain/decimal';
import type { OrderStatus } from '../../domain/trading';
import type { MarketKind } from '../../domain/venues';
import { ConnectorError, InstrumentSchema, OrderSchema, parseCreateOrder } from '../exchange-connector';
import type {
  Balance,
  BestBidAsk,
  CreateOrder,
  ExchangeConnector,
  FundingRate,
  Instrument,
  Order,
  Position,
} from '../exchange-connector';
import { toConnectorError } from './errors';
import type { CcxtOp } from './errors';
import { canonicalToCcxt, ccxtToCanonical, normalizeCcxtMarkets } from './markets';
import { sharedExchange, sharedProExchange } from './registry';
import type { SharedExchangeOptions } from './registry';
import {
  forgetCached,
  resolveStreamMethod,
  SlotAllocator,
  unwatch,
  watchOnce,
  watchRequests,
} from './stream';
import type { RawTouch } from './stream';
import { VENUE_SPECS } from './venues';
import type { CcxtVenue, StreamMethod } from './venues';

export interface CcxtConnectorOptions extends SharedExchangeOptions {
  venue: CcxtVenue;
  market: MarketKind;
  /** Polling period of watchBestBidAsk when the venue market has no WS method (REST; default 1000 ms). */
  pollIntervalMs?: number;
  /** Forces a streaming method (tests; default `VENUE_SPECS[venue].stream[market]`, checked against `has`). */
  streamMethod?: StreamMethod;
}

/** Symbol placement on ccxt.pro connections, per venue market and URL set, shared in the process. */
const allocators = new Map<string, SlotAllocator>();

/** Resolves when the signal aborts (never rejects). */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

const UNWATCH_TIMEOUT_MS = 2000;

const STATUS: Record<string, OrderStatus> = {
  open: 'open',
  closed: 'filled',
  canceled: 'canceled',
  cancelled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
};

/** The port over a real venue (or the Binance-compatible front) through ccxt. */
export function createCcxtConnector(options: CcxtConnectorOptions): ExchangeConnector {
  const { venue, market } = options;
  const spec = VENUE_SPECS[venue];
  const shared = sharedExchange(venue, options);
  const ex: Exchange = shared.exchange;
  const capabilities = spec.capabilities[market];
  const marketParams: Record<string, unknown> =
    market === 'perp' ? { type: 'swap', subType: 'linear' } : { type: 'spot' };
  const num = (n: number | string | undefined | null): string | undefined =>
    n === undefined || n === null ? undefined : ex.numberToString(n);

  const marketsMap = (): Record<string, Market | undefined> => ex.markets ?? {};

  async function call<T>(op: CcxtOp, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toConnectorError(e, spec, op, shared.secrets);
    }
  }

  async function ccxtMarket(symbol: string): Promise<Market> {
    await call('read', () => shared.markets());
    const id = canonicalToCcxt(market, symbol);
    const m = id === undefined ? undefined : marketsMap()[id];
    if (!m) throw new ConnectorError('unknown-symbol', `${symbol} is not listed on ${venue}/${market}`);
    return m;
  }

  /** Base units per ccxt amount unit (contracts on OKX swaps, 1 elsewhere). */
  const unit = (m: Market): string => (m.contract ? (num(m.contractSize) ?? '1') : '1');

  function toInstrument(m: Market, trading: boolean, symbol: string): Instrument {
    const u = unit(m);
    const lot = multiply(num(m.precision.amount) ?? '1', u);
    return InstrumentSchema.parse({
      symbol,
      venueSymbol: m.id,
      base: m.base,
      quote: m.quote,
      market,
      tickSize: num(m.precision.price) ?? '0',
      lotSize: lot,
      minQuantity: m.limits.amount?.min != null ? multiply(num(m.limits.amount.min) ?? '0', u) : lot,
      maxQuantity: m.limits.amount?.max != null ? multiply(num(m.limits.amount.max) ?? '0', u) : undefined,
      minNotional: num(m.limits.cost?.min) ?? '0',
      trading,
    });
  }

  function toOrder(o: CcxtOrder, m: Market, clientOrderId?: string): Order {
    const u = unit(m);
    const symbol = ccxtToCanonical(market, o.symbol ?? m.symbol);
    const filled = num(o.filled) ?? '0';
    let status = STATUS[o.status ?? ''] ?? 'open';
    if (status === 'open' && compare(filled, '0') > 0) status = 'partially-filled';
    return OrderSchema.parse({
      venueOrderId: String(o.id),
      clientOrderId: o.clientOrderId ?? clientOrderId ?? '',
      symbol,
      side: o.side,
      type: o.type === 'market' ? 'market' : 'limit',
      price: o.type === 'market' ? null : (num(o.price) ?? null),
      quantity: multiply(num(o.amount) ?? '0', u),
      filledQuantity: multiply(filled, u),
      averagePrice: o.average ? (num(o.average) ?? null) : null,
      fee: num(o.fee?.cost) ?? '0',
      feeAsset: o.fee?.currency ?? m.quote,
      status,
      createdAt: o.timestamp ?? Date.now(),
      updatedAt: o.lastUpdateTimestamp ?? o.timestamp ?? Date.now(),
    });
  }

  const lookup = (clientOrderId: string, forFetch: boolean): Record<string, unknown> => ({
    ...marketParams,
    ...(forFetch ? spec.fetchOrderParams : {}),
    [spec.lookupClientIdParam]: clientOrderId,
  });

  async function fetchOrderByClientId(symbol: string, clientOrderId: string): Promise<Order | undefined> {
    const m = await ccxtMarket(symbol);
    try {
      const o = await call('read', () =>
        ex.fetchOrder(undefined as unknown as string, m.symbol, lookup(clientOrderId, true)),
      );
      return toOrder(o, m, clientOrderId);
    } catch (e) {
      if (e instanceof ConnectorError && e.kind === 'order-not-found') return undefined;
      throw e;
    }
  }

  function requireTrading(): void {
    if (!capabilities.canTrade)
      throw new ConnectorError(
        'invalid-order',
        `${venue} ${market}: order entry is not available (price source only)`,
      );
  }

  async function bestBidAsk(symbol: string): Promise<BestBidAsk> {
    const m = await ccxtMarket(symbol);
    const t = await call('read', async () => {
      if (ex.has['fetchBidsAsks'] === true) {
        const all = await ex.fetchBidsAsks([m.symbol], marketParams);
        const one = all[m.symbol];
        if (one) return one;
      }
      return ex.fetchTicker(m.symbol);
    });
    const quote = toQuote(t, m, symbol);
    if (!quote) throw new ConnectorError('no-quote', `${venue}/${market} ${symbol}: no two-sided quote`);
    return quote;
  }

  const last = (q: BestBidAsk): string => `${q.bid}|${q.bidSize}|${q.ask}|${q.askSize}`;

  /** A two-sided touch in port units, or undefined (an empty side is not a quote). */
  function toQuote(t: Omit<RawTouch, 'symbol'>, m: Market, symbol: string): BestBidAsk | undefined {
    const bid = num(t.bid);
    const ask = num(t.ask);
    if (!bid || !ask || compare(bid, '0') <= 0 || compare(ask, '0') <= 0) return undefined;
    const u = unit(m);
    return {
      symbol,
      bid,
      bidSize: multiply(num(t.bidVolume) ?? '0', u),
      ask,
      askSize: multiply(num(t.askVolume) ?? '0', u),
      timestamp: t.timestamp ?? Date.now(),
    };
  }

  /**
   * ccxt.pro feed: symbols are placed on connections within the venue's per-connection limit (one
   * shared ccxt.pro instance per connection slot, slot 0 being the venue's instance), each connection's
   * symbols are watched in subscribe-request-sized batches. A failing watch call (socket dropped,
   * venue error) ends the whole feed with a ConnectorError; ccxt reconnects on the next watch call,
   * which is the caller's resubscribe (the market-data hub backs off and resubscribes).
   */
  async function streamBestBidAsk(
    method: StreamMethod,
    markets: Map<string, Market>,
    onQuote: (q: BestBidAsk) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const byCcxt = new Map<string, string>();
    for (const [s, m] of markets) byCcxt.set(m.symbol, s);
    const allocKey = `${venue} ${market} ${JSON.stringify(options.apiUrls ?? {})} ${JSON.stringify(options.wsUrls ?? {})}`;
    let alloc = allocators.get(allocKey);
    if (!alloc) {
      alloc = SlotAllocator.for(venue, market);
      allocators.set(allocKey, alloc);
    }
    const placement = alloc.assign([...byCcxt.keys()]);
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const sent = new Map<string, string>();
    const emit = (t: RawTouch): void => {
      const symbol = byCcxt.get(t.symbol);
      const m = symbol === undefined ? undefined : markets.get(symbol);
      if (symbol === undefined || !m || stop.signal.aborted) return;
      const q = toQuote(t, m, symbol);
      if (!q || sent.get(symbol) === last(q)) return;
      sent.set(symbol, last(q));
      onQuote(q);
    };
    const slots = [...placement].map(([slot, ccxtSymbols]) => ({
      slot,
      pro: sharedProExchange(venue, options, slot),
      requests: watchRequests(venue, market, method, ccxtSymbols),
    }));
    let failure: ConnectorError | undefined;
    const pump = async (ex: Exchange, request: string[]): Promise<void> => {
      while (!stop.signal.aborted) {
        const call = watchOnce(ex, method, request);
        // A watch still pending at abort is rejected by unWatch/close: nobody awaits it any more.
        call.catch(() => undefined);
        const touches = await Promise.race([call, aborted(stop.signal).then(() => undefined)]);
        if (!touches) return;
        for (const t of touches) emit(t);
      }
    };
    try {
      for (const s of slots) {
        await s.pro.acquire();
        forgetCached(s.pro.exchange, method, placement.get(s.slot) ?? []);
      }
      const pumps = slots.flatMap((s) =>
        s.requests.map((r) =>
          pump(s.pro.exchange, r).catch((e: unknown) => {
            if (stop.signal.aborted) return;
            failure ??= toConnectorError(e, spec, 'read', s.pro.secrets);
            stop.abort();
          }),
        ),
      );
      // Current quote first: a quiet book may not tick for a while, so the REST touch stands in until
      // the stream delivers one (dropped once the stream has spoken for that symbol).
      for (const s of markets.keys())
        void bestBidAsk(s).then(
          (q) => {
            if (!sent.has(s) && !stop.signal.aborted) {
              sent.set(s, last(q));
              onQuote(q);
            }
          },
          () => undefined,
        );
      await Promise.all(pumps);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      for (const s of slots) {
        const gone = new Set(alloc.release(s.slot, placement.get(s.slot) ?? []));
        // Unsubscribe what nobody follows any more while others keep the connection; the last
        // watcher closes the instance's sockets instead.
        if (s.pro.users > 1 && failure === undefined)
          for (const r of s.requests)
            if (r.every((x) => gone.has(x)))
              await Promise.race([
                unwatch(s.pro.exchange, method, r).catch(() => undefined),
                new Promise((resolve) => setTimeout(resolve, UNWATCH_TIMEOUT_MS).unref()),
              ]);
        await s.pro.release();
      }
    }
    if (failure) throw failure;
  }

  /** REST polling: the explicit fallback for a venue market without a WS method. */
  async function pollBestBidAsk(
    symbols: string[],
    onQuote: (q: BestBidAsk) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const sent = new Map<string, string>();
    const period = options.pollIntervalMs ?? 1000;
    while (!signal.aborted) {
      for (const s of symbols) {
        const q = await bestBidAsk(s).catch((e: unknown) => {
          // An empty book side is not a feed failure.
          if (e instanceof ConnectorError && e.kind === 'no-quote') return undefined;
          throw e;
        });
        if (!q || signal.aborted) continue;
        if (sent.get(s) !== last(q)) {
          sent.set(s, last(q));
          onQuote(q);
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, period);
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done);
      });
    }
  }

  return {
    venue,
    market,
    capabilities,

    async instruments(): Promise<Instrument[]> {
      await call('read', () => shared.markets());
      const normalized = normalizeCcxtMarkets(venue, marketsMap(), {
        includeNotTrading: true,
      });
      return normalized
        .filter((n) => n.market === market)
        .flatMap((n) => {
          const m = marketsMap()[n.ccxtSymbol];
          return m ? [toInstrument(m, n.trading, n.symbol)] : [];
        });
    },

    bestBidAsk,

    async watchBestBidAsk(symbols, onQuote, signal): Promise<void> {
      const markets = new Map<string, Market>();
      for (const s of symbols) markets.set(s, await ccxtMarket(s));
      if (signal.aborted) return;
      const pro0 = sharedProExchange(venue, options, 0);
      const method = resolveStreamMethod(pro0.exchange.has, options.streamMethod ?? spec.stream[market]);
      if (method === 'poll') return pollBestBidAsk(symbols, onQuote, signal);
      return streamBestBidAsk(method, markets, onQuote, signal);
    },

    async createOrder(input: CreateOrder): Promise<Order> {
      const o = parseCreateOrder(input);
      requireTrading();
      if (o.clientOrderId.length > spec.clientIdMaxLength)
        throw new ConnectorError(
          'invalid-order',
          `${venue} client order ids are at most ${spec.clientIdMaxLength} chars`,
        );
      const m = await ccxtMarket(o.symbol);
      // ccxt would silently round an off-grid price or amount to precision; the port refuses instead.
      const tick = num(m.precision.price);
      if (o.price !== undefined && tick && !isMultipleOf(o.price, tick))
        throw new ConnectorError('invalid-order', `price ${o.price} is not a multiple of tick ${tick}`);
      const amount = divideExact(o.quantity, unit(m));
      const step = num(m.precision.amount);
      if (amount === undefined || (step && !isMultipleOf(amount, step)))
        throw new ConnectorError('invalid-order', `quantity ${o.quantity} is not a multiple of the lot size`);
      if (o.type === 'limit' && o.price === undefined)
        throw new ConnectorError('invalid-order', 'limit order without price');
      const params: Record<string, unknown> = { [spec.createClientIdParam]: o.clientOrderId };
      if (o.type === 'limit') params['timeInForce'] = o.timeInForce;
      if (o.postOnly) params['postOnly'] = true;
      if (o.reduceOnly) params['reduceOnly'] = true;
      const created = await call('createOrder', () =>
        ex.createOrder(
          m.symbol,
          o.type,
          o.side,
          Number(amount),
          o.price === undefined ? undefined : Number(o.price),
          params,
        ),
      );
      // Some venues acknowledge with the id only; the full state comes from a lookup.
      if (created.status === undefined || created.amount === undefined) {
        const full = await fetchOrderByClientId(o.symbol, o.clientOrderId);
        if (full) return full;
      }
      return toOrder(created, m, o.clientOrderId);
    },

    async cancelOrder(symbol: string, clientOrderId: string): Promise<Order> {
      requireTrading();
      const m = await ccxtMarket(symbol);
      try {
        const o = await call('cancelOrder', () =>
          ex.cancelOrder(undefined as unknown as string, m.symbol, lookup(clientOrderId, false)),
        );
        if (o.status !== undefined && o.amount !== undefined) return toOrder(o, m, clientOrderId);
      } catch (e) {
        // Venues answer "unknown order" for orders already closed: idempotent cancel returns it as it is.
        if (!(e instanceof ConnectorError && e.kind === 'order-not-found')) throw e;
      }
      const found = await fetchOrderByClientId(symbol, clientOrderId);
      if (!found)
        throw new ConnectorError('order-not-found', `${venue}/${market}: no order ${clientOrderId}`);
      return found;
    },

    fetchOrderByClientId,

    async openOrders(symbol?: string): Promise<Order[]> {
      const m = symbol === undefined ? undefined : await ccxtMarket(symbol);
      if (!m) await call('read', () => shared.markets());
      const list = await call('read', () =>
        ex.fetchOpenOrders(m?.symbol, undefined, undefined, marketParams),
      );
      return list.flatMap((o) => {
        const om = o.symbol === undefined ? undefined : marketsMap()[o.symbol];
        return om && ccxtToCanonical(market, om.symbol) !== undefined ? [toOrder(o, om)] : [];
      });
    },

    async balances(): Promise<Balance[]> {
      const b = await call('read', () => ex.fetchBalance(marketParams));
      const totals = (b.total ?? {}) as unknown as Record<string, number | undefined>;
      const free = (b.free ?? {}) as unknown as Record<string, number | undefined>;
      const used = (b.used ?? {}) as unknown as Record<string, number | undefined>;
      const nonNegative = (n: number | undefined): string => {
        const s = num(n) ?? '0';
        return s.startsWith('-') ? '0' : s;
      };
      return Object.keys(totals)
        .filter((asset) => (totals[asset] ?? 0) !== 0)
        .map((asset) => ({ asset, free: nonNegative(free[asset]), locked: nonNegative(used[asset]) }));
    },

    async positions(): Promise<Position[]> {
      if (!capabilities.hasPositions) return [];
      await call('read', () => shared.markets());
      const list = await call('read', () => ex.fetchPositions(undefined, marketParams));
      return list.flatMap((p) => {
        const m = p.symbol === undefined ? undefined : marketsMap()[p.symbol];
        const symbol = m ? ccxtToCanonical(market, m.symbol) : undefined;
        const contracts = num(p.contracts);
        if (!m || !symbol || !contracts || compare(contracts, '0') === 0) return [];
        const qty = multiply(contracts.replace('-', ''), unit(m));
        return [
          {
            symbol,
            quantity: p.side === 'short' ? `-${qty}` : qty,
            entryPrice: num(p.entryPrice) ?? '0',
            markPrice: num(p.markPrice) ?? '0',
            unrealizedPnl: num(p.unrealizedPnl) ?? '0',
            realizedPnl: num(p.realizedPnl) ?? '0',
            leverage: p.leverage && p.leverage > 0 ? p.leverage : 1,
            liquidationPrice: p.liquidationPrice ? (num(p.liquidationPrice) ?? null) : null,
          },
        ];
      });
    },

    async fundingRate(symbol: string): Promise<FundingRate> {
      if (!capabilities.hasFunding)
        throw new ConnectorError('invalid-order', 'fundingRate is available on perp markets only');
      const m = await ccxtMarket(symbol);
      const f = await call('read', () => ex.fetchFundingRate(m.symbol));
      return {
        symbol,
        rate: num(f.fundingRate) ?? '0',
        nextFundingTime: f.nextFundingTimestamp ?? f.fundingTimestamp ?? 0,
      };
    },

    async setLeverage(symbol: string, leverage: number): Promise<void> {
      if (market !== 'perp')
        throw new ConnectorError('invalid-order', 'setLeverage is available on perp markets only');
      requireTrading();
      const m = await ccxtMarket(symbol);
      await call('read', () => ex.setLeverage(leverage, m.symbol));
    },

    // The ccxt instance is shared by every connector of the venue: nothing to release here.
    close: async () => {},
  };
}
