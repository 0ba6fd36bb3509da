import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { venueToCanonical } from '../../../domain/symbols';
import type { SimExchange } from '../../exchange';
import type { BookTop } from '../../venue-market';
import { binanceSymbol } from './format';

type StreamMarket = 'spot' | 'perp';

/**
 * Paths of the market stream. ccxt's `binance` tells a spot socket from a futures one by `/stream` in
 * its URL (as in `stream.binance.com`), and rewrites a futures base ending in `/ws` to
 * `<base>/public/ws` for bookTicker; both take a trailing `/<n>` (ccxt's stream index).
 * `/stream` (spot) and `/fstream/.../stream` (futures) with `?streams=a/b` are combined streams.
 */
const ROUTES: Array<{ re: RegExp; market: StreamMarket; combined: boolean }> = [
  { re: /^\/stream\/ws(\/[^/]*)?$/, market: 'spot', combined: false },
  { re: /^\/stream(\/stream)?$/, market: 'spot', combined: true },
  { re: /^\/fstream(\/public|\/market)?\/ws(\/[^/]*)?$/, market: 'perp', combined: false },
  { re: /^\/fstream(\/public|\/market)?\/stream$/, market: 'perp', combined: true },
];

const STREAM_RE = /^([a-z0-9]+)@bookTicker$/;

interface Conn {
  market: StreamMarket;
  combined: boolean;
  /** Canonical symbol -> the stream name the client used. */
  subs: Map<string, string>;
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
 * Binance's market WebSocket streams over one simulator venue, `bookTicker` only: `SUBSCRIBE` /
 * `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` (`{"method","params","id"}` -> `{"result":null,"id"}`), raw
 * payloads on `/ws` paths and `{stream,data}` on combined ones. Spot pushes `{u,s,b,B,a,A}`, USD-M
 * `{e:"bookTicker",u,E,T,s,b,B,a,A}`, on every best bid/ask change the simulator reports. Unlike Binance,
 * each subscription is answered with the current touch at once (a real venue ticks many times a second;
 * a simulator book may stay quiet). A simulator `marketData` `disconnect` fault drops the market's sockets.
 */
export function createMarketStream(exchange: SimExchange, venue: string, now: () => number): MarketStream {
  const wss = new WebSocketServer({ noServer: true });
  const conns = new Map<WebSocket, Conn>();
  /** `venue/market/SYMBOL` -> sockets following it. */
  const interest = new Map<string, number>();
  const keyOf = (m: StreamMarket, symbol: string): string => `${venue}/${m}/${symbol}`;
  const addInterest = (key: string, d: number): void => {
    const n = (interest.get(key) ?? 0) + d;
    if (n > 0) interest.set(key, n);
    else interest.delete(key);
  };
  let updateId = 1;

  function payload(m: StreamMarket, top: BookTop): Record<string, unknown> {
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

  function push(ws: WebSocket, c: Conn, symbol: string, top: BookTop): void {
    const name = c.subs.get(symbol);
    if (name === undefined || ws.readyState !== WebSocket.OPEN) return;
    const data = payload(c.market, top);
    ws.send(JSON.stringify(c.combined ? { stream: name, data } : data));
  }

  const unsubscribeMd = exchange.onMarketData(
    (e) => {
      if (e.venue !== venue) return;
      if (e.type === 'disconnect') {
        for (const [ws, c] of conns) if (c.market === e.market) ws.terminate();
        return;
      }
      if (e.type !== 'bbo') return;
      for (const [ws, c] of conns) if (c.market === e.market) push(ws, c, e.top.symbol, e.top);
    },
    (key) => interest.has(key),
  );

  /** Canonical symbol of a `btcusdt@bookTicker` stream name, or undefined. */
  function symbolOfStream(m: StreamMarket, name: string): string | undefined {
    const match = STREAM_RE.exec(name);
    if (!match?.[1]) return undefined;
    const s = venueToCanonical('binance', m, match[1].toUpperCase());
    return s && exchange.market(venue, m).hasSymbol(s) ? s : undefined;
  }

  const invalid = (ws: WebSocket, id: unknown, msg: string): void =>
    sendJson(ws, { error: { code: 2, msg: `Invalid request: ${msg}` }, id: id ?? null });

  function subscribe(ws: WebSocket, c: Conn, names: readonly string[]): string[] {
    const added: string[] = [];
    for (const name of names) {
      const s = symbolOfStream(c.market, name);
      if (s === undefined || c.subs.has(s)) continue;
      c.subs.set(s, name);
      addInterest(keyOf(c.market, s), 1);
      added.push(s);
    }
    return added;
  }

  function unsubscribe(c: Conn, names: readonly string[]): void {
    for (const name of names) {
      const s = symbolOfStream(c.market, name);
      if (s === undefined || c.subs.get(s) !== name) continue;
      c.subs.delete(s);
      addInterest(keyOf(c.market, s), -1);
    }
  }

  const snapshot = (ws: WebSocket, c: Conn, symbols: readonly string[]): void => {
    for (const s of symbols) push(ws, c, s, exchange.ticker(venue, c.market, s));
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
      sendJson(ws, { result: [...c.subs.values()], id });
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
    const bad = params.find((p) => symbolOfStream(c.market, p) === undefined);
    if (bad !== undefined) {
      invalid(ws, id, `unknown stream '${bad.slice(0, 64)}'`);
      return;
    }
    if (m.method === 'UNSUBSCRIBE') {
      unsubscribe(c, params);
      sendJson(ws, { result: null, id });
      return;
    }
    const added = subscribe(ws, c, params);
    sendJson(ws, { result: null, id });
    snapshot(ws, c, added);
  }

  wss.on('connection', (ws: WebSocket, c: Conn) => {
    conns.set(ws, c);
    ws.on('message', (data: Buffer) => onMessage(ws, c, data.toString('utf8')));
    ws.on('close', () => {
      for (const s of c.subs.keys()) addInterest(keyOf(c.market, s), -1);
      c.subs.clear();
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
        snapshot(ws, c, subscribe(ws, c, names));
      }
    });
    return true;
  }

  return {
    connections: () => conns.size,
    subscriptions: () => [...conns.values()].map((c) => [...c.subs.values()]),
    upgrade,
    close() {
      unsubscribeMd();
      for (const ws of conns.keys()) ws.terminate();
      wss.close();
    },
  };
}
