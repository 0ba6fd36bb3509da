import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { venueToCanonical } from '../../../domain/symbols';
import { SimError } from '../../errors';
import type { SimExchange } from '../../exchange';
import { realSleep, withFaults } from '../../gateway';
import type { RequestStamp, RequestTiming, Sleep } from '../../gateway';
import { asAccountId, asSymbolId } from '../../ids';
import type { PlaceOrderRequest } from '../../orders';
import { closeHttp, listenHttp } from '../../server/http-listen';
import { accountHistoryRoute } from './account-history';
import { authenticate, requestStamp } from './auth';
import type { FrontCredential } from './auth';
import type { FrontContext } from './context';
import { BinanceApiError, binanceErrorFromSim, binanceErrors } from './errors';
import type { FrontMarket } from './errors';
import {
  binanceSymbol,
  bookTicker,
  futuresAccount,
  futuresExchangeInfo,
  futuresOrder,
  futuresPosition,
  premiumIndex,
  spotAccount,
  spotExchangeInfo,
  spotOrder,
  spotOrderFull,
} from './format';
import { marketDataRoute } from './market-data';
import { parseParams as parse } from './params';
import { parseQuoteOrderQty, quantityForQuote } from './quote-order';
import { createMarketStream, refuseUpgrade } from './stream';
import type { MarketStream } from './stream';
import { createUserStream } from './user-stream';
import type { UserStream } from './user-stream';

export interface BinanceFrontOptions {
  exchange: SimExchange;
  /** API keys accepted, each bound to a simulator account. */
  credentials: readonly FrontCredential[];
  /** Simulator venue served (default `binance`). */
  venue?: string;
  /** Server clock for timestamp/recvWindow checks (default wall clock: clients sign with theirs). */
  now?: () => number;
  sleep?: Sleep;
}

export interface BinanceFront {
  readonly http: Server;
  /** The WebSocket market stream on the same port (`binanceFrontWsUrls(baseUrl)`). */
  readonly stream: MarketStream;
  /** The user-data streams on the same port: spot WebSocket API, USD-M listenKey stream. */
  readonly userStream: UserStream;
  /** Resolves to the base URL, e.g. `http://127.0.0.1:43121`; spot is under `/api/v3`, futures `/fapi`. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
/** A lose-response fault: the request took effect, the socket is destroyed without a reply. */
class DropResponse extends Error {}

const ClientIdSchema = z.string().regex(/^[.A-Z:/a-z0-9_-]{1,36}$/);
const OrderParamsSchema = z.object({
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  type: z.enum(['LIMIT', 'MARKET', 'LIMIT_MAKER']),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'GTX']).optional(),
  quantity: z.string().optional(),
  quoteOrderQty: z.string().optional(),
  price: z.string().optional(),
  newClientOrderId: ClientIdSchema.optional(),
  reduceOnly: z.enum(['true', 'false']).optional(),
});
const OrderRefSchema = z.object({
  symbol: z.string(),
  orderId: z.string().regex(/^\d+$/).optional(),
  origClientOrderId: z.string().optional(),
});

interface Ctx {
  method: string;
  path: string;
  params: URLSearchParams;
  rawQuery: string;
  rawBody: string;
  apiKey: string | undefined;
}

/**
 * A Binance-compatible REST front over one simulator venue: enough of spot `/api/v3` and USD-M futures
 * `/fapi/v1|v2|v3` for ccxt's `binance` and `binanceusdm` classes, with Binance signing, timestamp
 * checks and error codes, plus the market stream and the user-data streams on the same port (ccxt pro).
 * Loopback only.
 */
export function createBinanceFront(options: BinanceFrontOptions): BinanceFront {
  const { exchange, credentials } = options;
  const venue = options.venue ?? 'binance';
  const now = options.now ?? Date.now;
  const timing: RequestTiming = { sleep: options.sleep ?? realSleep, now };
  const userStream = createUserStream({ exchange, venue, credentials, now });

  const kindOf = (m: FrontMarket): 'spot' | 'perp' => (m === 'spot' ? 'spot' : 'perp');

  /** Order entry and cancels pass their stamp: checked at receipt (auth) and again at execution. */
  const run = <T>(m: FrontMarket, op: string, fn: () => T, stamp?: RequestStamp): Promise<T> =>
    withFaults(exchange, venue, kindOf(m), op, timing, fn, stamp).catch((e: unknown) => {
      if (e instanceof SimError && e.reason === 'NETWORK_TIMEOUT') throw new DropResponse();
      if (e instanceof SimError) throw binanceErrorFromSim(e.reason, m);
      throw e;
    });

  function symbolOf(m: FrontMarket, binanceSymbol: string): string {
    const s = venueToCanonical('binance', kindOf(m), binanceSymbol);
    if (!s || !exchange.market(venue, kindOf(m)).hasSymbol(s)) throw binanceErrors.badSymbol();
    return s;
  }

  function optionalSymbol(m: FrontMarket, params: URLSearchParams): string | undefined {
    const s = params.get('symbol');
    return s === null ? undefined : symbolOf(m, s);
  }

  const account = (ctx: Ctx): string => authenticate(ctx, credentials, now());

  function orderRef(
    m: FrontMarket,
    ctx: Ctx,
  ): { symbol: string; ref: { orderId?: string; clientOrderId?: string } } {
    const p = parse(OrderRefSchema, ctx.params);
    const symbol = symbolOf(m, p.symbol);
    if (p.orderId !== undefined) return { symbol, ref: { orderId: `${venue}-${kindOf(m)}-${p.orderId}` } };
    if (p.origClientOrderId !== undefined) return { symbol, ref: { clientOrderId: p.origClientOrderId } };
    throw binanceErrors.badParam(
      "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    );
  }

  /**
   * The simulator request of a POST order. A spot MARKET order may name `quoteOrderQty` instead of
   * `quantity`: its quantity is then derived from the book when it executes (`quoteAtoms`).
   */
  function placeRequest(
    m: FrontMarket,
    acct: string,
    ctx: Ctx,
  ): { req: PlaceOrderRequest; quoteOrderQty?: string; quoteAtoms?: bigint } {
    const p = parse(OrderParamsSchema, ctx.params);
    const symbol = symbolOf(m, p.symbol);
    const limit = p.type !== 'MARKET';
    if (p.quoteOrderQty !== undefined && (limit || m === 'futures' || p.quantity !== undefined))
      throw new BinanceApiError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.");
    const quoteAtoms = p.quoteOrderQty === undefined ? undefined : parseQuoteOrderQty(p.quoteOrderQty);
    if (p.quantity === undefined && quoteAtoms === undefined) {
      if (limit) throw binanceErrors.mandatory('quantity');
      throw binanceErrors.badParam(
        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
      );
    }
    if (limit && p.price === undefined) throw binanceErrors.mandatory('price');
    if (p.type === 'LIMIT' && p.timeInForce === undefined) throw binanceErrors.mandatory('timeInForce');
    if (m === 'spot' && p.reduceOnly !== undefined)
      throw binanceErrors.badParam('reduceOnly is not a spot parameter.');
    const postOnly = p.type === 'LIMIT_MAKER' || p.timeInForce === 'GTX';
    if (p.type === 'LIMIT_MAKER' && m === 'futures')
      throw new BinanceApiError(400, -1116, 'Invalid orderType.');
    const req: PlaceOrderRequest = {
      account: acct,
      symbol,
      side: p.side === 'BUY' ? 'buy' : 'sell',
      type: limit ? 'limit' : 'market',
      quantity: p.quantity ?? '',
      price: limit ? p.price : undefined,
      timeInForce: !limit || postOnly ? undefined : p.timeInForce === 'GTX' ? undefined : p.timeInForce,
      postOnly: postOnly || undefined,
      reduceOnly: p.reduceOnly === 'true' || undefined,
      clientOrderId: p.newClientOrderId,
    };
    return quoteAtoms === undefined ? { req } : { req, quoteOrderQty: p.quoteOrderQty, quoteAtoms };
  }

  async function orderRoutes(m: FrontMarket, ctx: Ctx): Promise<unknown> {
    const kind = kindOf(m);
    const market = exchange.market(venue, kind);
    const fmt = m === 'spot' ? spotOrder : futuresOrder;
    const acct = account(ctx);
    switch (ctx.method) {
      case 'POST': {
        const { req, quoteOrderQty, quoteAtoms } = placeRequest(m, acct, ctx);
        const order = await run(
          m,
          'createOrder',
          () =>
            market.placeOrder(
              quoteAtoms === undefined
                ? req
                : { ...req, quantity: quantityForQuote(market, req.symbol, req.side, quoteAtoms) },
            ),
          requestStamp(ctx.params),
        );
        if (m === 'futures') return futuresOrder(order);
        const fills = market.accountFills(acct, order.symbol).filter((f) => f.orderId === order.orderId);
        return ctx.params.get('newOrderRespType') === 'FULL'
          ? spotOrderFull(order, fills, quoteOrderQty)
          : spotOrder(order, quoteOrderQty);
      }
      case 'GET': {
        const { symbol, ref } = orderRef(m, ctx);
        const order = await run(m, 'getOrder', () => market.getOrder(acct, ref));
        if (order.symbol !== symbol) throw binanceErrors.noSuchOrder();
        return fmt(order);
      }
      case 'DELETE': {
        const { symbol, ref } = orderRef(m, ctx);
        const order = await run(
          m,
          'cancelOrder',
          () => {
            const found = market.getOrder(acct, ref);
            if (found.symbol !== symbol) throw new SimError('UNKNOWN_ORDER');
            return market.cancelOrder(acct, ref);
          },
          requestStamp(ctx.params),
        ).catch((e: unknown) => {
          // Binance answers a cancel of an unknown or closed order alike.
          if (e instanceof BinanceApiError && e.code === -2013) throw binanceErrors.cancelUnknown();
          throw e;
        });
        return fmt(order);
      }
    }
    throw binanceErrors.unknownRoute();
  }

  async function route(ctx: Ctx): Promise<unknown> {
    const [root, version, ...rest] = ctx.path.split('/').filter(Boolean);
    const endpoint = rest.join('/');
    const m: FrontMarket | undefined = root === 'api' ? 'spot' : root === 'fapi' ? 'futures' : undefined;
    if (!m || !version) throw binanceErrors.unknownRoute();
    const kind = kindOf(m);
    const market = exchange.market(venue, kind);
    const futures = m === 'futures';
    const key = `${ctx.method} ${futures ? version + '/' : ''}${endpoint}`;
    const front: FrontContext = {
      exchange,
      venue,
      market,
      futures,
      symbolOf: (s) => symbolOf(m, s),
    };
    const marketData = marketDataRoute(front, key, ctx.params);
    if (marketData) return run(m, 'query', marketData);
    const history = accountHistoryRoute(front, key, ctx.params, () => account(ctx));
    if (history) return run(m, 'query', history);
    const listenKey = futures ? userStream.listenKeyRoute(key, ctx.apiKey) : undefined;
    if (listenKey) return run(m, 'query', listenKey);
    switch (key) {
      case 'GET ping':
      case 'GET v1/ping':
        return {};
      case 'GET time':
      case 'GET v1/time':
        return { serverTime: now() };
      case 'GET exchangeInfo':
        return run(m, 'query', () => spotExchangeInfo(market.instruments(), now()));
      case 'GET v1/exchangeInfo':
        return run(m, 'query', () => futuresExchangeInfo(market.instruments(), now()));
      case 'GET depth':
      case 'GET v1/depth': {
        const symbol = symbolOf(m, ctx.params.get('symbol') ?? '');
        const limit = Math.min(Math.max(Number(ctx.params.get('limit') ?? 100) || 100, 1), 5000);
        return run(m, 'query', () => {
          const d = exchange.depthSnapshot(venue, kind, symbol, limit);
          return {
            // The book's update sequence, which the depth streams number their diffs by.
            lastUpdateId: d.lastUpdateId,
            ...(futures ? { E: now(), T: now() } : {}),
            bids: d.bids,
            asks: d.asks,
          };
        });
      }
      case 'GET ticker/bookTicker':
      case 'GET v1/ticker/bookTicker': {
        const symbol = optionalSymbol(m, ctx.params);
        return run(m, 'query', () => {
          const one = (s: string) => bookTicker(exchange.ticker(venue, kind, s), futures, now());
          return symbol !== undefined ? one(symbol) : market.symbolIds().map(one);
        });
      }
      case 'GET v1/premiumIndex': {
        const symbol = optionalSymbol(m, ctx.params);
        const v = exchange.venue(venue);
        return run(m, 'query', () => {
          const one = (s: string) => premiumIndex(v.funding(s), market.markPrice(s), now());
          return symbol !== undefined ? one(symbol) : market.symbolIds().map(one);
        });
      }
      case 'GET order':
      case 'POST order':
      case 'DELETE order':
      case 'GET v1/order':
      case 'POST v1/order':
      case 'DELETE v1/order':
        return orderRoutes(m, ctx);
      case 'GET openOrders':
      case 'GET v1/openOrders': {
        const acct = account(ctx);
        const symbol = optionalSymbol(m, ctx.params);
        return run(m, 'openOrders', () =>
          market.openOrders(acct, symbol).map((o) => (futures ? futuresOrder(o) : spotOrder(o))),
        );
      }
      case 'GET account': {
        const acct = account(ctx);
        return run(m, 'balances', () => spotAccount(exchange.venue(venue).balances(acct), now()));
      }
      case 'GET v2/account':
      case 'GET v3/account': {
        const acct = account(ctx);
        return run(m, 'positions', () => futuresAccount(exchange.venue(venue).perpAccount(acct), now()));
      }
      case 'GET v2/balance':
      case 'GET v3/balance': {
        const acct = account(ctx);
        return run(m, 'positions', () => {
          const a = futuresAccount(exchange.venue(venue).perpAccount(acct), now());
          return a.assets;
        });
      }
      case 'GET v2/positionRisk':
      case 'GET v3/positionRisk': {
        const acct = account(ctx);
        const symbol = optionalSymbol(m, ctx.params);
        const v = exchange.venue(venue);
        return run(m, 'positions', () => {
          const positions = v.perpAccount(acct).positions;
          const symbols = symbol !== undefined ? [symbol] : market.symbolIds();
          return symbols.map((s) =>
            futuresPosition(
              positions.find((p) => p.symbol === s),
              s,
              market.markPrice(s),
              v.ledger.leverageOf(asAccountId(acct), asSymbolId(s)),
            ),
          );
        });
      }
      case 'POST v1/leverage': {
        const acct = account(ctx);
        const symbol = symbolOf(m, ctx.params.get('symbol') ?? '');
        const leverage = Number(ctx.params.get('leverage'));
        return run(m, 'query', () => {
          exchange.venue(venue).setLeverage(acct, symbol, leverage);
          return { leverage, maxNotionalValue: '1000000000', symbol: ctx.params.get('symbol') };
        });
      }
      case 'GET v1/leverageBracket': {
        account(ctx);
        const symbol = optionalSymbol(m, ctx.params);
        return run(m, 'query', () =>
          (symbol !== undefined ? [symbol] : market.symbolIds()).map((s) => {
            const inst = market.instrument(s);
            return {
              symbol: binanceSymbol(s),
              notionalCoef: 1,
              brackets: [
                {
                  bracket: 1,
                  initialLeverage: inst.maxLeverage,
                  notionalCap: 1_000_000_000,
                  notionalFloor: 0,
                  maintMarginRatio: inst.maintenanceMarginPpm / 1_000_000,
                  cum: 0,
                },
              ],
            };
          }),
        );
      }
    }
    throw binanceErrors.unknownRoute();
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) reject(binanceErrors.badParam('Request body too large.'));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  function send(res: ServerResponse, status: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://front');
      const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
      const rawBody = req.method === 'GET' ? '' : await readBody(req);
      const params = new URLSearchParams(rawQuery);
      for (const [k, v] of new URLSearchParams(rawBody)) params.append(k, v);
      const apiKey = req.headers['x-mbx-apikey'];
      const ctx: Ctx = {
        method: req.method ?? 'GET',
        path: url.pathname,
        params,
        rawQuery,
        rawBody,
        apiKey: Array.isArray(apiKey) ? apiKey[0] : apiKey,
      };
      send(res, 200, await route(ctx));
    } catch (e) {
      if (e instanceof DropResponse) {
        req.socket.destroy();
        return;
      }
      const err =
        e instanceof BinanceApiError
          ? e
          : e instanceof SimError
            ? binanceErrorFromSim(e.reason, (req.url ?? '').startsWith('/fapi') ? 'futures' : 'spot')
            : new BinanceApiError(500, -1000, 'An unknown error occurred while processing the request.');
      send(res, err.http, err.toBody());
    }
  }

  const http = createServer({ keepAliveTimeout: 60_000 }, (req, res) => void handle(req, res));
  const stream = createMarketStream(exchange, venue, now);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!stream.upgrade(req, socket, head) && !userStream.upgrade(req, socket, head))
      refuseUpgrade(socket, '404 Not Found');
  });
  return {
    http,
    stream,
    userStream,
    listen: (port = 0, host = '127.0.0.1') => listenHttp(http, port, host),
    close: () => {
      stream.close();
      userStream.close();
      return closeHttp(http);
    },
  };
}
