import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { SimExchange } from '../../exchange';
import { AccountFeeds } from './account-feeds';
import { authenticate, credentialOf } from './auth';
import type { FrontCredential } from './auth';
import { BinanceApiError, binanceErrors } from './errors';
import type { Execution } from './executions';
import { ListenKeys } from './listen-keys';
import { refuseUpgrade, sendJson } from './stream';
import { futuresOrderTradeUpdate, spotExecutionReport } from './user-events';

type Kind = 'spot' | 'perp';

/** Spot WebSocket API (`ws-api/v3`, where ccxt subscribes spot user data) and the USD-M private stream. */
const WS_API_RE = /^\/ws-api\/v3$/;
const FUTURES_RE = /^\/fstream\/private\/ws(?:\/([^/]+))?$/;

interface Conn {
  kind: Kind;
  /** Futures: the listenKey the socket streams. */
  listenKey?: string;
  /** Spot WebSocket API: subscription id -> its unsubscribe. */
  subs: Map<number, () => void>;
  nextSubscriptionId: number;
}

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);
const ApiRequestSchema = z.object({
  id: z.union([z.string(), z.number(), z.null()]),
  method: z.string(),
  params: z.record(z.string(), ScalarSchema).optional(),
});
type Params = Record<string, z.infer<typeof ScalarSchema>>;

export interface UserStream {
  /** Open user-data sockets, spot WebSocket API and futures listenKey streams (tests). */
  connections(): number;
  /** User-data subscriptions per open socket: a futures socket counts one (tests). */
  subscriptions(): number[];
  /** Takes an HTTP upgrade on a user-data path; false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * `POST|PUT|DELETE v1/listenKey` (USD-M futures, API key only, no signature) as a thunk reading the
   * simulator; undefined when the route is not one. The key is checked at once.
   */
  listenKeyRoute(key: string, apiKey: string | undefined): (() => unknown) | undefined;
  close(): void;
}

export interface UserStreamOptions {
  exchange: SimExchange;
  venue: string;
  credentials: readonly FrontCredential[];
  now: () => number;
}

/**
 * Binance's user-data streams over one simulator venue, order updates only, as ccxt pro 4.5.84 consumes
 * them. Spot: the WebSocket API's `userDataStream.subscribe.signature` (apiKey, timestamp, signature
 * over the sorted parameters, checked like a SIGNED REST request) answers
 * `{id,status:200,result:{subscriptionId}}`, then each change comes as
 * `{subscriptionId,event:{e:'executionReport',...}}`; `userDataStream.unsubscribe`,
 * `session.subscriptions` and `ping` too. USD-M futures: a listenKey from `POST /fapi/v1/listenKey`
 * opens `/fstream/private/ws?listenKey=<key>` (or `/fstream/private/ws/<key>`), which pushes
 * `{e:'ORDER_TRADE_UPDATE',E,T,o:{...}}`. A simulator `marketData` `disconnect` fault drops the
 * market's user-data sockets too, as it drops its market streams.
 */
export function createUserStream(options: UserStreamOptions): UserStream {
  const { exchange, venue, credentials, now } = options;
  const wss = new WebSocketServer({ noServer: true });
  const conns = new Map<WebSocket, Conn>();
  const feeds = new AccountFeeds(exchange, venue);
  const listenKeys = new ListenKeys(now);

  const stopFaults = exchange.onMarketData(
    (e) => {
      if (e.type !== 'disconnect' || e.venue !== venue) return;
      for (const [ws, c] of conns) if (c.kind === e.market) ws.terminate();
    },
    () => false,
  );

  const follow = (ws: WebSocket, kind: Kind, account: string, wrap: (x: Execution) => unknown) =>
    feeds.follow(kind, account, (x) => sendJson(ws, wrap(x)));

  /** The account of a `*.signature` request: the SIGNED checks over its sorted parameters. */
  function signedAccount(params: Params): string {
    const entries = Object.entries(params)
      .filter(([k]) => k !== 'signature')
      .map(([k, v]): [string, string] => [k, String(v)])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const query = new URLSearchParams(entries);
    if (params['signature'] !== undefined) query.set('signature', String(params['signature']));
    const apiKey = params['apiKey'];
    return authenticate(
      {
        apiKey: apiKey === undefined ? undefined : String(apiKey),
        rawQuery: entries.map(([k, v]) => `${k}=${v}`).join('&'),
        rawBody: '',
        params: query,
      },
      credentials,
      now(),
    );
  }

  function apiCall(ws: WebSocket, c: Conn, method: string, params: Params): unknown {
    switch (method) {
      case 'userDataStream.subscribe.signature': {
        const account = signedAccount(params);
        const subscriptionId = c.nextSubscriptionId++;
        c.subs.set(
          subscriptionId,
          follow(ws, 'spot', account, (x) => ({ subscriptionId, event: spotExecutionReport(x, now()) })),
        );
        return { subscriptionId };
      }
      case 'userDataStream.unsubscribe': {
        const only = params['subscriptionId'];
        for (const [id, stop] of c.subs)
          if (only === undefined || String(only) === String(id)) {
            stop();
            c.subs.delete(id);
          }
        return {};
      }
      case 'session.subscriptions':
        return [...c.subs.keys()].map((subscriptionId) => ({ subscriptionId }));
      case 'ping':
        return {};
    }
    throw binanceErrors.unknownRoute();
  }

  function onApiMessage(ws: WebSocket, c: Conn, raw: string): void {
    let id: string | number | null = null;
    try {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw binanceErrors.badParam('Malformed request.');
      }
      const req = ApiRequestSchema.safeParse(json);
      if (!req.success) throw binanceErrors.badParam('Malformed request.');
      id = req.data.id;
      const result = apiCall(ws, c, req.data.method, req.data.params ?? {});
      sendJson(ws, { id, status: 200, result });
    } catch (e) {
      const err =
        e instanceof BinanceApiError
          ? e
          : new BinanceApiError(500, -1000, 'An unknown error occurred while processing the request.');
      sendJson(ws, { id, status: err.http, error: err.toBody() });
    }
  }

  function accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    c: Conn,
    onOpen: (ws: WebSocket) => void,
  ): void {
    wss.handleUpgrade(req, socket, head, (ws) => {
      conns.set(ws, c);
      ws.on('close', () => {
        for (const stop of c.subs.values()) stop();
        c.subs.clear();
        conns.delete(ws);
      });
      ws.on('error', () => ws.terminate());
      onOpen(ws);
    });
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://front');
    if (WS_API_RE.test(url.pathname)) {
      const c: Conn = { kind: 'spot', subs: new Map(), nextSubscriptionId: 0 };
      accept(req, socket, head, c, (ws) =>
        ws.on('message', (data: Buffer) => onApiMessage(ws, c, data.toString('utf8'))),
      );
      return true;
    }
    const futures = FUTURES_RE.exec(url.pathname);
    if (!futures) return false;
    const listenKey = futures[1] ?? url.searchParams.get('listenKey') ?? '';
    const account = listenKeys.accountOf(listenKey);
    if (account === undefined) {
      refuseUpgrade(socket, '400 Bad Request');
      return true;
    }
    const c: Conn = { kind: 'perp', listenKey, subs: new Map(), nextSubscriptionId: 0 };
    accept(req, socket, head, c, (ws) =>
      c.subs.set(
        0,
        follow(ws, 'perp', account, (x) => futuresOrderTradeUpdate(x, now())),
      ),
    );
    return true;
  }

  function listenKeyRoute(key: string, apiKey: string | undefined): (() => unknown) | undefined {
    if (key !== 'POST v1/listenKey' && key !== 'PUT v1/listenKey' && key !== 'DELETE v1/listenKey')
      return undefined;
    const cred = credentialOf(credentials, apiKey);
    switch (key) {
      case 'POST v1/listenKey':
        return () => ({ listenKey: listenKeys.open(cred.apiKey, cred.account) });
      case 'PUT v1/listenKey':
        return () => ({ listenKey: listenKeys.keepAlive(cred.apiKey) });
      case 'DELETE v1/listenKey':
        return () => {
          const closed = listenKeys.close(cred.apiKey);
          if (closed !== undefined) for (const [ws, c] of conns) if (c.listenKey === closed) ws.close();
          return {};
        };
    }
  }

  return {
    connections: () => conns.size,
    subscriptions: () => [...conns.values()].map((c) => c.subs.size),
    upgrade,
    listenKeyRoute,
    close() {
      stopFaults();
      for (const ws of conns.keys()) ws.terminate();
      feeds.close();
      wss.close();
    },
  };
}
