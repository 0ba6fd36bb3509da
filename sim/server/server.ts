import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { z } from 'zod';
import { SimError } from '../errors';
import type { MarketDataEvent, SimExchange } from '../exchange';
import { realSleep, withFaults } from '../gateway';
import type { RequestStamp, RequestTiming, Sleep, WallClock } from '../gateway';
import type { PlaceOrderRequest } from '../orders';
import { closeHttp, listenHttp } from './http-listen';
import {
  AccountQuerySchema,
  ClientIdReuseSchema,
  DepositSchema,
  FaultsBodySchema,
  FaultsDeleteQuerySchema,
  FundingRateSchema,
  LeverageSchema,
  MarkSchema,
  OrderRefQuerySchema,
  PlaceOrderSchema,
  RequestLogQuerySchema,
  StampQuerySchema,
  StepSchema,
  SymbolQuerySchema,
  WsMessageSchema,
  stampOf,
} from './schemas';
import type { WsMessage } from './schemas';

const MAX_BODY = 64 * 1024;
/** Requests the log keeps at least (the oldest go first, in batches): minutes of a busy fleet. */
const REQUEST_LOG_SIZE = 100_000;

/** One request the venue received, as the venue's own rate limiting would count it. */
export interface LoggedRequest {
  /** Wall-clock arrival (ms). */
  at: number;
  venue: string;
  market: string;
  /** The gateway operation: createOrder, cancelOrder, getOrder, openOrders, query, ... */
  op: string;
}

export interface SimServerOptions {
  sleep?: Sleep;
  /** The wall clock request timestamps are checked on (default `Date.now`). */
  now?: WallClock;
}

export interface SimServer {
  readonly http: Server;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

interface Request {
  method: string;
  parts: string[];
  query: Record<string, string>;
  body: unknown;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new SimError('MALFORMED_REQUEST', issues);
  }
  return r.data;
}

/** An order body split into what the venue places and the stamp the gateway checks. */
function stampedOrder(body: z.infer<typeof PlaceOrderSchema>): {
  order: PlaceOrderRequest;
  stamp: RequestStamp | undefined;
} {
  const { timestamp, recvWindow, ...order } = body;
  return { order, stamp: stampOf({ timestamp, recvWindow }) };
}

/** Marks a response that must not be sent (lose-response fault over HTTP: the socket is dropped). */
class DropResponse extends Error {}

/**
 * HTTP + WebSocket transport over a SimExchange. Only parsing, routing and fault plumbing live here;
 * every decision is the exchange's.
 */
export function createSimServer(exchange: SimExchange, opts: SimServerOptions = {}): SimServer {
  const timing: RequestTiming = { sleep: opts.sleep ?? realSleep, now: opts.now ?? Date.now };

  const requestLog: LoggedRequest[] = [];
  const run = <T>(
    venue: string,
    market: string,
    op: string,
    fn: () => T,
    stamp?: RequestStamp,
  ): Promise<T> => {
    requestLog.push({ at: timing.now(), venue, market, op });
    if (requestLog.length >= 2 * REQUEST_LOG_SIZE) requestLog.splice(0, REQUEST_LOG_SIZE);
    return withFaults(exchange, venue, market, op, timing, fn, stamp).catch((e: unknown) => {
      if (e instanceof SimError && e.reason === 'NETWORK_TIMEOUT') throw new DropResponse();
      throw e;
    });
  };

  async function route(req: Request): Promise<unknown> {
    const [root, a, b, c] = req.parts;
    const m = req.method;
    if (root === 'admin') return admin(m, a, req);
    if (root !== 'v1') throw new SimError('UNKNOWN_VENUE', `path /${req.parts.join('/')}`);
    if (a === 'venues' && m === 'GET') {
      return [...exchange.venues.values()].map((v) => ({
        venue: v.name,
        markets: ['spot', 'perp'],
        clientIdReuse: v.clientIdReuse,
      }));
    }
    if (!a || !b || !c) throw new SimError('UNKNOWN_VENUE', `path /${req.parts.join('/')}`);
    const venue = a;
    const kind = b;
    const market = exchange.market(venue, kind);
    const q = req.query;
    switch (`${m} ${c}`) {
      case 'GET instruments':
        return run(venue, kind, 'query', () =>
          market.instruments().map((i) => ({ ...i.spec, base: i.base, quote: i.quote })),
        );
      case 'GET ticker': {
        const { symbol } = parse(SymbolQuerySchema, q);
        return run(venue, kind, 'query', () => exchange.ticker(venue, kind, symbol));
      }
      case 'GET depth': {
        const { symbol, limit } = parse(SymbolQuerySchema, q);
        return run(venue, kind, 'query', () => market.depth(symbol, limit ?? 20));
      }
      case 'GET trades': {
        const { symbol, limit } = parse(SymbolQuerySchema, q);
        return run(venue, kind, 'query', () => market.tape(symbol, limit ?? 100));
      }
      case 'GET mark': {
        const { symbol } = parse(SymbolQuerySchema, q);
        return run(venue, kind, 'query', () => ({ symbol, markPrice: market.markPrice(symbol) }));
      }
      case 'POST order': {
        const { order, stamp } = stampedOrder(parse(PlaceOrderSchema, req.body));
        return run(venue, kind, 'createOrder', () => market.placeOrder(order), stamp);
      }
      case 'DELETE order': {
        const ref = parse(OrderRefQuerySchema, q);
        const stamp = stampOf(parse(StampQuerySchema, q));
        return run(venue, kind, 'cancelOrder', () => market.cancelOrder(ref.account, ref), stamp);
      }
      case 'GET order': {
        const ref = parse(OrderRefQuerySchema, q);
        return run(venue, kind, 'getOrder', () => market.getOrder(ref.account, ref));
      }
      case 'GET open-orders': {
        const { account, symbol } = parse(AccountQuerySchema, q);
        return run(venue, kind, 'openOrders', () => market.openOrders(account, symbol));
      }
      case 'DELETE open-orders': {
        const { account, symbol } = parse(AccountQuerySchema, q);
        const stamp = stampOf(parse(StampQuerySchema, q));
        return run(
          venue,
          kind,
          'cancelOrder',
          () => ({ cancelled: market.cancelAll(account, symbol) }),
          stamp,
        );
      }
      case 'GET my-trades': {
        const { account, symbol, limit } = parse(AccountQuerySchema, q);
        return run(venue, kind, 'query', () => market.accountFills(account, symbol, limit ?? 1000));
      }
      case 'GET balances': {
        const { account } = parse(AccountQuerySchema, q);
        return run(venue, kind, 'balances', () => exchange.venue(venue).balances(account));
      }
    }
    if (kind === 'perp') {
      const v = exchange.venue(venue);
      switch (`${m} ${c}`) {
        case 'GET account': {
          const { account } = parse(AccountQuerySchema, q);
          return run(venue, kind, 'positions', () => v.perpAccount(account));
        }
        case 'GET positions': {
          const { account } = parse(AccountQuerySchema, q);
          return run(venue, kind, 'positions', () => v.perpAccount(account).positions);
        }
        case 'POST leverage': {
          const body = parse(LeverageSchema, req.body);
          return run(venue, kind, 'query', () => {
            v.setLeverage(body.account, body.symbol, body.leverage);
            return body;
          });
        }
        case 'GET funding': {
          const { symbol } = parse(SymbolQuerySchema, q);
          return run(venue, kind, 'query', () => v.funding(symbol));
        }
        case 'GET funding-payments': {
          const { account } = parse(AccountQuerySchema, q);
          return run(venue, kind, 'query', () => v.fundingPayments(account));
        }
        case 'GET liquidations': {
          const { account } = parse(AccountQuerySchema, q);
          return run(venue, kind, 'query', () => v.liquidationViews(account));
        }
      }
    }
    throw new SimError('UNKNOWN_VENUE', `no route ${m} /${req.parts.join('/')}`);
  }

  function admin(m: string, what: string | undefined, req: Request): unknown {
    switch (`${m} ${what}`) {
      case 'GET faults':
        return exchange.faults.list();
      case 'POST faults': {
        const body = parse(FaultsBodySchema, req.body);
        return (Array.isArray(body) ? body : [body]).map((r) => exchange.faults.add(r));
      }
      case 'DELETE faults': {
        const { id, venue } = parse(FaultsDeleteQuerySchema, req.query);
        if (id !== undefined) return { removed: exchange.faults.remove(id) };
        exchange.faults.clear(venue);
        return { cleared: venue ?? '*' };
      }
      case 'POST deposit': {
        const d = parse(DepositSchema, req.body);
        exchange.venue(d.venue).deposit(d.wallet, d.account, d.asset, d.amount);
        return d.wallet === 'spot'
          ? exchange.venue(d.venue).balances(d.account)
          : exchange.venue(d.venue).perpAccount(d.account);
      }
      case 'POST step': {
        const { dtMs } = parse(StepSchema, req.body);
        exchange.step(dtMs);
        return { now: exchange.clock.now() };
      }
      case 'POST mark': {
        const b = parse(MarkSchema, req.body);
        exchange.venue(b.venue).perp.setMarkPrice(b.symbol, b.price);
        exchange.venue(b.venue).runLiquidations();
        return {
          venue: b.venue,
          symbol: b.symbol,
          markPrice: exchange.venue(b.venue).perp.markPrice(b.symbol),
        };
      }
      case 'POST funding-rate': {
        const b = parse(FundingRateSchema, req.body);
        exchange.venue(b.venue).setFundingRate(b.symbol, b.rate);
        return exchange.venue(b.venue).funding(b.symbol);
      }
      case 'POST client-id-reuse': {
        const b = parse(ClientIdReuseSchema, req.body);
        exchange.venue(b.venue).setClientIdReuse(b.mode);
        return b;
      }
      case 'GET requests': {
        const { venue, since } = parse(RequestLogQuerySchema, req.query);
        return requestLog.filter(
          (entry) =>
            (venue === undefined || entry.venue === venue) && (since === undefined || entry.at >= since),
        );
      }
      case 'GET state':
        return {
          now: exchange.clock.now(),
          venues: [...exchange.venues.values()].map((v) => ({
            venue: v.name,
            clientIdReuse: v.clientIdReuse,
            nextFundingTime: v.nextFundingAt,
            insuranceFund: String(v.ledger.insuranceFundAtoms),
          })),
          dislocations: exchange.process?.activeDislocations() ?? [],
          faults: exchange.faults.list(),
        };
    }
    throw new SimError('UNKNOWN_VENUE', `no admin route ${m} ${what}`);
  }

  function send(res: ServerResponse, status: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) reject(new SimError('MALFORMED_REQUEST', 'body too large'));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const text = req.method === 'POST' ? await readBody(req) : '';
      let body: unknown;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new SimError('MALFORMED_REQUEST', 'malformed JSON body');
        }
      }
      const request: Request = {
        method: req.method ?? 'GET',
        parts: url.pathname.split('/').filter(Boolean),
        query: Object.fromEntries(url.searchParams),
        body,
      };
      send(res, 200, await route(request));
    } catch (e) {
      if (e instanceof DropResponse) {
        req.socket.destroy();
        return;
      }
      const err =
        e instanceof SimError ? e : new SimError('SERVER_ERROR', e instanceof Error ? e.message : String(e));
      send(res, err.httpStatus, err.toBody());
    }
  }

  const http = createServer({ keepAliveTimeout: 60_000 }, (req, res) => void handle(req, res));
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const subs = new Map<WebSocket, Set<string>>();
  /** How many sockets follow each `channel:venue/market/SYMBOL`. */
  const interest = new Map<string, number>();
  /** The depth streams the sockets follow, released when the last follower goes. */
  const depthReleases = new Map<string, () => void>();
  const addInterest = (key: string, d: number): void => {
    const n = (interest.get(key) ?? 0) + d;
    if (n > 0) interest.set(key, n);
    else interest.delete(key);
    if (!key.startsWith('depth:')) return;
    if (n > 0 && !depthReleases.has(key)) {
      const [venue, market, symbol] = key.slice('depth:'.length).split('/') as [string, string, string];
      depthReleases.set(key, exchange.followDepth(venue, market, symbol));
    } else if (n <= 0) {
      depthReleases.get(key)?.();
      depthReleases.delete(key);
    }
  };

  const unsubscribeMd = exchange.onMarketData(
    (e: MarketDataEvent) => {
      if (e.type === 'disconnect') {
        const prefix = `${e.venue}/${e.market}/`;
        for (const [ws, keys] of subs) if ([...keys].some((k) => k.includes(prefix))) ws.terminate();
        return;
      }
      const [channel, data] =
        e.type === 'bbo' ? ['bbo', e.top] : e.type === 'trade' ? ['trades', e.trade] : ['depth', e.diff];
      const symbol = data.symbol;
      const key = `${channel}:${e.venue}/${e.market}/${symbol}`;
      let msg: string | undefined;
      for (const [ws, keys] of subs) {
        if (!keys.has(key)) continue;
        msg ??= JSON.stringify({ channel, venue: e.venue, market: e.market, symbol, data });
        ws.send(msg);
      }
    },
    (key) => interest.has(`bbo:${key}`),
  );

  async function onWsMessage(ws: WebSocket, raw: string): Promise<void> {
    let msg: WsMessage;
    try {
      msg = parse(WsMessageSchema, JSON.parse(raw));
    } catch (e) {
      const err = e instanceof SimError ? e : new SimError('MALFORMED_REQUEST', 'malformed JSON message');
      ws.send(JSON.stringify({ ok: false, error: err.toBody() }));
      return;
    }
    if (msg.op === 'subscribe' || msg.op === 'unsubscribe') {
      try {
        exchange.market(msg.venue, msg.market).instrument(msg.symbol);
      } catch (e) {
        ws.send(JSON.stringify({ op: msg.op, ok: false, error: (e as SimError).toBody() }));
        return;
      }
      const key = `${msg.channel}:${msg.venue}/${msg.market}/${msg.symbol}`;
      const keys = subs.get(ws);
      if (msg.op === 'subscribe' && keys && !keys.has(key)) {
        keys.add(key);
        addInterest(key, 1);
      } else if (msg.op === 'unsubscribe' && keys?.delete(key)) addInterest(key, -1);
      ws.send(
        JSON.stringify({
          op: msg.op,
          ok: true,
          channel: msg.channel,
          venue: msg.venue,
          market: msg.market,
          symbol: msg.symbol,
        }),
      );
      return;
    }
    const m = msg;
    try {
      let result: unknown;
      if (m.op === 'placeOrder') {
        const { order, stamp } = stampedOrder(m.order);
        result = await withFaults(
          exchange,
          m.venue,
          m.market,
          'createOrder',
          timing,
          () => exchange.market(m.venue, m.market).placeOrder(order),
          stamp,
        );
      } else {
        result = await withFaults(
          exchange,
          m.venue,
          m.market,
          'cancelOrder',
          timing,
          () => exchange.market(m.venue, m.market).cancelOrder(m.account, m),
          stampOf(m),
        );
      }
      ws.send(JSON.stringify({ id: m.id, ok: true, result }));
    } catch (e) {
      if (e instanceof SimError && e.reason === 'NETWORK_TIMEOUT') return; // the reply is lost
      const err = e instanceof SimError ? e : new SimError('SERVER_ERROR', String(e));
      ws.send(JSON.stringify({ id: m.id, ok: false, error: err.toBody() }));
    }
  }

  wss.on('connection', (ws) => {
    subs.set(ws, new Set());
    ws.on('message', (data) => void onWsMessage(ws, (data as Buffer).toString('utf8')));
    ws.on('close', () => {
      for (const k of subs.get(ws) ?? []) addInterest(k, -1);
      subs.delete(ws);
    });
  });

  return {
    http,
    listen: (port, host = '127.0.0.1') => listenHttp(http, port, host),
    close: () => {
      unsubscribeMd();
      for (const release of depthReleases.values()) release();
      for (const ws of subs.keys()) ws.terminate();
      wss.close();
      return closeHttp(http);
    },
  };
}
