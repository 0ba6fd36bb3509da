import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { exportTrades, type TradeExportFilter } from '../../db/trade-export';
import { multiply, normalize } from '../../domain/decimal';
import { CanonicalSymbolSchema } from '../../domain/symbols';
import type { ApiDependencies } from '../app';
import { csvLine } from '../csv';
import { refuse } from '../errors';

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

const DAY_MS = 86_400_000;
/** The longest range one export covers. */
const MAX_RANGE_DAYS = 366;

export const TradeExportQuerySchema = z
  .object({
    symbol: CanonicalSymbolSchema.optional(),
    /** ISO 8601; default: 24 h before `to`. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** ISO 8601, exclusive; default: now. */
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .transform((query, ctx): TradeExportFilter => {
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_MS);
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `the range may span at most ${MAX_RANGE_DAYS} days`,
      });
    return { symbol: query.symbol, from, to };
  });

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
};
