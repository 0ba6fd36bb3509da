import WebSocket from 'ws';
import { z } from 'zod';
import type { MarketKind } from '../ids';
import type { InstrumentSpec } from '../instruments';
import type { PlaceOrderBody, WsMessage } from '../server/schemas';
import type { BotOrder } from './bot';
import {
  BotRequestError,
  DepthSchema,
  ErrorBodySchema,
  FillSchema,
  InstrumentSpecSchema,
  OrderSchema,
  TopSchema,
  TradeSchema,
} from './wire';
import type { Depth, Fill, Order, Top, Trade } from './wire';

const FeedMessageSchema = z.union([
  z.object({
    channel: z.literal('bbo'),
    venue: z.string(),
    market: z.string(),
    symbol: z.string(),
    data: TopSchema,
  }),
  z.object({
    channel: z.literal('trades'),
    venue: z.string(),
    market: z.string(),
    symbol: z.string(),
    data: TradeSchema,
  }),
  z.object({ op: z.enum(['subscribe', 'unsubscribe']), ok: z.boolean(), error: ErrorBodySchema.optional() }),
]);

export interface VenueClientOptions {
  /** The simulator server, e.g. `http://127.0.0.1:7700`. */
  url: string;
  venue: string;
  market: MarketKind;
  symbol: string;
  account: string;
  requestTimeoutMs?: number;
}

/**
 * The simulator server's HTTP gateway for one account on one venue market and symbol — the same routes
 * Keel's `sim-http` connector uses. Refusals and lost requests throw `BotRequestError`.
 */
export class VenueClient {
  private readonly base: string;
  constructor(readonly options: VenueClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private async call<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
  ): Promise<z.infer<S>> {
    const url = new URL(`${this.base}/v1/${this.options.venue}/${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const what = `${method} ${url.pathname}`;
    let res: Response;
    let payload: unknown;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5_000),
      });
      payload = await res.json();
    } catch (e) {
      throw new BotRequestError('TRANSPORT', `${what}: ${describeError(e)}`);
    }
    if (!res.ok) {
      const err = ErrorBodySchema.safeParse(payload);
      if (!err.success) throw new BotRequestError('TRANSPORT', `${what}: HTTP ${res.status}`, res.status);
      throw new BotRequestError(err.data.reason, `${what}: ${err.data.reason} ${err.data.msg}`, res.status);
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new BotRequestError('TRANSPORT', `${what}: unexpected response`, res.status);
    return parsed.data;
  }

  private get m(): MarketKind {
    return this.options.market;
  }

  /** The symbol's filters, or a `BotRequestError` (e.g. `UNKNOWN_VENUE`, `UNKNOWN_SYMBOL`). */
  async instrument(): Promise<InstrumentSpec> {
    const all = await this.call(z.array(InstrumentSpecSchema), 'GET', `${this.m}/instruments`);
    const spec = all.find((i) => i.symbol === this.options.symbol);
    if (!spec)
      throw new BotRequestError(
        'UNKNOWN_SYMBOL',
        `${this.options.symbol} is not listed on ${this.options.venue}/${this.m}`,
      );
    return spec;
  }

  ticker(): Promise<Top> {
    return this.call(TopSchema, 'GET', `${this.m}/ticker`, { symbol: this.options.symbol });
  }

  depth(limit = 20): Promise<Depth> {
    return this.call(DepthSchema, 'GET', `${this.m}/depth`, {
      symbol: this.options.symbol,
      limit: String(limit),
    });
  }

  async markPrice(market: MarketKind = this.m): Promise<string | undefined> {
    const r = await this.call(z.object({ markPrice: z.string() }), 'GET', `${market}/mark`, {
      symbol: this.options.symbol,
    });
    return Number(r.markPrice) > 0 ? r.markPrice : undefined;
  }

  placeOrder(order: BotOrder): Promise<Order> {
    const body: PlaceOrderBody = { ...order, account: this.options.account, symbol: this.options.symbol };
    return this.call(OrderSchema, 'POST', `${this.m}/order`, {}, body);
  }

  cancelOrder(ref: { orderId: string } | { clientOrderId: string }): Promise<Order> {
    return this.call(OrderSchema, 'DELETE', `${this.m}/order`, { account: this.options.account, ...ref });
  }

  async cancelAll(): Promise<number> {
    const q = { account: this.options.account, symbol: this.options.symbol };
    const r = await this.call(z.object({ cancelled: z.number() }), 'DELETE', `${this.m}/open-orders`, q);
    return r.cancelled;
  }

  openOrders(): Promise<Order[]> {
    const q = { account: this.options.account, symbol: this.options.symbol };
    return this.call(z.array(OrderSchema), 'GET', `${this.m}/open-orders`, q);
  }

  myTrades(limit?: number): Promise<Fill[]> {
    const q = {
      account: this.options.account,
      symbol: this.options.symbol,
      limit: limit === undefined ? undefined : String(limit),
    };
    return this.call(z.array(FillSchema), 'GET', `${this.m}/my-trades`, q);
  }
}

export interface FeedHandlers {
  onTop(top: Top): void;
  onTrade(trade: Trade): void;
  /** The socket dropped or could not connect; the feed reconnects by itself. */
  onDown(reason: string): void;
}

/**
 * The server's public WebSocket feed (`/ws`, channels `bbo` and `trades`) for one symbol. Once both
 * subscriptions are acknowledged it reads the ticker, so no change of the touch is missed; when the
 * socket drops it reconnects every `retryMs` until `close()`.
 */
export class MarketFeed {
  private ws: WebSocket | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: VenueClient,
    private readonly handlers: FeedHandlers,
    private readonly retryMs = 1_000,
  ) {}

  open(): void {
    if (this.closed) return;
    const { url, venue, market, symbol } = this.client.options;
    const ws = new WebSocket(`${url.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`);
    this.ws = ws;
    let acks = 0;
    let down = false;
    let sawTop = false;
    const fail = (reason: string): void => {
      if (down) return;
      down = true;
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      if (this.closed) return;
      this.handlers.onDown(reason);
      this.retry = setTimeout(() => this.open(), this.retryMs);
    };
    ws.on('open', () => {
      for (const channel of ['bbo', 'trades'] as const) {
        const msg: WsMessage = { op: 'subscribe', channel, venue, market, symbol };
        ws.send(JSON.stringify(msg));
      }
    });
    ws.on('message', (data: Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        return fail('malformed message');
      }
      const parsed = FeedMessageSchema.safeParse(json);
      if (!parsed.success) return;
      const msg = parsed.data;
      if ('channel' in msg) {
        if (msg.venue !== venue || msg.market !== market || msg.symbol !== symbol) return;
        if (msg.channel === 'bbo') {
          sawTop = true;
          this.handlers.onTop(msg.data);
        } else this.handlers.onTrade(msg.data);
        return;
      }
      if (!msg.ok) return fail(`subscription refused: ${msg.error?.reason ?? 'unknown'}`);
      if (++acks === 2)
        this.client.ticker().then(
          (top) => {
            // A touch the socket already delivered is newer than this snapshot.
            if (!down && !this.closed && !sawTop) this.handlers.onTop(top);
          },
          (e: unknown) => fail(describeError(e)),
        );
    });
    ws.on('error', (e) => fail(e.message));
    ws.on('close', () => fail('socket closed'));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    const ws = this.ws;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
