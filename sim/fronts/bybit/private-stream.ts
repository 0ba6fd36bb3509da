import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { SimExchange } from '../../exchange';
import { AccountFeeds } from '../binance/account-feeds';
import { sendJson } from '../binance/stream';
import { StreamAuthError, authenticateStream } from './auth';
import type { FrontCredential } from './auth';
import type { BybitCategory } from './errors';
import { orderMessage } from './order-events';

/** The private stream path (ccxt's `urls.api.ws.private.contract`, and `private.spot.unified`). */
const PRIVATE_PATH = '/v5/private';

/** Topics served and the categories each follows: `order` is Bybit's all-in-one order topic. */
const TOPICS: Record<string, readonly BybitCategory[]> = {
  order: ['spot', 'linear'],
  'order.spot': ['spot'],
  'order.linear': ['linear'],
};
const MAX_ARGS = 10;
const kindOf = (c: BybitCategory): 'spot' | 'perp' => (c === 'spot' ? 'spot' : 'perp');

interface Conn {
  id: string;
  /** The account logged in (`op: auth`), once it is. */
  account?: string;
  /** Topic -> its unsubscribe. */
  subs: Map<string, () => void>;
  /** Sequence of the socket's pushes, for their `id`. */
  pushes: number;
}

export interface BybitPrivateStream {
  /** Open private sockets (tests). */
  connections(): number;
  /** Topics per open socket (tests). */
  subscriptions(): string[][];
  /** Takes an HTTP upgrade on the private path; false when the path is not it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

export interface BybitPrivateStreamOptions {
  exchange: SimExchange;
  venue: string;
  credentials: readonly FrontCredential[];
  now: () => number;
}

/**
 * Bybit v5's private WebSocket (`/v5/private`) over one simulator venue, order updates only, as ccxt pro
 * 4.5.84 consumes them. `{"op":"auth","args":[apiKey, expires, signature]}` (HMAC-SHA256 of
 * `GET/realtime<expires>`) is answered `{"success","ret_msg","op":"auth","conn_id"}`; a refusal also
 * echoes the `request` (as Bybit's private stream did before v5), the shape ccxt reads as an
 * AuthenticationError. Once logged in, `subscribe` / `unsubscribe` take `order` (every category),
 * `order.spot` and `order.linear`; each order change of the account then comes as
 * `{id, topic, creationTime, data:[order]}`: New, one PartiallyFilled/Filled per fill, then
 * Cancelled. `{"op":"ping"}` gets `{"op":"pong","args":[ms],"req_id","conn_id"}`. A simulator
 * `marketData` `disconnect` fault drops the sockets following that market, as it drops its market
 * streams.
 */
export function createBybitPrivateStream(options: BybitPrivateStreamOptions): BybitPrivateStream {
  const { exchange, venue, credentials, now } = options;
  const wss = new WebSocketServer({ noServer: true });
  const conns = new Map<WebSocket, Conn>();
  const feeds = new AccountFeeds(exchange, venue);

  const follows = (c: Conn, market: string): boolean =>
    [...c.subs.keys()].some((t) => TOPICS[t]?.some((cat) => kindOf(cat) === market));
  const stopFaults = exchange.onMarketData(
    (e) => {
      if (e.type !== 'disconnect' || e.venue !== venue) return;
      for (const [ws, c] of conns) if (follows(c, e.market)) ws.terminate();
    },
    () => false,
  );

  function follow(ws: WebSocket, c: Conn, account: string, topic: string): () => void {
    const stops = (TOPICS[topic] ?? []).map((cat) =>
      feeds.follow(kindOf(cat), account, (x) =>
        sendJson(ws, orderMessage(topic, x, cat, `${c.id}-${++c.pushes}`, now())),
      ),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }

  function onMessage(ws: WebSocket, c: Conn, raw: string): void {
    let msg: { op?: unknown; req_id?: unknown; args?: unknown };
    try {
      const json: unknown = JSON.parse(raw);
      msg = json !== null && typeof json === 'object' ? json : {};
    } catch {
      sendJson(ws, { success: false, ret_msg: 'error:request not json', conn_id: c.id, op: '' });
      return;
    }
    const reqId =
      typeof msg.req_id === 'string' || typeof msg.req_id === 'number' ? String(msg.req_id) : undefined;
    const op = typeof msg.op === 'string' ? msg.op.slice(0, 32) : '';
    const answer = (success: boolean, retMsg: string): void =>
      sendJson(ws, {
        ...(reqId === undefined ? {} : { req_id: reqId }),
        success,
        ret_msg: retMsg,
        op,
        conn_id: c.id,
        ...(success ? {} : { request: { op, args: msg.args ?? null } }),
      });

    switch (op) {
      case 'ping':
        sendJson(ws, { req_id: reqId ?? '', op: 'pong', args: [String(now())], conn_id: c.id });
        return;
      case 'auth':
        if (c.account !== undefined) {
          answer(false, 'Repeat auth');
          return;
        }
        try {
          c.account = authenticateStream(msg.args, credentials, now());
        } catch (e) {
          if (!(e instanceof StreamAuthError)) throw e;
          answer(false, e.message);
          return;
        }
        answer(true, '');
        return;
      case 'subscribe':
      case 'unsubscribe':
        subscription(ws, c, op, msg.args, answer);
        return;
    }
    answer(false, 'error:invalid op');
  }

  function subscription(
    ws: WebSocket,
    c: Conn,
    op: 'subscribe' | 'unsubscribe',
    args: unknown,
    answer: (success: boolean, retMsg: string) => void,
  ): void {
    const account = c.account;
    if (account === undefined) return answer(false, 'Request not authorized');
    if (!Array.isArray(args) || args.length === 0 || !args.every((a): a is string => typeof a === 'string'))
      return answer(false, 'error:args invalid');
    if (args.length > MAX_ARGS) return answer(false, `error:args size >${MAX_ARGS}`);
    const bad = args.find((a) => !Object.hasOwn(TOPICS, a));
    if (bad !== undefined) return answer(false, `error:handler not found,topic:${bad.slice(0, 64)}`);
    if (op === 'unsubscribe') {
      for (const a of args) {
        c.subs.get(a)?.();
        c.subs.delete(a);
      }
      return answer(true, '');
    }
    const again = args.find((a) => c.subs.has(a));
    if (again !== undefined) return answer(false, `error:already subscribed,topic:${again}`);
    for (const a of new Set(args)) c.subs.set(a, follow(ws, c, account, a));
    answer(true, '');
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname !== PRIVATE_PATH) return false;
    const c: Conn = { id: randomUUID(), subs: new Map(), pushes: 0 };
    wss.handleUpgrade(req, socket, head, (ws) => {
      conns.set(ws, c);
      ws.on('message', (data: Buffer) => onMessage(ws, c, data.toString('utf8')));
      ws.on('close', () => {
        for (const stop of c.subs.values()) stop();
        c.subs.clear();
        conns.delete(ws);
      });
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  return {
    connections: () => conns.size,
    subscriptions: () => [...conns.values()].map((c) => [...c.subs.keys()]),
    upgrade,
    close() {
      stopFaults();
      for (const ws of conns.keys()) ws.terminate();
      feeds.close();
      wss.close();
    },
  };
}
