import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { arbitragesBySymbol, ArbitrageRecordSchema } from '../../db/arbitrages';
import { fillsBySymbol, LedgerStatusSchema, ordersBySymbol } from '../../db/order-ledger';
import { performanceHistory } from '../../db/performance-history';
import { positionsBySymbol } from '../../db/positions';
import { normalize } from '../../domain/decimal';
import type { ApiDependencies } from '../app';
import { ErrorSchema, SymbolParamsSchema, timeRange, TimeRangeSchema } from '../schemas';
import { netPnl } from './exports';

const LimitSchema = z.coerce.number().int().min(1).max(1000).default(100);

const OrderViewSchema = z.object({
  clientOrderId: z.string(),
  venue: z.string(),
  market: z.string(),
  strategy: z.string(),
  side: z.string(),
  type: z.string(),
  price: z.string().nullable(),
  quantity: z.string(),
  status: LedgerStatusSchema,
  venueOrderId: z.string().nullable(),
  filledQuantity: z.string(),
  averagePrice: z.string().nullable(),
  rejection: z.string().nullable(),
  /** Which of Keel's limits refused it before it was sent (status `denied`), with the numbers. */
  denial: z.string().nullable(),
  /** The risk rule that denied it (domain/risk.ts RISK_RULES). */
  denialRule: z.string().nullable(),
  /** What a kill switch did with it (cancelled-resting, cancelled-after-landing, denied-before-send, ...). */
  killOutcome: z.string().nullable(),
});
const FillViewSchema = z.object({
  clientOrderId: z.string(),
  strategy: z.string(),
  side: z.string(),
  quantity: z.string(),
  price: z.string(),
  recordedAt: z.string(),
});
const PositionViewSchema = z.object({
  strategy: z.string(),
  quantity: z.string(),
  averagePrice: z.string(),
  realizedPnl: z.string(),
  fills: z.number(),
});

/** A day of snapshots at the default interval (60 s). */
const MAX_POINTS = 1440;
const PerformancePointSchema = z.object({
  /** Seconds since the epoch. */
  time: z.number(),
  position: z.string(),
  realizedPnl: z.string(),
  unrealizedPnl: z.string(),
  fees: z.string(),
  netPnl: z.string(),
  volume: z.string(),
});
type PerformancePoint = z.infer<typeof PerformancePointSchema>;

/** Read-only views of the ledger per symbol: what Keel placed, what filled, what it holds, its arbitrages. */
export const ledgerRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  const tags = ['ledger'];

  app.get(
    '/symbols/:symbol/orders',
    {
      schema: {
        tags,
        summary:
          "The symbol's orders from the ledger, newest first (status `unknown`: placement not yet settled)",
        params: SymbolParamsSchema,
        querystring: z.object({ status: LedgerStatusSchema.optional(), limit: LimitSchema }),
        response: { 200: z.object({ orders: z.array(OrderViewSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => {
      const rows = await ordersBySymbol(deps.pool, request.params.symbol, request.query);
      return {
        orders: rows.map((row) => ({
          clientOrderId: row.client_order_id,
          venue: row.venue,
          market: row.market,
          strategy: row.strategy,
          side: row.side,
          type: row.order_type,
          price: row.price,
          quantity: row.quantity,
          status: row.status,
          venueOrderId: row.venue_order_id,
          filledQuantity: row.filled_quantity,
          averagePrice: row.average_price,
          rejection: row.rejection,
          denial: row.denial,
          denialRule: row.denial_rule,
          killOutcome: row.kill_outcome,
        })),
      };
    },
  );

  app.get(
    '/symbols/:symbol/fills',
    {
      schema: {
        tags,
        summary: "The symbol's fills from the ledger, newest first",
        params: SymbolParamsSchema,
        querystring: z.object({ limit: LimitSchema }),
        response: { 200: z.object({ fills: z.array(FillViewSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => ({
      fills: (await fillsBySymbol(deps.pool, request.params.symbol, request.query.limit)).map((fill) => ({
        clientOrderId: fill.client_order_id,
        strategy: fill.strategy,
        side: fill.side,
        quantity: fill.quantity,
        price: fill.price,
        recordedAt: fill.recorded_at.toISOString(),
      })),
    }),
  );

  app.get(
    '/symbols/:symbol/positions',
    {
      schema: {
        tags,
        summary: 'Position, average cost and realized PnL per strategy, from the fills',
        params: SymbolParamsSchema,
        response: { 200: z.object({ positions: z.array(PositionViewSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => ({ positions: await positionsBySymbol(deps.pool, request.params.symbol) }),
  );

  app.get(
    '/symbols/:symbol/arbitrages',
    {
      schema: {
        tags,
        summary:
          "The symbol's finished arbitrages, newest first: both legs with their fills and funding, the entry and exit spreads, fees, funding and PnL, and the leg orders' client order ids",
        params: SymbolParamsSchema,
        querystring: z.object({ limit: LimitSchema }),
        response: {
          200: z.object({ arbitrages: z.array(ArbitrageRecordSchema) }),
          400: ErrorSchema,
        },
      },
    },
    async (request) => ({
      arbitrages: await arbitragesBySymbol(deps.pool, request.params.symbol, request.query.limit),
    }),
  );

  app.get(
    '/symbols/:symbol/performance',
    {
      schema: {
        tags,
        summary:
          "The symbol's performance snapshots (strategies summed), oldest first: position, realized and unrealized PnL, fees, net PnL, volume; the latest 1,440 in the range (default the last 24 h)",
        params: SymbolParamsSchema,
        querystring: TimeRangeSchema.transform(timeRange),
        response: { 200: z.object({ points: z.array(PerformancePointSchema) }), 400: ErrorSchema },
      },
    },
    async (request) => {
      const points: PerformancePoint[] = [];
      const filter = { ...request.query, symbol: request.params.symbol, by: 'symbol' as const };
      for await (const row of performanceHistory(deps.pool, filter)) {
        points.push({
          time: Math.floor(row.takenAt.getTime() / 1000),
          position: normalize(row.position ?? '0'),
          realizedPnl: normalize(row.realizedPnl),
          unrealizedPnl: normalize(row.unrealizedPnl),
          fees: normalize(row.fees),
          netPnl: normalize(netPnl(row)),
          volume: normalize(row.volume),
        });
        if (points.length > MAX_POINTS) points.shift();
      }
      return { points };
    },
  );
};
