import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  performanceHistory,
  type PerformanceFilter,
  type PerformanceRow,
} from '../../db/performance-history';
import { exportTrades, type TradeExportFilter } from '../../db/trade-export';
import { add, multiply, normalize, subtract } from '../../domain/decimal';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { ApiDependencies } from '../app';
import { csvLine } from '../csv';
import { refuse } from '../errors';
import { timeRange, TimeRangeSchema } from '../schemas';

export const TRADE_COLUMNS = [
  'time',
  'fill_id',
  'client_order_id',
  'venue',
  'market',
  'account',
  'symbol',
  'strategy',
  'side',
  'quantity',
  'price',
  'notional',
] as const;

const TimeRangeQuerySchema = TimeRangeSchema.extend({ symbol: CanonicalSymbolSchema.optional() });

export const TradeExportQuerySchema = TimeRangeQuerySchema.transform((query, ctx): TradeExportFilter => ({
  symbol: query.symbol,
  ...timeRange(query, ctx),
}));

export const PerformanceExportQuerySchema = TimeRangeQuerySchema.extend({
  /** strategy: a row per symbol and strategy; symbol: strategies summed; total: everything summed. */
  by: z.enum(['strategy', 'symbol', 'total']).default('strategy'),
}).transform((query, ctx): PerformanceFilter => ({
  symbol: query.symbol,
  by: query.by,
  ...timeRange(query, ctx),
}));

export const PERFORMANCE_COLUMNS = [
  'time',
  'symbol',
  'strategy',
  'position',
  'realized_pnl',
  'unrealized_pnl',
  'fees',
  'net_pnl',
  'volume',
  'fills',
] as const;

/** Performance snapshots as CSV lines, header first, streamed page by page. */
export async function* performanceCsv(
  deps: Pick<ApiDependencies, 'pool'>,
  filter: PerformanceFilter,
): AsyncGenerator<string> {
  yield csvLine(PERFORMANCE_COLUMNS);
  for await (const row of performanceHistory(deps.pool, filter))
    yield csvLine([
      row.takenAt.toISOString(),
      row.symbol,
      row.strategy,
      row.position === null ? null : normalize(row.position),
      normalize(row.realizedPnl),
      normalize(row.unrealizedPnl),
      normalize(row.fees),
      normalize(netPnl(row)),
      normalize(row.volume),
      row.fills,
    ]);
}

/** What a row made: realized plus unrealized PnL, less fees. */
export const netPnl = (row: Pick<PerformanceRow, 'realizedPnl' | 'unrealizedPnl' | 'fees'>) =>
  subtract(add(row.realizedPnl, row.unrealizedPnl), row.fees);

/** Trades as CSV lines, header first, streamed from the ledger page by page. */
export async function* tradeCsv(
  deps: Pick<ApiDependencies, 'pool'>,
  filter: TradeExportFilter,
): AsyncGenerator<string> {
  yield csvLine(TRADE_COLUMNS);
  for await (const trade of exportTrades(deps.pool, filter))
    yield csvLine([
      trade.recordedAt.toISOString(),
      trade.id,
      trade.clientOrderId,
      trade.venue,
      trade.market,
      trade.account,
      trade.symbol,
      trade.strategy,
      trade.side,
      normalize(trade.quantity),
      normalize(trade.price),
      normalize(multiply(trade.quantity, trade.price)),
    ]);
}

/** Whether the ledger ever recorded an order of `symbol` (a removed symbol's history still exports). */
async function symbolKnown(deps: Pick<ApiDependencies, 'pool'>, symbol: string): Promise<boolean> {
  const { rows } = await deps.pool.query('SELECT 1 FROM ledger_orders WHERE symbol = $1 LIMIT 1', [symbol]);
  return rows.length > 0;
}

/** CSV exports of the ledger, streamed. */
export const exportRoutes: FastifyPluginAsyncZod<ApiDependencies> = async (app, deps) => {
  app.get(
    '/exports/trades.csv',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Fills as CSV (one symbol or all, a time range of at most 366 days), oldest first, streamed',
        querystring: TradeExportQuerySchema,
      },
    },
    async (request, reply) => {
      const filter = request.query;
      if (filter.symbol && !(await symbolKnown(deps, filter.symbol)))
        return refuse(reply, 404, `the ledger has nothing of ${filter.symbol}`);
      const name = `keel-trades-${filter.symbol ?? 'all'}-${filter.from.toISOString()}-${filter.to.toISOString()}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name.replace(/:/g, '')}"`)
        .send(Readable.from(tradeCsv(deps, filter)));
    },
  );

  app.get(
    '/exports/performance.csv',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'Performance snapshots as CSV: position, realized and unrealized PnL, fees and volume over time, per symbol and strategy, per symbol, or in total (`by`), oldest first, streamed',
        querystring: PerformanceExportQuerySchema,
      },
    },
    async (request, reply) => {
      const filter = request.query;
      if (filter.symbol && !(await symbolKnown(deps, filter.symbol)))
        return refuse(reply, 404, `the ledger has nothing of ${filter.symbol}`);
      const name = `keel-performance-${filter.by}-${filter.symbol ?? 'all'}-${filter.from.toISOString()}-${filter.to.toISOString()}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name.replace(/:/g, '')}"`)
        .send(Readable.from(performanceCsv(deps, filter)));
    },
  );
};
