import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { MarketKind, Venue } from '../../domain/venues';
import { SimError } from '../../sim/errors';
import { DEFAULT_RECV_WINDOW_MS } from '../../sim/gateway';
import type { RequestStamp, WallClock } from '../../sim/gateway';
import type { PlaceOrderRequest } from '../../sim/orders';
import { ConnectorError, parseCreateOrder } from '../exchange-connector';
import type {
  Balance,
  BestBidAsk,
  ConnectorCapabilities,
  CreateOrder,
  ExchangeConnector,
  FundingPayment,
  FundingRate,
  Instrument,
  Order,
  OrderBookUpdate,
  Position,
  PublicTrade,
  SendOptions,
} from '../exchange-connector';
import {
  connectorErrorFromSim,
  fundingFromSim,
  fundingPaymentsFromSim,
  instrumentFromSim,
  notOnSpot,
  orderBookDiffFromSim,
  orderBookSnapshotFromSim,
  orderFromSim,
  perpBalancesFromSim,
  perpWalletFromSim,
  positionsFromSim,
  quoteFromSim,
  spotBalancesFromSim,
  tradeFromSim,
} from './sim-mapping';

export type SimOrderRef = { clientOrderId: string };
/** An order as the simulator takes it, minus the account (the transport knows it). */
export type SimOrderRequest = Omit<PlaceOrderRequest, 'account'>;

/** How order requests are stamped: the venue refuses one it would execute over `recvWindowMs` after. */
export interface SimStampOptions {
  /** The wall clock requests are stamped with (default `Date.now`; tests share theirs with the venue). */
  now?: WallClock;
  /** Default 5000 ms, at most 60000. */
  recvWindowMs?: number;
}

/**
 * How a simulator connector reaches one venue market of the simulator for one account. Returns the
 * simulator's raw wire shapes; throws `SimError` for the venue's rejections and `ConnectorError`
 * ('retryable') when the transport itself failed. Order entry and cancels carry the port's stamp.
 */
export interface SimTransport {
  instruments(): Promise<unknown[]>;
  ticker(symbol: string): Promise<unknown>;
  placeOrder(req: SimOrderRequest, stamp: RequestStamp): Promise<unknown>;
  cancelOrder(ref: SimOrderRef, stamp: RequestStamp): Promise<unknown>;
  getOrder(ref: SimOrderRef): Promise<unknown>;
  openOrders(symbol?: string): Promise<unknown>;
  spotBalances(): Promise<unknown>;
  perpAccount(): Promise<unknown>;
  funding(symbol: string): Promise<unknown>;
  /** The account's perp funding history, every settlement the venue still keeps. */
  fundingPayments(): Promise<unknown>;
  setLeverage(symbol: string, leverage: number): Promise<void>;
  /** Calls `onTop` with raw book tops until the signal aborts (resolves) or the feed drops (rejects). */
  watchTops(symbols: string[], onTop: (raw: unknown) => void, signal: AbortSignal): Promise<void>;
  /** The symbols' raw public trades; absent: none served. */
  watchTrades?(symbols: string[], onTrade: (raw: unknown) => void, signal: AbortSignal): Promise<void>;
  /** A book's raw depth diffs, as the port's `watchOrderBook`; absent: none served (nor `depthSnapshot`). */
  watchDepth?(
    symbol: string,
    onDiff: (raw: unknown) => void,
    signal: AbortSignal,
    onLive?: () => void,
  ): Promise<void>;
  depthSnapshot?(symbol: string, levels: number): Promise<unknown>;
  /** The account's raw order updates on this market, as the port's `watchOrders`; absent: none served. */
  watchOrders?(onOrder: (raw: unknown) => void, signal: AbortSignal, onLive?: () => void): Promise<void>;
  close(): Promise<void>;
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SimError) throw connectorErrorFromSim(e.reason, e.message, e.code);
    throw e;
  }
}

function canonical(symbol: string): string {
  if (!CanonicalSymbolSchema.safeParse(symbol).success)
    throw new ConnectorError('unknown-symbol', `not a canonical symbol: ${symbol}`);
  return symbol;
}

/**
 * The port implemented over a simulator transport (in-process or networked). Every order and cancel is
 * stamped with the current time, so one the network delays beyond its recvWindow is refused by the
 * venue (REQUEST_EXPIRED, 'retryable': nothing was placed) instead of executing late.
 */
export function createSimPortConnector(
  transport: SimTransport,
  venue: Venue,
  market: MarketKind,
  options: SimStampOptions = {},
): ExchangeConnector {
  const now = options.now ?? Date.now;
  const recvWindow = options.recvWindowMs ?? DEFAULT_RECV_WINDOW_MS;
  const stamp = (): RequestStamp => ({ timestamp: now(), recvWindow });
  let instrumentCache: Promise<Instrument[]> | undefined;
  const perp = market === 'perp';
  const capabilities: ConnectorCapabilities = {
    canTrade: true,
    canStream: true,
    hasPositions: perp,
    hasFunding: perp,
  };

  const instruments = (): Promise<Instrument[]> =>
    mapped(async () => (await transport.instruments()).map((i) => instrumentFromSim(i, market)));

  /** Symbol checks for calls where the simulator does not look at the symbol itself. */
  async function known(symbol: string): Promise<string> {
    canonical(symbol);
    instrumentCache ??= instruments().catch((e: unknown) => {
      instrumentCache = undefined;
      throw e;
    });
    if (!(await instrumentCache).some((i) => i.symbol === symbol))
      throw new ConnectorError('unknown-symbol', `${symbol} is not listed on ${venue}/${market}`);
    return symbol;
  }

  async function fetchOrder(symbol: string, clientOrderId: string): Promise<Order | undefined> {
    await known(symbol);
    try {
      const order = await mapped(async () => orderFromSim(await transport.getOrder({ clientOrderId })));
      return order.symbol === symbol ? order : undefined;
    } catch (e) {
      if (e instanceof ConnectorError && e.kind === 'order-not-found') return undefined;
      throw e;
    }
  }

  return {
    venue,
    market,
    capabilities,
    live: false,
    // The venue refuses a request older than its recvWindow, and one stamped over 1 s ahead of its clock.
    requestExpiryMs: recvWindow + 1_000,
    instruments,

    async bestBidAsk(symbol: string): Promise<BestBidAsk> {
      canonical(symbol);
      const quote = await mapped(async () => quoteFromSim(await transport.ticker(symbol)));
      if (!quote)
        throw new ConnectorError('no-quote', `${venue}/${market} ${symbol}: one side of the book is empty`);
      return quote;
    },

    async watchBestBidAsk(symbols: string[], onQuote: (q: BestBidAsk) => void, signal: AbortSignal) {
      for (const s of symbols) await known(s);
      await mapped(() =>
        transport.watchTops(
          symbols,
          (raw) => {
            const q = quoteFromSim(raw);
            if (q) onQuote(q);
          },
          signal,
        ),
      );
    },

    async createOrder(input: CreateOrder, send?: SendOptions): Promise<Order> {
      const o = parseCreateOrder(input);
      // The last moment before the request leaves: past its deadline it never does.
      if (send?.sendBy !== undefined && now() > send.sendBy)
        throw new ConnectorError('retryable', `not sent: past its deadline by ${now() - send.sendBy} ms`);
      return mapped(async () =>
        orderFromSim(
          await transport.placeOrder(
            {
              symbol: o.symbol,
              side: o.side,
              type: o.type,
              quantity: o.quantity,
              price: o.price,
              timeInForce: o.type === 'limit' ? o.timeInForce : undefined,
              postOnly: o.postOnly || undefined,
              reduceOnly: o.reduceOnly || undefined,
              clientOrderId: o.clientOrderId,
            },
            stamp(),
          ),
        ),
      );
    },

    async cancelOrder(symbol: string, clientOrderId: string): Promise<Order> {
      await known(symbol);
      try {
        return orderFromSim(await transport.cancelOrder({ clientOrderId }, stamp()));
      } catch (e) {
        if (e instanceof SimError && e.reason === 'ORDER_NOT_OPEN') {
          const order = await fetchOrder(symbol, clientOrderId);
          if (order) return order;
        }
        if (e instanceof SimError) throw connectorErrorFromSim(e.reason, e.message, e.code);
        throw e;
      }
    },

    fetchOrderByClientId: fetchOrder,

    async openOrders(symbol?: string): Promise<Order[]> {
      if (symbol !== undefined) await known(symbol);
      return mapped(async () => {
        const raw = await transport.openOrders(symbol);
        return z.array(z.unknown()).parse(raw).map(orderFromSim);
      });
    },

    async balances(): Promise<Balance[]> {
      return mapped(async () =>
        perp
          ? perpBalancesFromSim(await transport.perpAccount())
          : spotBalancesFromSim(await transport.spotBalances()),
      );
    },

    async positions(): Promise<Position[]> {
      if (!perp) return [];
      return mapped(async () => positionsFromSim(await transport.perpAccount()));
    },

    async fundingRate(symbol: string): Promise<FundingRate> {
      canonical(symbol);
      if (!perp) throw notOnSpot('fundingRate');
      return mapped(async () => fundingFromSim(await transport.funding(symbol)));
    },

    async fundingPayments(since: number): Promise<FundingPayment[]> {
      if (!perp) throw notOnSpot('fundingPayments');
      // Funding is paid into the perp margin wallet, in its asset.
      return mapped(async () => {
        const { asset } = perpWalletFromSim(await transport.perpAccount());
        return fundingPaymentsFromSim(await transport.fundingPayments(), since, asset);
      });
    },

    async setLeverage(symbol: string, leverage: number): Promise<void> {
      canonical(symbol);
      if (!perp) throw notOnSpot('setLeverage');
      await mapped(() => transport.setLeverage(symbol, leverage));
    },

    ...(transport.watchOrders && { watchOrders: watchOrdersOver(transport.watchOrders.bind(transport)) }),
    ...(transport.watchTrades && {
      watchTrades: async (symbol: string, onTrade: (trade: PublicTrade) => void, signal: AbortSignal) => {
        await known(symbol);
        const watch = transport.watchTrades!.bind(transport);
        await mapped(() => watch([symbol], (raw) => onTrade(tradeFromSim(raw)), signal));
      },
    }),

    ...(transport.watchDepth &&
      transport.depthSnapshot && {
        watchOrderBook: async (
          symbol: string,
          onUpdate: (update: OrderBookUpdate) => void,
          signal: AbortSignal,
          onLive?: () => void,
        ) => {
          await known(symbol);
          const watch = transport.watchDepth!.bind(transport);
          await mapped(() =>
            watch(symbol, (raw) => onUpdate({ kind: 'diff', ...orderBookDiffFromSim(raw) }), signal, onLive),
          );
        },
        orderBookSnapshot: async (symbol: string, levels: number) => {
          await known(symbol);
          const snapshot = transport.depthSnapshot!.bind(transport);
          return mapped(async () => orderBookSnapshotFromSim(await snapshot(symbol, levels)));
        },
      }),

    close: () => transport.close(),
  };
}

function watchOrdersOver(
  watch: NonNullable<SimTransport['watchOrders']>,
): NonNullable<ExchangeConnector['watchOrders']> {
  return (onOrder, signal, onLive) =>
    mapped(() => watch((raw) => onOrder(orderFromSim(raw)), signal, onLive));
}
