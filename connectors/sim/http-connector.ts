import WebSocket from 'ws';
import { z } from 'zod';
import type { MarketKind } from '../../domain/venues';
import { SimError } from '../../sim/errors';
import type { VenueName as SimVenueName } from '../../sim/ids';
import { ConnectorError } from '../exchange-connector';
import type { ExchangeConnector } from '../exchange-connector';
import { SimErrorBodySchema } from './sim-mapping';
import { createSimPortConnector } from './sim-port';
import type { SimStampOptions, SimTransport } from './sim-port';

export interface SimHttpConnectorOptions extends SimStampOptions {
  /** The simulator server, e.g. `http://127.0.0.1:7700`. */
  baseUrl: string;
  venue: SimVenueName;
  market: MarketKind;
  account: string;
  /** Per-request timeout; a timed-out request is 'retryable' (outcome unknown for order entry). */
  requestTimeoutMs?: number;
}

/** The networked simulator (`sim/main.ts`, `npm run sim`) behind the port, over its HTTP and WS API. */
export function createSimHttpConnector(options: SimHttpConnectorOptions): ExchangeConnector {
  return createSimPortConnector(httpTransport(options), options.venue, options.market, options);
}

const WsServerMessageSchema = z.union([
  z.object({
    channel: z.enum(['bbo', 'trades', 'depth']),
    venue: z.string(),
    market: z.string(),
    symbol: z.string(),
    data: z.unknown(),
  }),
  z.object({
    op: z.enum(['subscribe', 'unsubscribe']),
    ok: z.boolean(),
    error: SimErrorBodySchema.optional(),
  }),
]);

function httpTransport(options: SimHttpConnectorOptions): SimTransport {
  const { venue, market, account } = options;
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const stoppers = new Set<() => void>();

  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
  ): Promise<unknown> {
    const url = new URL(`${base}/v1/${venue}/${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new ConnectorError('retryable', `${method} ${url.pathname}: ${transportFailure(e)}`);
    }
    let payload: unknown;
    try {
      payload = await res.json();
    } catch (e) {
      throw new ConnectorError(
        'retryable',
        `${method} ${url.pathname}: HTTP ${res.status}, ${transportFailure(e)}`,
      );
    }
    if (res.ok) return payload;
    const err = SimErrorBodySchema.safeParse(payload);
    if (!err.success) throw new ConnectorError('retryable', `${method} ${url.pathname}: HTTP ${res.status}`);
    const simError = new SimError(err.data.reason);
    simError.message = err.data.msg;
    throw simError;
  }

  /**
   * Follows one channel of the simulator's socket for `symbols` until the signal aborts (resolves) or the
   * socket fails (rejects, 'retryable'); `onLive` runs once every subscription is acknowledged.
   */
  function followChannel(
    channel: 'bbo' | 'trades' | 'depth',
    symbols: string[],
    onData: (raw: unknown) => void,
    signal: AbortSignal,
    onLive?: () => Promise<void>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
      let pendingAcks = symbols.length;
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        stoppers.delete(onAbort);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish();
      signal.addEventListener('abort', onAbort);
      stoppers.add(onAbort);
      ws.on('open', () => {
        for (const symbol of symbols)
          ws.send(JSON.stringify({ op: 'subscribe', channel, venue, market, symbol }));
      });
      ws.on('message', (data: Buffer) => {
        let json: unknown;
        try {
          json = JSON.parse(data.toString('utf8'));
        } catch {
          return finish(new ConnectorError('retryable', 'market data socket: malformed message'));
        }
        const parsed = WsServerMessageSchema.safeParse(json);
        if (!parsed.success) return;
        const msg = parsed.data;
        if ('channel' in msg) {
          if (msg.channel !== channel || msg.venue !== venue || msg.market !== market) return;
          try {
            onData(msg.data);
          } catch (e) {
            // Thrown from a socket event it would crash the process: end the watch with it instead.
            finish(e instanceof Error ? e : new Error(String(e)));
          }
          return;
        }
        if (!msg.ok) {
          const e = msg.error ? new SimError(msg.error.reason) : new SimError('MALFORMED_REQUEST');
          return finish(e);
        }
        if (--pendingAcks === 0 && onLive)
          onLive().catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
      });
      ws.on('error', (e) => finish(new ConnectorError('retryable', `market data socket: ${e.message}`)));
      ws.on('close', () =>
        finish(new ConnectorError('retryable', `${venue}/${market} ${channel} socket closed`)),
      );
    });
  }

  const m = market;
  return {
    instruments: async () => z.array(z.unknown()).parse(await call('GET', `${m}/instruments`)),
    ticker: (symbol) => call('GET', `${m}/ticker`, { symbol }),
    placeOrder: (req, stamp) => call('POST', `${m}/order`, {}, { ...req, account, ...stamp }),
    cancelOrder: (ref, stamp) =>
      call('DELETE', `${m}/order`, {
        account,
        clientOrderId: ref.clientOrderId,
        timestamp: String(stamp.timestamp),
        recvWindow: stamp.recvWindow === undefined ? undefined : String(stamp.recvWindow),
      }),
    getOrder: (ref) => call('GET', `${m}/order`, { account, clientOrderId: ref.clientOrderId }),
    openOrders: (symbol) => call('GET', `${m}/open-orders`, { account, symbol }),
    spotBalances: () => call('GET', 'spot/balances', { account }),
    perpAccount: () => call('GET', 'perp/account', { account }),
    funding: (symbol) => call('GET', 'perp/funding', { symbol }),
    fundingPayments: () => call('GET', 'perp/funding-payments', { account }),
    setLeverage: async (symbol, leverage) => {
      await call('POST', 'perp/leverage', {}, { account, symbol, leverage });
    },

    watchTops(symbols, onTop, signal) {
      // Once every subscription is live, the REST snapshot cannot miss a change that follows it.
      return followChannel('bbo', symbols, onTop, signal, async () => {
        const tops = await Promise.all(symbols.map((s) => call('GET', `${m}/ticker`, { symbol: s })));
        if (!signal.aborted) for (const t of tops) onTop(t);
      });
    },
    watchTrades: (symbols, onTrade, signal) => followChannel('trades', symbols, onTrade, signal),
    watchDepth: (symbol, onDiff, signal, onLive) =>
      followChannel('depth', [symbol], onDiff, signal, async () => onLive?.()),
    depthSnapshot: (symbol, levels) => call('GET', `${m}/depth`, { symbol, limit: String(levels) }),

    close: async () => {
      for (const stop of [...stoppers]) stop();
    },
  };
}

function transportFailure(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${e.name}: ${e.message}${cause}`;
  }
  return String(e);
}
