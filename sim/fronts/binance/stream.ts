import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { venueToCanonical } from '../../../domain/symbols';
import type { SimExchange } from '../../exchange';
import type { BookTop } from '../../venue-market';
import { tradeAggregator } from './agg-trades';
import { aggTradeEvent, binanceSymbol, depthUpdate, tradeEvent } from './format';

type StreamMarket = 'spot' | 'perp';

/**
 * Paths of the market stream. ccxt's `binance` tells a spot socket from a futures one by `/stream` in
 * its URL (as in `stream.binance.com`), and rewrites a futures base ending in `/ws` to
 * `<base>/public/ws` (bookTicker, depth, trade) or `<base>/market/ws` (aggTrade); both take a trailing
 * `/<n>` (ccxt's stream index). Every path serves every stream here.
 * `/stream` (spot) and `/fstream/.../stream` (futures) with `?streams=a/b` are combined streams.
 */
const ROUTES: Array<{ re: RegExp; market: StreamMarket; combined: boolean }> = [
  { re: /^\/stream\/ws(\/[^/]*)?$/, market: 'spot', combined: false },
  { re: /^\/stream(\/stream)?$/, market: 'spot', combined: true },
  { re: /^\/fstream(\/public|\/market)?\/ws(\/[^/]*)?$/, market: 'perp', combined: false },
  { re: /^\/fstream(\/public|\/market)?\/stream$/, market: 'perp', combined: true },
];

/** `<symbol>@bookTicker`, diffs `<symbol>@depth` (`@100ms` is what ccxt asks for), `@trade`, `@aggTrade`. */
const STREAM_RE = /^([a-z0-9]+)@(bookTicker|depth(?:@100ms)?|trade|aggTrade)$/;

type StreamKind = 'bookTicker' | 'depth' | 'trade' | 'aggTrade';

interface Subscription {
  kind: StreamKind;
  /** Canonical symbol. */
  symbol: string;
  /** Ends the simulator's depth diff stream this subscription follows (`depth` only). */
  release?: () => void;
}

interface Conn {
  market: StreamMarket;
  combined: boolean;
  /** Stream name the client used -> what it carries, in subscription order. */
  subs: Map<string, Subscription>;
}

export interface MarketStream {
  /** Open stream sockets (tests: abort must close them). */
  connections(): number;
  /** Stream names per open socket (tests). */
  subscriptions(): string[][];
  /** Takes an HTTP upgrade on a market-stream path; false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/** Sends a JSON frame if the socket is still open. */
export function sendJson(ws: WebSocket, body: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(body));
}

/** Answers an upgrade request with an HTTP error instead of a WebSocket. */
export function refuseUpgrade(socket: Duplex, status: '400 Bad Request' | '404 Not Found'): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Binance's market WebSocket streams over one simulator venue: `SUBSCRIBE` / `UNSUBSCRIBE` /
 * `LIST_SUBSCRIPTIONS` (`{"method","params","id"}` -> `{"result":null,"id"}`), raw payloads on `/ws` paths
 * and `{stream,data}` on combined ones.
 * - `bookTicker`: spot pushes `{u,s,b,B,a,A}`, USD-M `{e:"bookTicker",u,E,T,s,b,B,a,A}`, on every best
 *   bid/ask change the simulator reports. Unlike Binance, each subscription is answered with the current
 *   touch at once (a real venue ticks many times a second; a simulator book may stay quiet).
 * - `depth` / `depth@100ms`: the book's diffs `{e:"depthUpdate",E,s,U,u,b,a}` (USD-M adds `T` and `pu`),
 *   numbered by the book's update sequence as the REST `depth` snapshot's `lastUpdateId` is, so a client
 *   syncs a local book the way Binance documents. Sent as the book changes, not batched per 100 ms.
 * - `trade` and `aggTrade`: the public tape, each print / each taker order's fills at one price.
 * A simulator `marketData` `disconnect` fault drops the market's sockets.
 */
export function createMarketStream(exchange: SimExchange, venue: string, now: () => number): MarketStream {
  const wss = new WebSocketServer({ noServer: true });
  const conns = new Map<WebSocket, Conn>();
  /** `kind venue/market/SYMBOL` -> subscriptions to it over every socket. */
  const followers = new Map<string, number>();
  const followKey = (kind: StreamKind, m: StreamMarket, symbol: string): string =>
    `${kind} ${venue}/${m}/${symbol}`;
  const follow = (key: string, d: number): void => {
    const n = (followers.get(key) ?? 0) + d;
    if (n > 0) followers.set(key, n);
    else followers.delete(key);
  };
  let updateId = 1;

  function tickerPayload(m: StreamMarket, top: BookTop): Record<string, unknown> {
    const core = {
      u: updateId++,
      s: binanceSymbol(top.symbol),
      b: top.bidPrice ?? '0',
      B: top.bidQty ?? '0',
      a: top.askPrice ?? '0',
      A: top.askQty ?? '0',
    };
    if (m === 'spot') return core;
    const t = now();
    return { e: 'bookTicker', u: core.u, E: t, T: t, s: core.s, b: core.b, B: core.B, a: core.a, A: core.A };
  }

  function send(ws: WebSocket, c: Conn, name: string, data: unknown): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(c.combined ? { stream: name, data } : data));
  }

  /** Sends `data` (made once, if anyone follows) on every stream of `kind` for the symbol. */
  function broadcast(m: StreamMarket, kind: StreamKind, symbol: string, data: () => unknown): void {
    if (!followers.has(followKey(kind, m, symbol))) return;
    const payload = data();
    for (const [ws, c] of conns) {
      if (c.market !== m) continue;
      for (const [name, sub] of c.subs)
        if (sub.kind === kind && sub.symbol === symbol) send(ws, c, name, payload);
    }
  }

  function pushTop(ws: WebSocket, c: Conn, top: BookTop): void {
    for (const [name, sub] of c.subs)
      if (sub.kind === 'bookTicker' && sub.symbol === top.symbol)
        send(ws, c, name, tickerPayload(c.market, top));
  }

  const aggregators = {
    spot: tradeAggregator((a) => broadcast('spot', 'aggTrade', a.symbol, () => aggTradeEvent(a, now()))),
    perp: tradeAggregator((a) => broadcast('perp', 'aggTrade', a.symbol, () => aggTradeEvent(a, now()))),
  };

  const unsubscribeMd = exchange.onMarketData(
    (e) => {
      if (e.venue !== venue) return;
      const m: StreamMarket = e.market;
      switch (e.type) {
        case 'disconnect':
          for (const [ws, c] of conns) if (c.market === m) ws.terminate();
          return;
        case 'bbo':
          if (!followers.has(followKey('bookTicker', m, e.top.symbol))) return;
          for (const [ws, c] of conns) if (c.market === m) pushTop(ws, c, e.top);
          return;
        case 'depth':
          broadcast(m, 'depth', e.diff.symbol, () => depthUpdate(e.diff, m === 'perp', now()));
          return;
        case 'trade':
          broadcast(m, 'trade', e.trade.symbol, () => tradeEvent(e.trade, m === 'perp', now()));
          if (followers.has(followKey('aggTrade', m, e.trade.symbol))) aggregators[m](e.trade);
          return;
      }
    },
    (key) => followers.has(`bookTicker ${key}`),
  );

  /** What a stream name such as `btcusdt@depth@100ms` carries, or undefined. */
  function parseStream(m: StreamMarket, name: string): Subscription | undefined {
    const match = STREAM_RE.exec(name);
    if (!match?.[1] || !match[2]) return undefined;
    const symbol = venueToCanonical('binance', m, match[1].toUpperCase());
    if (!symbol || !exchange.market(venue, m).hasSymbol(symbol)) return undefined;
    const kind = match[2].startsWith('depth') ? 'depth' : (match[2] as StreamKind);
    return { kind, symbol };
  }

  const invalid = (ws: WebSocket, id: unknown, msg: string): void =>
    sendJson(ws, { error: { code: 2, msg: `Invalid request: ${msg}` }, id: id ?? null });

  /** Adds the streams not yet subscribed; returns the symbols of the bookTicker ones added. */
  function subscribe(c: Conn, names: readonly string[]): string[] {
    const tickers: string[] = [];
    for (const name of names) {
      const sub = parseStream(c.market, name);
      if (sub === undefined || c.subs.has(name)) continue;
      // Followed before the reply goes out: a REST snapshot the client takes after it lines up.
      if (sub.kind === 'depth') sub.release = exchange.followDepth(venue, c.market, sub.symbol);
      follow(followKey(sub.kind, c.market, sub.symbol), 1);
      c.subs.set(name, sub);
      if (sub.kind === 'bookTicker') tickers.push(sub.symbol);
    }
    return tickers;
  }

  function drop(c: Conn, name: string): void {
    const sub = c.subs.get(name);
    if (!sub) return;
    c.subs.delete(name);
    follow(followKey(sub.kind, c.market, sub.symbol), -1);
    sub.release?.();
  }

  const snapshot = (ws: WebSocket, c: Conn, symbols: readonly string[]): void => {
    for (const s of symbols) pushTop(ws, c, exchange.ticker(venue, c.market, s));
  };

  function onMessage(ws: WebSocket, c: Conn, raw: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      invalid(ws, null, 'malformed JSON');
      return;
    }
    const m = (msg ?? {}) as { method?: unknown; params?: unknown; id?: unknown };
    const id = m.id;
    if (typeof id !== 'number' && typeof id !== 'string') {
      invalid(ws, null, "'id' must be a number or string");
      return;
    }
    if (m.method === 'LIST_SUBSCRIPTIONS') {
      sendJson(ws, { result: [...c.subs.keys()], id });
      return;
    }
    if (m.method !== 'SUBSCRIBE' && m.method !== 'UNSUBSCRIBE') {
      invalid(ws, id, 'unknown method');
      return;
    }
    const params = m.params;
    if (!Array.isArray(params) || !params.every((p): p is string => typeof p === 'string')) {
      invalid(ws, id, "'params' must be an array of stream names");
      return;
    }
    const bad = params.find((p) => parseStream(c.market, p) === undefined);
    if (bad !== undefined) {
      invalid(ws, id, `unknown stream '${bad.slice(0, 64)}'`);
      return;
    }
    if (m.method === 'UNSUBSCRIBE') {
      for (const name of params) drop(c, name);
      sendJson(ws, { result: null, id });
      return;
    }
    const added = subscribe(c, params);
    sendJson(ws, { result: null, id });
    snapshot(ws, c, added);
  }

  wss.on('connection', (ws: WebSocket, c: Conn) => {
    conns.set(ws, c);
    ws.on('message', (data: Buffer) => onMessage(ws, c, data.toString('utf8')));
    ws.on('close', () => {
      for (const name of [...c.subs.keys()]) drop(c, name);
      conns.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://front');
    const route = ROUTES.find((r) => r.re.test(url.pathname));
    if (!route) return false;
    const c: Conn = { market: route.market, combined: route.combined, subs: new Map() };
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, c);
      if (route.combined) {
        const names = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
        snapshot(ws, c, subscribe(c, names));
      }
    });
    return true;
  }

  return {
    connections: () => conns.size,
    subscriptions: () => [...conns.values()].map((c) => [...c.subs.keys()]),
    upgrade,
    close() {
      unsubscribeMd();
      for (const ws of conns.keys()) ws.terminate();
      wss.close();
    },
  };
}
