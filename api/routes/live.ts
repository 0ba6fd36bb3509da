import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { fillsBySymbol, ordersBySymbol } from '../../db/order-ledger';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { LiveHub, send } from '../live/live-hub';
import { bookMessage, historyMessage, klineMessage } from '../live/live-messages';
import { LiveStatus } from '../live/live-status';
import { MarketWatch, type MarketSource, type MarketView } from '../live/market-watch';
import { accounts, riskStates, symbolStatuses, trackings } from '../live/status-sources';
import { orchestratorControl } from '../orchestrator';
import { ErrorSchema } from '../schemas';

/** The subprotocol the feed speaks; a browser also offers `bearer.<token>` beside it (it cannot set headers). */
export const LIVE_PROTOCOL = 'keel.live.v1';

const LiveQuerySchema = z.object({
  /** Comma-separated canonical symbols to follow; all symbols when absent. */
  symbols: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const list = value.split(',').filter((symbol) => symbol !== '');
      const parsed = z.array(CanonicalSymbolSchema).min(1).max(100).safeParse(list);
      if (!parsed.success) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be 1 to 100 comma-separated symbols such as BTC-USDT',
        });
        return z.NEVER;
      }
      return new Set(parsed.data);
    }),
});

/**
 * The WebSocket support of the whole API, registered before authentication so that an upgrade refused by it
 * (401, 403, 400, 404) has its socket closed once answered. Closing the API ends every feed at once.
 */
export const websocketSupport = {
  options: {
    maxPayload: 4096,
    handleProtocols: (protocols: Set<string>) => (protocols.has(LIVE_PROTOCOL) ? LIVE_PROTOCOL : false),
  },
  preClose(this: FastifyInstance, done: () => void) {
    for (const client of this.websocketServer.clients) client.terminate();
    this.websocketServer.close(() => done());
  },
};

/**
 * `GET /live` (WebSocket): `history` on connect (the latest orders and fills of the symbols followed), then
 * `orders`, `trade_event` and `position` as the ledger changes; the current `symbol`, `risk`, `account` and
 * `tracking` state, then each change of it; `kline` and `book` for symbols followed by name. A read: the
 * token comes in the Authorization header, or from a browser as the subprotocol `bearer.<token>`.
 */
export const liveRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const control = orchestratorControl(deps.temporal, deps.orchestrator, {
    readTimeoutMs: deps.temporalReadTimeoutMs,
  });
  const status = new LiveStatus(
    [symbolStatuses(control), riskStates(deps.pool), accounts(deps.pool), trackings(deps.pool)],
    deps.liveStatusIntervalMs,
  );
  const hub = new LiveHub(deps.pool, status);
  /** Where a symbol trades: the venue of its first strategy (the first venue when it has none). */
  const sourceOf = async (symbol: string): Promise<MarketSource | undefined> => {
    const entry = await control.registered(symbol);
    const config = entry && (await control.symbolState(entry.workflowId))?.config;
    return config?.venues[config.strategies[0]?.venue ?? 0];
  };
  const market =
    deps.market &&
    new MarketWatch(deps.market, { sourceOf, intervalSeconds: deps.klineIntervalSeconds ?? 60 });
  app.addHook('onClose', async () => {
    market?.close();
    status.close();
  });

  app.get(
    '/live',
    {
      websocket: true,
      schema: {
        tags: ['live'],
        summary: 'Live feed (WebSocket): history, then orders, trade_event and position messages',
        querystring: LiveQuerySchema,
        response: { 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema },
      },
      // Refused before the upgrade: a symbol Keel does not run.
      preHandler: async (request, reply) => {
        const { symbols } = request.query;
        if (!symbols) return;
        // Temporal not answering in time is a 503 (ControlRefused), as on every other read.
        const unknown = await control.within(async () => {
          for (const symbol of symbols) if (!(await control.registered(symbol))) return symbol;
          return undefined;
        });
        if (unknown) return refuse(reply, 404, `${unknown} is not registered`);
      },
    },
    async (socket, request) => {
      const { symbols } = request.query;
      // Subscribed before history is read, so nothing that happens meanwhile is missed.
      const subscription = hub.add(socket, symbols);
      socket.on('close', subscription.remove);
      socket.on('message', () => socket.close(1008, 'the feed takes no messages'));
      try {
        const followed = symbols && [...symbols];
        const [orders, fills] = await Promise.all([
          ordersBySymbol(deps.pool, followed, { limit: 100 }),
          fillsBySymbol(deps.pool, followed, 200),
        ]);
        send(socket, JSON.stringify(historyMessage(orders, fills)));
        subscription.ready();
      } catch {
        socket.close(1011, 'history could not be read');
        return;
      }
      // Market data only for symbols followed by name: following every symbol's market would not scale.
      if (market && symbols) await viewMarkets(market, socket, symbols);
    },
  );
};

/** Sends each symbol's candles so far, then its changes, until the socket closes. */
async function viewMarkets(market: MarketWatch, socket: WebSocket, symbols: ReadonlySet<string>) {
  const views: MarketView[] = [];
  socket.on('close', () => views.forEach((view) => view.stop()));
  for (const symbol of symbols) {
    // A market that cannot be read (Temporal slow, the symbol gone) leaves the chart empty, the feed open.
    const view = await market
      .view(symbol, ({ candle, touch }) => {
        send(socket, JSON.stringify(klineMessage(symbol, market.intervalSeconds, [candle])));
        send(socket, JSON.stringify(bookMessage(symbol, touch)));
      })
      .catch(() => undefined);
    if (!view) continue;
    if (socket.readyState !== socket.OPEN) return view.stop();
    views.push(view);
    send(socket, JSON.stringify(klineMessage(symbol, market.intervalSeconds, view.candles)));
    if (view.touch) send(socket, JSON.stringify(bookMessage(symbol, view.touch)));
  }
}
