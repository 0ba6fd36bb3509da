import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recentLedger } from '../../db/ledger-history';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { ApiDependencies } from '../app';
import { refuse } from '../errors';
import { LiveHub, send } from '../live/live-hub';
import { historyMessage } from '../live/live-messages';
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
 * `orders`, `trade_event` and `position` as the ledger changes. A read: the token comes in the
 * Authorization header, or from a browser as the subprotocol `bearer.<token>`.
 */
export const liveRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const hub = new LiveHub(deps.pool);
  const control = orchestratorControl(deps.temporal, deps.orchestrator, {
    readTimeoutMs: deps.temporalReadTimeoutMs,
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
      const remove = hub.add(socket, symbols);
      socket.on('close', remove);
      socket.on('message', () => socket.close(1008, 'the feed takes no messages'));
      try {
        const recent = await recentLedger(deps.pool, symbols && [...symbols], { orders: 100, fills: 200 });
        send(socket, JSON.stringify(historyMessage(recent.orders, recent.fills)));
      } catch {
        socket.close(1011, 'history could not be read');
      }
    },
  );
};
