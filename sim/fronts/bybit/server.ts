import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { venueToCanonical } from '../../../domain/symbols';
import type { Side } from '../../../domain/trading';
import { SimError } from '../../errors';
import type { SimExchange } from '../../exchange';
import { realSleep, withFaults } from '../../gateway';
import type { RequestStamp, RequestTiming, Sleep } from '../../gateway';
import { asAccountId, asSymbolId } from '../../ids';
import { parseAtoms } from '../../instruments';
import type { OrderView, PlaceOrderRequest } from '../../orders';
import { closeHttp, listenHttp } from '../../server/http-listen';
import type { VenueMarket } from '../../venue-market';
import { refuseUpgrade } from '../binance/stream';
import { authenticate, requestStamp } from './auth';
import type { FrontCredential, SignedRequest } from './auth';
import { BybitApiError, BybitGatewayError, bybitErrorFromSim, bybitErrors } from './errors';
import type { BybitCategory } from './errors';
import {
  bybitOrderId,
  bybitSymbol,
  envelope,
  instrumentsInfo,
  order as orderJson,
  position,
  ticker,
  unifiedWallet,
} from './format';
import { createBybitPrivateStream } from './private-stream';
import type { BybitPrivateStream } from './private-stream';
import { createBybitMarketStream } from './stream';
import type { BybitMarketStream } from './stream';

export interface BybitFrontOptions {
  exchange: SimExchange;
  /** API keys accepted, each bound to a simulator account. */
  credentials: readonly FrontCredential[];
  /** Simulator venue served (default `bybit`). */
  venue?: string;
  /** Server clock for the timestamp/recvWindow check (default wall clock: clients sign with theirs). */
  now?: () => number;
  sleep?: Sleep;
}

export interface BybitFront {
  readonly http: Server;
  /** The public WebSocket streams on the same port (`bybitFrontWsUrls(baseUrl)`). */
  readonly stream: BybitMarketStream;
  /** The private WebSocket (`/v5/private`, order updates) on the same port. */
  readonly privateStream: BybitPrivateStream;
  /** Resolves to the base URL, e.g. `http://127.0.0.1:43121`; REST is under `/v5`. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
/** Orders `/v5/order/history` and closed-order lookups reach back over, as on Bybit. */
const RECENT_CLOSED = 500;
/** A lose-response fault: the request took effect, the socket is destroyed without a reply. */
class DropResponse extends Error {}

type Params = Record<string, unknown>;

const Str = z.string().min(1);
const NumStr = z.string().regex(/^\d{1,20}(\.\d{1,18})?$/);
const IntStr = z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]).transform(Number);
const LinkId = z.string().regex(/^[A-Za-z0-9_-]{1,36}$/);

const CreateSchema = z.object({
  category: Str,
  symbol: Str,
  side: z.enum(['Buy', 'Sell']),
  orderType: z.enum(['Limit', 'Market']),
  qty: NumStr,
  price: NumStr.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'PostOnly']).optional(),
  orderLinkId: LinkId.optional(),
  reduceOnly: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  marketUnit: z.enum(['baseCoin', 'quoteCoin']).optional(),
  positionIdx: z.union([z.literal(0), z.literal('0')]).optional(),
});
const RefSchema = z.object({
  category: Str,
  symbol: Str,
  orderId: Str.optional(),
  orderLinkId: Str.optional(),
});
const ListSchema = z.object({
  category: Str,
  symbol: Str.optional(),
  settleCoin: Str.optional(),
  baseCoin: Str.optional(),
  orderId: Str.optional(),
  orderLinkId: Str.optional(),
  openOnly: IntStr.optional(),
  orderStatus: Str.optional(),
  startTime: IntStr.optional(),
  endTime: IntStr.optional(),
  limit: IntStr.optional(),
  cursor: z.string().optional(),
});
const LeverageSchema = z.object({
  category: Str,
  symbol: Str,
  buyLeverage: NumStr,
  sellLeverage: NumStr,
});

/** Request parameters checked by a zod schema, refused with 10001 naming the offending one. */
function parse<S extends z.ZodType>(schema: S, params: Params): z.infer<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const name = r.error.issues[0]?.path.join('.') ?? '?';
  throw bybitErrors.param(`params error: ${name} invalid`);
}

interface Ctx {
  method: string;
  path: string;
  params: Params;
  signed: SignedRequest;
}

/**
 * A Bybit v5-compatible REST front over one simulator venue: enough of `/v5` market, order, position
 * and account endpoints for ccxt's `bybit` class on spot and USDT linear perpetuals, with Bybit's
 * header signing, timestamp check, `{retCode, retMsg, result, retExtInfo, time}` envelope and retCodes.
 * The account is a unified trading account (UTA 2.0). Loopback only.
 */
export function createBybitFront(options: BybitFrontOptions): BybitFront {
  const { exchange, credentials } = options;
  const venue = options.venue ?? 'bybit';
  const now = options.now ?? Date.now;
  const timing: RequestTiming = { sleep: options.sleep ?? realSleep, now };

  const kindOf = (c: BybitCategory): 'spot' | 'perp' => (c === 'spot' ? 'spot' : 'perp');
  const marketOf = (c: BybitCategory): VenueMarket => exchange.market(venue, kindOf(c));

  const run = <T>(c: BybitCategory, op: string, fn: () => T, stamp?: RequestStamp): Promise<T> =>
    withFaults(exchange, venue, kindOf(c), op, timing, fn, stamp).catch((e: unknown) => {
      if (e instanceof SimError && e.reason === 'NETWORK_TIMEOUT') throw new DropResponse();
      if (e instanceof SimError) throw bybitErrorFromSim(e.reason, c);
      throw e;
    });

  function categoryOf(params: Params, allowed: readonly BybitCategory[] = ['spot', 'linear']): BybitCategory {
    const c = params['category'];
    if (c === undefined || c === '') throw bybitErrors.param('params error: category is required');
    if (typeof c !== 'string' || !(allowed as readonly string[]).includes(c)) throw bybitErrors.category();
    return c as BybitCategory;
  }

  function symbolOf(c: BybitCategory, s: unknown): string {
    const canonical = typeof s === 'string' ? venueToCanonical('bybit', kindOf(c), s) : undefined;
    if (!canonical || !marketOf(c).hasSymbol(canonical)) throw bybitErrors.badSymbol();
    return canonical;
  }

  const optionalSymbol = (c: BybitCategory, s: unknown): string | undefined =>
    s === undefined || s === '' ? undefined : symbolOf(c, s);

  const account = (ctx: Ctx): string => authenticate(ctx.signed, credentials, now());

  /** Simulator order reference of a Bybit `orderId` (the sequence number) or `orderLinkId`. */
  function refOf(
    c: BybitCategory,
    p: { orderId?: string | undefined; orderLinkId?: string | undefined },
  ): { orderId?: string; clientOrderId?: string } | undefined {
    if (p.orderId !== undefined) return { orderId: `${venue}-${kindOf(c)}-${p.orderId}` };
    if (p.orderLinkId !== undefined) return { clientOrderId: p.orderLinkId };
    return undefined;
  }

  /**
   * Base quantity of a spot market order given in quote (`marketUnit` quoteCoin, Bybit's default for a
   * spot market Buy): the most whole lots whose fills, walking the opposite side of the book as the order
   * would, cost (buy) or bring (sell) at most that amount. Read when the order executes.
   */
  function quantityForQuote(market: VenueMarket, symbol: string, side: Side, quote: string): string {
    const atoms = parseAtoms(quote);
    if (atoms === undefined || atoms <= 0n) throw bybitErrors.param('params error: qty invalid');
    const lots = market.lotsForQuote(symbol, side, atoms) ?? 0;
    if (lots === 0) throw new SimError('QTY_BELOW_MIN');
    return market.instrument(symbol).formatQty(lots);
  }

  async function createOrder(ctx: Ctx): Promise<unknown> {
    const acct = account(ctx);
    const c = categoryOf(ctx.params);
    const p = parse(CreateSchema, ctx.params);
    const symbol = symbolOf(c, p.symbol);
    const market = marketOf(c);
    const limit = p.orderType === 'Limit';
    if (limit && p.price === undefined) throw bybitErrorFromSim('PRICE_REQUIRED', c);
    const reduceOnly = p.reduceOnly === true || p.reduceOnly === 'true';
    if (c === 'spot' && reduceOnly)
      throw bybitErrors.param('params error: reduceOnly is not supported for spot');
    if (p.marketUnit !== undefined && (c !== 'spot' || limit))
      throw bybitErrors.param('params error: marketUnit is only for spot market orders');
    const side: Side = p.side === 'Buy' ? 'buy' : 'sell';
    const inQuote =
      c === 'spot' &&
      !limit &&
      (p.marketUnit === 'quoteCoin' || (p.marketUnit === undefined && side === 'buy'));
    const postOnly = p.timeInForce === 'PostOnly';
    if (postOnly && !limit) throw bybitErrors.param('params error: PostOnly is for Limit orders');
    const tif = p.timeInForce === 'IOC' || p.timeInForce === 'FOK' ? p.timeInForce : 'GTC';
    const req: PlaceOrderRequest = {
      account: acct,
      symbol,
      side,
      type: limit ? 'limit' : 'market',
      quantity: p.qty,
      price: limit ? p.price : undefined,
      timeInForce: limit && !postOnly ? tif : undefined,
      postOnly: postOnly || undefined,
      reduceOnly: reduceOnly || undefined,
      clientOrderId: p.orderLinkId,
    };
    const placed = await run(
      c,
      'createOrder',
      () =>
        market.placeOrder(
          inQuote ? { ...req, quantity: quantityForQuote(market, symbol, side, p.qty) } : req,
        ),
      requestStamp(ctx.signed),
    );
    return { orderId: bybitOrderId(placed.orderId), orderLinkId: placed.clientOrderId };
  }

  async function cancelOrder(ctx: Ctx): Promise<unknown> {
    const acct = account(ctx);
    const c = categoryOf(ctx.params);
    const p = parse(RefSchema, ctx.params);
    const symbol = symbolOf(c, p.symbol);
    const ref = refOf(c, p);
    if (!ref) throw bybitErrors.param('params error: orderId or orderLinkId is required');
    const market = marketOf(c);
    const o = await run(
      c,
      'cancelOrder',
      () => {
        const found = market.getOrder(acct, ref);
        if (found.symbol !== symbol) throw new SimError('UNKNOWN_ORDER');
        return market.cancelOrder(acct, ref);
      },
      requestStamp(ctx.signed),
    );
    return { orderId: bybitOrderId(o.orderId), orderLinkId: o.clientOrderId };
  }

  /** One page of a newest-first list: `limit` (default 20, at most 50) from the `cursor` offset. */
  function page(c: BybitCategory, list: OrderView[], limit: number | undefined, cursor: string | undefined) {
    const size = Math.min(Math.max(limit ?? 20, 1), 50);
    const from = cursor ? Number(cursor) : 0;
    if (!Number.isSafeInteger(from) || from < 0) throw bybitErrors.param('params error: cursor invalid');
    const slice = list.slice(from, from + size);
    const next = from + size < list.length ? String(from + size) : '';
    return { category: c, list: slice.map((o) => orderJson(o, c)), nextPageCursor: next };
  }

  /**
   * `/v5/order/realtime`: open orders (newest first), or with `orderId` / `orderLinkId` that order
   * whatever its status (Bybit keeps the recent closed ones here too: what ccxt's fetchOrder reads),
   * or with `openOnly=1` the recent closed ones.
   */
  async function ordersRealtime(ctx: Ctx, history: boolean): Promise<unknown> {
    const acct = account(ctx);
    const c = categoryOf(ctx.params);
    const p = parse(ListSchema, ctx.params);
    const symbol = optionalSymbol(c, p.symbol);
    if (
      !history &&
      c === 'linear' &&
      symbol === undefined &&
      p.settleCoin === undefined &&
      p.baseCoin === undefined
    )
      throw bybitErrors.param('params error: symbol, settleCoin or baseCoin is required');
    const market = marketOf(c);
    const ref = refOf(c, p);
    return run(c, history ? 'query' : 'openOrders', () => {
      const open = (o: OrderView): boolean => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
      let list: OrderView[];
      if (ref) {
        let found: OrderView | undefined;
        try {
          found = market.getOrder(acct, ref);
        } catch (e) {
          if (!(e instanceof SimError && e.reason === 'UNKNOWN_ORDER')) throw e;
        }
        list = found && (symbol === undefined || found.symbol === symbol) ? [found] : [];
      } else {
        const all = market.accountOrders(acct, symbol).reverse();
        const settle = p.settleCoin ?? p.baseCoin;
        const coinOk = (o: OrderView): boolean =>
          settle === undefined || market.instrument(o.symbol)[p.settleCoin ? 'quote' : 'base'] === settle;
        if (history || p.openOnly === 1)
          list = all.filter((o) => !open(o) && coinOk(o)).slice(0, RECENT_CLOSED);
        else list = all.filter((o) => open(o) && coinOk(o));
        if (history) {
          if (p.startTime !== undefined) list = list.filter((o) => o.createdAt >= (p.startTime ?? 0));
          if (p.endTime !== undefined) list = list.filter((o) => o.createdAt <= (p.endTime ?? 0));
        }
      }
      return page(c, list, p.limit, p.cursor);
    });
  }

  async function positions(ctx: Ctx): Promise<unknown> {
    const acct = account(ctx);
    const c = categoryOf(ctx.params, ['linear']);
    const symbol = optionalSymbol(c, ctx.params['symbol']);
    const settle = ctx.params['settleCoin'];
    if (symbol === undefined && settle === undefined && ctx.params['baseCoin'] === undefined)
      throw bybitErrors.param('params error: symbol, settleCoin or baseCoin is required');
    const v = exchange.venue(venue);
    const market = marketOf(c);
    return run(c, 'positions', () => {
      const open = v.perpAccount(acct).positions.filter((p) => p.side !== 'flat');
      const one = (s: string) =>
        position(
          open.find((p) => p.symbol === s),
          s,
          market.markPrice(s),
          v.ledger.leverageOf(asAccountId(acct), asSymbolId(s)),
          now(),
        );
      // A symbol asked for is listed even without a position; a settle coin lists the open ones.
      const list =
        symbol !== undefined
          ? [one(symbol)]
          : open
              .filter((p) => settle === undefined || market.instrument(p.symbol).quote === settle)
              .map((p) => one(p.symbol));
      return { category: c, list, nextPageCursor: '' };
    });
  }

  async function setLeverage(ctx: Ctx): Promise<unknown> {
    const acct = account(ctx);
    const c = categoryOf(ctx.params, ['linear']);
    const p = parse(LeverageSchema, ctx.params);
    const symbol = symbolOf(c, p.symbol);
    if (p.buyLeverage !== p.sellLeverage)
      throw bybitErrors.param('buy leverage must be equal to sell leverage in one-way mode');
    const leverage = Number(p.buyLeverage);
    const v = exchange.venue(venue);
    return run(c, 'query', () => {
      if (v.ledger.leverageOf(asAccountId(acct), asSymbolId(symbol)) === leverage)
        throw new BybitApiError(110043, 'leverage not modified');
      try {
        v.setLeverage(acct, symbol, leverage);
      } catch (e) {
        if (e instanceof SimError && e.reason === 'MALFORMED_REQUEST')
          throw new BybitApiError(10001, 'leverage invalid');
        throw e;
      }
      return {};
    });
  }

  async function route(ctx: Ctx): Promise<unknown> {
    const key = `${ctx.method} ${ctx.path}`;
    switch (key) {
      case 'GET /v5/market/time': {
        const t = now();
        return { timeSecond: String(Math.floor(t / 1000)), timeNano: `${t}000000` };
      }
      case 'GET /v5/market/instruments-info': {
        const c = categoryOf(ctx.params);
        const symbol = optionalSymbol(c, ctx.params['symbol']);
        const status = ctx.params['status'];
        const v = exchange.venue(venue);
        return run(c, 'query', () => {
          // Nothing is in pre-launch or delivery on the simulator.
          const all = status === undefined || status === 'Trading' ? marketOf(c).instruments() : [];
          const list = all.filter((i) => symbol === undefined || i.symbol === symbol);
          return instrumentsInfo(c, list, v.config.fundingIntervalMs);
        });
      }
      case 'GET /v5/market/tickers': {
        const c = categoryOf(ctx.params);
        const symbol = optionalSymbol(c, ctx.params['symbol']);
        const market = marketOf(c);
        const v = exchange.venue(venue);
        return run(c, 'query', () => {
          const one = (s: string) =>
            ticker(
              c,
              market.instrument(s),
              exchange.ticker(venue, kindOf(c), s),
              market.tapeRecords(s),
              now(),
              c === 'linear' ? { mark: market.markPrice(s), funding: v.funding(s) } : undefined,
            );
          const list = symbol !== undefined ? [one(symbol)] : market.symbolIds().map(one);
          return { category: c, list };
        });
      }
      case 'GET /v5/market/orderbook': {
        const c = categoryOf(ctx.params);
        const symbol = symbolOf(c, ctx.params['symbol']);
        const max = c === 'spot' ? 200 : 500;
        const raw = ctx.params['limit'];
        const limit = raw === undefined ? (c === 'spot' ? 1 : 25) : Number(raw);
        if (!Number.isInteger(limit) || limit < 1 || limit > max)
          throw bybitErrors.param('params error: limit invalid');
        return run(c, 'query', () => {
          const d = marketOf(c).depth(symbol, limit);
          const t = now();
          return { s: bybitSymbol(symbol), b: d.bids, a: d.asks, ts: t, u: t, seq: t, cts: t };
        });
      }
      case 'GET /v5/user/query-api': {
        const acct = account(ctx);
        return {
          id: '1',
          note: `simulator account ${acct}`,
          apiKey: ctx.signed.apiKey,
          readOnly: 0,
          secret: '',
          permissions: {
            ContractTrade: ['Order', 'Position'],
            Spot: ['SpotTrade'],
            Wallet: ['AccountTransfer'],
            Options: [],
            Derivatives: [],
            CopyTrading: [],
            BlockTrade: [],
            Exchange: [],
            NFT: [],
            Affiliate: [],
          },
          ips: ['*'],
          type: 1,
          deadlineDay: -1,
          expiredAt: '',
          createdAt: '2024-01-01T00:00:00Z',
          unified: 0,
          uta: 1,
          userID: 1,
          inviterID: 0,
          vipLevel: 'No VIP',
          mktMakerLevel: '0',
          affiliateID: 0,
          rsaPublicKey: '',
          isMaster: true,
          parentUid: '0',
          kycLevel: 'LEVEL_DEFAULT',
          kycRegion: '',
        };
      }
      case 'GET /v5/asset/coin/query-info': {
        // Signed on Bybit: ccxt's bybit loads currencies through it whenever it holds credentials.
        account(ctx);
        const coin = ctx.params['coin'];
        const coins = new Set<string>();
        for (const kind of ['spot', 'perp'] as const)
          for (const i of exchange.market(venue, kind).instruments()) coins.add(i.base).add(i.quote);
        // The simulator has no chains: no deposit or withdrawal networks.
        const rows = [...coins]
          .filter((c) => coin === undefined || c === coin)
          .map((c) => ({ name: c, coin: c, remainAmount: '0', chains: [] }));
        return { rows };
      }
      case 'GET /v5/account/info':
        account(ctx);
        return {
          unifiedMarginStatus: 6,
          marginMode: 'REGULAR_MARGIN',
          isMasterTrader: false,
          spotHedgingStatus: 'OFF',
          updatedTime: String(now()),
          dcpStatus: 'OFF',
          timeWindow: 10,
          smpGroup: 0,
        };
      case 'GET /v5/account/wallet-balance': {
        const acct = account(ctx);
        if (ctx.params['accountType'] !== 'UNIFIED')
          throw bybitErrors.param('accountType only support UNIFIED.');
        const v = exchange.venue(venue);
        return run('linear', 'balances', () => unifiedWallet(v.balances(acct), v.perpAccount(acct), now()));
      }
      case 'POST /v5/order/create':
        return createOrder(ctx);
      case 'POST /v5/order/cancel':
        return cancelOrder(ctx);
      case 'GET /v5/order/realtime':
        return ordersRealtime(ctx, false);
      case 'GET /v5/order/history':
        return ordersRealtime(ctx, true);
      case 'GET /v5/position/list':
        return positions(ctx);
      case 'POST /v5/position/set-leverage':
        return setLeverage(ctx);
    }
    throw bybitErrors.unknownRoute();
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) reject(bybitErrors.param('request body too large'));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const header = (req: IncomingMessage, name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let category: BybitCategory = 'spot';
    try {
      const url = new URL(req.url ?? '/', 'http://front');
      const method = req.method ?? 'GET';
      const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
      const rawBody = method === 'GET' ? '' : await readBody(req);
      const params: Params = Object.fromEntries(new URLSearchParams(rawQuery));
      if (rawBody.length > 0) {
        let body: unknown;
        try {
          body = JSON.parse(rawBody);
        } catch {
          throw bybitErrors.param('request body is not valid JSON');
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw bybitErrors.param('request body must be a JSON object');
        Object.assign(params, body);
      }
      if (params['category'] === 'linear') category = 'linear';
      const ctx: Ctx = {
        method,
        path: url.pathname.replace(/\/+$/, ''),
        params,
        signed: {
          apiKey: header(req, 'x-bapi-api-key'),
          timestamp: header(req, 'x-bapi-timestamp'),
          recvWindow: header(req, 'x-bapi-recv-window'),
          signature: header(req, 'x-bapi-sign'),
          payload: method === 'GET' ? rawQuery : rawBody,
        },
      };
      const result = await route(ctx);
      send(res, 200, JSON.stringify(envelope(result, now())));
    } catch (e) {
      if (e instanceof DropResponse) {
        req.socket.destroy();
        return;
      }
      const err = e instanceof SimError ? bybitErrorFromSim(e.reason, category) : e;
      if (err instanceof BybitGatewayError) {
        send(res, err.http, err.message, 'text/plain');
        return;
      }
      const api = err instanceof BybitApiError ? err : new BybitApiError(10016, 'Internal system error.');
      send(res, api.http, JSON.stringify(envelope({}, now(), api.retCode, api.message)));
    }
  }

  const http = createServer({ keepAliveTimeout: 60_000 }, (req, res) => void handle(req, res));
  const stream = createBybitMarketStream(exchange, venue, now);
  const privateStream = createBybitPrivateStream({ exchange, venue, credentials, now });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!stream.upgrade(req, socket, head) && !privateStream.upgrade(req, socket, head))
      refuseUpgrade(socket, '404 Not Found');
  });
  return {
    http,
    stream,
    privateStream,
    listen: (port = 0, host = '127.0.0.1') => listenHttp(http, port, host),
    close: () => {
      stream.close();
      privateStream.close();
      return closeHttp(http);
    },
  };
}
