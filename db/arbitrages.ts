import type { Pool } from 'pg';
import { z } from 'zod';

const LegRecordSchema = z.object({
  venue: z.string(),
  market: z.string(),
  account: z.string(),
  entries: z.array(z.object({ price: z.string(), quantity: z.string(), fee: z.string() })),
  exits: z.array(z.object({ price: z.string(), quantity: z.string(), fee: z.string() })),
  funding: z.array(z.string()),
});

/** One finished arbitrage as the strategy records it in the ledger. */
export const ArbitrageRecordSchema = z.object({
  id: z.string().min(1).max(256),
  symbol: z.string(),
  strategy: z.string(),
  kind: z.enum(['spot-perp', 'perp-perp']),
  outcome: z.enum(['closed', 'unwound', 'external']),
  legs: z.object({ long: LegRecordSchema, short: LegRecordSchema }),
  entrySpreadBps: z.number(),
  exitSpreadBps: z.number().nullable(),
  grossPnl: z.string(),
  fees: z.string(),
  funding: z.string(),
  netPnl: z.string(),
  clientOrderIds: z.array(z.string()).min(1),
  openedAt: z.number(),
  closedAt: z.number(),
});
export type ArbitrageRecord = z.infer<typeof ArbitrageRecordSchema>;

/** Stores a finished arbitrage; one already stored under the same id is left as it is. */
export async function saveArbitrage(pool: Pool, record: ArbitrageRecord): Promise<void> {
  await pool.query(
    `INSERT INTO arbitrages (id, symbol, strategy, kind, outcome, legs, entry_spread_bps, exit_spread_bps,
       gross_pnl, fees, funding, net_pnl, client_order_ids, opened_at, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, to_timestamp($14 / 1000.0),
       to_timestamp($15 / 1000.0))
     ON CONFLICT (id) DO NOTHING`,
    [
      record.id,
      record.symbol,
      record.strategy,
      record.kind,
      record.outcome,
      JSON.stringify(record.legs),
      record.entrySpreadBps,
      record.exitSpreadBps,
      record.grossPnl,
      record.fees,
      record.funding,
      record.netPnl,
      record.clientOrderIds,
      record.openedAt,
      record.closedAt,
    ],
  );
}

/** A symbol's finished arbitrages, newest first. */
export async function arbitragesBySymbol(
  pool: Pool,
  symbol: string,
  limit: number,
): Promise<ArbitrageRecord[]> {
  const { rows } = await pool.query<{
    id: string;
    symbol: string;
    strategy: string;
    kind: string;
    outcome: string;
    legs: unknown;
    entry_spread_bps: number;
    exit_spread_bps: number | null;
    gross_pnl: string;
    fees: string;
    funding: string;
    net_pnl: string;
    client_order_ids: string[];
    opened_at: Date;
    closed_at: Date;
  }>(
    `SELECT id, symbol, strategy, kind, outcome, legs, entry_spread_bps, exit_spread_bps, gross_pnl::text,
       fees::text, funding::text, net_pnl::text, client_order_ids, opened_at, closed_at
     FROM arbitrages WHERE symbol = $1 ORDER BY closed_at DESC, id LIMIT $2`,
    [symbol, limit],
  );
  return rows.map((row) =>
    ArbitrageRecordSchema.parse({
      id: row.id,
      symbol: row.symbol,
      strategy: row.strategy,
      kind: row.kind,
      outcome: row.outcome,
      legs: row.legs,
      entrySpreadBps: row.entry_spread_bps,
      exitSpreadBps: row.exit_spread_bps,
      grossPnl: row.gross_pnl,
      fees: row.fees,
      funding: row.funding,
      netPnl: row.net_pnl,
      clientOrderIds: row.client_order_ids,
      openedAt: row.opened_at.getTime(),
      closedAt: row.closed_at.getTime(),
    }),
  );
}
