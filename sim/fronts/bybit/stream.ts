import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { venueToCanonical } from '../../../domain/symbols';
import type { SimExchange } from '../../exchange';
import type { BookTop } from '../../venue-market';
import { bybitSymbol } from './format';

type StreamMarket = 'spot' | 'perp';

/** Bybit v5 public stream paths served: spot and USDT linear. */
const ROUTES: Record<string, StreamMarket> = { '/v5/public/spot': 'spot', '/v5/public/linear': 'perp' };

const TOPIC_RE = /^orderbook\.1\.([A-Z0-9]+)$/;
/** Bybit allows 10 args per subscribe request on spot; the front takes the same everywhere. */
const MAX_ARGS = 10;

interface Conn {
  market: StreamMarket;
  id: string;
  /** Canonical symbol -> topic. */
  subs: Map<string, string>;
}

export interface BybitMarketStream {
  /** Open stream sockets (tests). */
  connections(): number;
  /** Topics per open socket (tests). */
  subscriptions(): string[][];
  /** Takes an HTTP upgrade on a public stream path; false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/**
 * Bybit v5 public WebSocket over one simulator venue, `orderbook.1.<SYMBOL>` only (the level-1 book
 * ccxt.pro's `watchBidsAsks` / `watchOrderBook` follow). `{"op":"subscribe"|"unsubscribe","req_id",
 * "args":[topics]}` is answered `{"success","ret_msg","conn_id","req_id","op"}`; `{"op":"ping"}` gets
 * `{"success":true,"ret_msg":"pong",...,"op":"ping"}` (linear) or `{"op":"pong","args":[ms],...}` (spot),
 * as on Bybit. Each push is a level-1 `snapshot` `{topic,type,ts,data:{s,b,a,u,seq},cts}`: at
 * subscription (Bybit sends the snapshot first) and on every best bid/ask change. A simulator
 * `marketData` `disconnect` fault drops the market's sockets.
 */
export function createBybitMarketStream(
  exchange: SimExchange,
  venue: string,
  now: () => number,
): BybitMarketStream {
  const wss = new WebSocketServer({ noServer: true });
  const conns = new Map<WebSocket, Conn>();
  const interest = new Map<string, number>();
  const keyOf = (m: StreamMarket, symbol: string): string => `${venue}/${m}/${symbol}`;
  const addInterest = (key: string, d: number): void => {
    const n = (interest.get(key) ?? 0) + d;
    if (n > 0) interest.set(key, n);
    else interest.delete(key);
  };
  let updateId = 1;

  const send = (ws: WebSocket, body: unknown): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(body));
  };

  function push(ws: WebSocket, c: Conn, top: BookTop): void {
    const topic = c.subs.get(top.symbol);
    if (topic === undefined) return;
    const t = now();
    const u = updateId++;
    send(ws, {
      topic,
      type: 'snapshot',
      ts: t,
      data: {
        s: bybitSymbol(top.symbol),
        b: top.bidPrice !== null && top.bidQty !== null ? [[top.bidPrice, top.bidQty]] : [],
        a: top.askPrice !== null && top.askQty !== null ? [[top.askPrice, top.askQty]] : [],
        u,
        seq: u,
      },
      cts: t,
    });
  }

  const unsubscribeMd = exchange.onMarketData(
    (e) => {
      if (e.venue !== venue) return;
      if (e.type === 'disconnect') {
        for (const [ws, c] of conns) if (c.market === e.market) ws.terminate();
        return;
      }
      if (e.type !== 'bbo') return;
      for (const [ws, c] of conns) if (c.market === e.market) push(ws, c, e.top);
    },
    (key) => interest.has(key),
  );

  function symbolOfTopic(m: StreamMarket, topic: string): string | undefined {
    const match = TOPIC_RE.exec(topic);
    if (!match?.[1]) return undefined;
    const s = venueToCanonical('bybit', m, match[1]);
    return s && exchange.market(venue, m).hasSymbol(s) ? s : undefined;
  }

  function onMessage(ws: WebSocket, c: Conn, raw: string): void {
    let msg: { op?: unknown; req_id?: unknown; args?: unknown };
    try {
      msg = (JSON.parse(raw) ?? {}) as typeof msg;
    } catch {
      send(ws, { success: false, ret_msg: 'error:request not json', conn_id: c.id, op: '' });
      return;
    }
    const reqId = typeof msg.req_id === 'string' || typeof msg.req_id === 'number' ? String(msg.req_id) : '';
    const answer = (op: string, success: boolean, retMsg: string): void =>
      send(ws, { success, ret_msg: retMsg, conn_id: c.id, req_id: reqId, op });
    if (msg.op === 'ping') {
      if (c.market === 'spot') send(ws, { req_id: reqId, op: 'pong', args: [String(now())], conn_id: c.id });
      else answer('ping', true, 'pong');
      return;
    }
    if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe') {
      answer(typeof msg.op === 'string' ? msg.op.slice(0, 32) : '', false, 'error:invalid op');
      return;
    }
    const args = msg.args;
    if (!Array.isArray(args) || !args.every((a): a is string => typeof a === 'string') || args.length === 0) {
      answer(msg.op, false, 'error:args invalid');
      return;
    }
    if (args.length > MAX_ARGS) {
      answer(msg.op, false, `error:args size >${MAX_ARGS}`);
      return;
    }
    const bad = args.find((a) => symbolOfTopic(c.market, a) === undefined);
    if (bad !== undefined) {
      answer(msg.op, false, `error:handler not found,topic:${bad.slice(0, 64)}`);
      return;
    }
    if (msg.op === 'unsubscribe') {
      for (const a of args) {
        const s = symbolOfTopic(c.market, a);
        if (s === undefined || c.subs.get(s) !== a) continue;
        c.subs.delete(s);
        addInterest(keyOf(c.market, s), -1);
      }
      answer('unsubscribe', true, '');
      return;
    }
    const added: string[] = [];
    for (const a of args) {
      const s = symbolOfTopic(c.market, a);
      if (s === undefined) continue;
      if (c.subs.has(s)) {
        answer('subscribe', false, `error:already subscribed,topic:${a}`);
        return;
      }
      c.subs.set(s, a);
      addInterest(keyOf(c.market, s), 1);
      added.push(s);
    }
    answer('subscribe', true, '');
    for (const s of added) push(ws, c, exchange.ticker(venue, c.market, s));
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
    const market = ROUTES[url.pathname];
    if (!market) return false;
    const c: Conn = { market, id: randomUUID(), subs: new Map() };
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, c));
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
