import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { withTransaction } from './pool';

/**
 * Pair discovery's versioned snapshots (migrations/0010_scanner_snapshots.sql). A snapshot is written in
 * one transaction under an advisory lock: version = latest + 1, its symbols, listings and pairs, and the
 * diff the caller computed against `basedOn`. Keyed by the discovery run: saving a run twice returns the
 * first save's version instead of writing another.
 */

/** Arbitrary constant: serialises snapshot writers (a scheduled run and an on-demand one). */
const snapshotLockKey = 1_400_004;

/**
 * One listing as a tuple, to keep activity payloads small (~5,600 listings for 700 symbols × 8 sources):
 * source name, symbol id, venue symbol, tick, lot, min qty, max qty (null: none), min notional.
 */
export type ListingTuple = [
  source: string,
  symbolId: number,
  venueSymbol: string,
  tickSize: string,
  lotSize: string,
  minQuantity: string,
  maxQuantity: string | null,
  minNotional: string,
];

export interface SnapshotDirection {
  id: number;
  name: string;
  symbolIds: number[];
}

/** What a discovery run saves. JSON fields are stored as they are. */
export interface NewScannerSnapshot {
  workflowId: string;
  runId: string;
  /** The version the diff was computed against; null when there was none. */
  basedOn: number | null;
  settings: unknown;
  counts: Record<string, unknown>;
  sources: unknown[];
  failedSources: string[];
  priceCheck: 'run' | 'not_run';
  heldOut: unknown[];
  unchecked: unknown[];
  rejected: unknown[];
  diff: unknown;
  /** Sorted; a symbol's id is its index. */
  symbols: string[];
  listings: ListingTuple[];
  /** The pairs kept, per direction. */
  directions: SnapshotDirection[];
}

/** The latest version moved on since the diff was computed: compute it again against the new latest. */
export class SnapshotConflictError extends Error {
  override readonly name = 'SnapshotConflictError';
  constructor(
    readonly expected: number | null,
    readonly latest: number | null,
  ) {
    super(`the latest scanner snapshot is ${latest ?? 'none'}, not ${expected ?? 'none'}: diff again`);
  }
}

const SavedRowSchema = z.object({ version: z.number().int().positive(), diff: z.unknown() });

/** Saves a snapshot as the next version, or returns the version this run already saved. */
export async function saveScannerSnapshot(
  pool: Pool,
  snapshot: NewScannerSnapshot,
): Promise<{ version: number; diff: unknown; alreadySaved: boolean }> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [snapshotLockKey]);
    const existing = await client.query('SELECT version, diff FROM scanner_snapshots WHERE run_id = $1', [
      snapshot.runId,
    ]);
    if (existing.rows[0]) return { ...SavedRowSchema.parse(existing.rows[0]), alreadySaved: true };

    const latest = await latestVersion(client);
    if (latest !== snapshot.basedOn) throw new SnapshotConflictError(snapshot.basedOn, latest);
    const version = (latest ?? 0) + 1;

    await client.query(
      `INSERT INTO scanner_snapshots (version, workflow_id, run_id, based_on, settings, counts, sources,
         failed_sources, price_check, held_out, unchecked, rejected, diff)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10::jsonb, $11::jsonb,
         $12::jsonb, $13::jsonb)`,
      [
        version,
        snapshot.workflowId,
        snapshot.runId,
        snapshot.basedOn,
        JSON.stringify(snapshot.settings),
        JSON.stringify(snapshot.counts),
        JSON.stringify(snapshot.sources),
        JSON.stringify(snapshot.failedSources),
        snapshot.priceCheck,
        JSON.stringify(snapshot.heldOut),
        JSON.stringify(snapshot.unchecked),
        JSON.stringify(snapshot.rejected),
        JSON.stringify(snapshot.diff),
      ],
    );
    await client.query(
      `INSERT INTO scanner_snapshot_symbols (version, symbol_id, symbol)
       SELECT $1, s.ord - 1, s.symbol FROM unnest($2::text[]) WITH ORDINALITY AS s(symbol, ord)`,
      [version, snapshot.symbols],
    );
    const column = <T>(i: number) => snapshot.listings.map((l) => l[i] as T);
    await client.query(
      `INSERT INTO scanner_snapshot_listings
         (version, source, symbol_id, venue_symbol, tick_size, lot_size, min_qty, max_qty, min_notional)
       SELECT $1, l.* FROM unnest($2::text[], $3::int[], $4::text[], $5::numeric[], $6::numeric[],
         $7::numeric[], $8::numeric[], $9::numeric[]) AS l`,
      [version, ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => column(i))],
    );
    const pairs = snapshot.directions.flatMap((d) => d.symbolIds.map((symbolId) => ({ d, symbolId })));
    await client.query(
      `INSERT INTO scanner_snapshot_pairs (version, direction_id, direction, symbol_id)
       SELECT $1, p.* FROM unnest($2::smallint[], $3::text[], $4::int[]) AS p`,
      [version, pairs.map((p) => p.d.id), pairs.map((p) => p.d.name), pairs.map((p) => p.symbolId)],
    );
    return { version, diff: snapshot.diff, alreadySaved: false };
  });
}

async function latestVersion(client: PoolClient): Promise<number | null> {
  const { rows } = await client.query('SELECT max(version) AS version FROM scanner_snapshots');
  return z.object({ version: z.number().int().nullable() }).parse(rows[0]).version;
}

const SnapshotHeadSchema = z.object({
  version: z.number().int().positive(),
  created_at: z.date(),
  workflow_id: z.string(),
  run_id: z.string(),
  based_on: z.number().int().nullable(),
  settings: z.unknown(),
  counts: z.record(z.string(), z.unknown()),
  sources: z.array(z.unknown()),
  failed_sources: z.array(z.string()),
  price_check: z.enum(['run', 'not_run']),
  held_out: z.array(z.unknown()),
  unchecked: z.array(z.unknown()),
  rejected: z.array(z.unknown()),
  diff: z.unknown(),
});
export type ScannerSnapshotHead = z.infer<typeof SnapshotHeadSchema>;

/** The newest snapshot's row (without its symbols, listings and pairs), or undefined when there is none. */
export async function latestScannerSnapshotHead(pool: Pool): Promise<ScannerSnapshotHead | undefined> {
  const { rows } = await pool.query('SELECT * FROM scanner_snapshots ORDER BY version DESC LIMIT 1');
  return rows[0] === undefined ? undefined : SnapshotHeadSchema.parse(rows[0]);
}

/** Every snapshot's row, oldest first. */
export async function scannerSnapshotHeads(pool: Pool): Promise<ScannerSnapshotHead[]> {
  const { rows } = await pool.query('SELECT * FROM scanner_snapshots ORDER BY version');
  return rows.map((row) => SnapshotHeadSchema.parse(row));
}

/** What a diff needs of a snapshot: its version, symbols (id = index) and pairs per direction. */
export interface SnapshotPairs {
  version: number;
  symbols: string[];
  directions: SnapshotDirection[];
}

const SymbolRowSchema = z.object({ symbol_id: z.number().int(), symbol: z.string() });
const DirectionRowSchema = z.object({
  direction_id: z.number().int(),
  direction: z.string(),
  symbol_ids: z.array(z.number().int()),
});

/** A snapshot's symbols and pairs (the newest when `version` is not given), or undefined. */
export async function scannerSnapshotPairs(pool: Pool, version?: number): Promise<SnapshotPairs | undefined> {
  const { rows: heads } = await pool.query(
    version === undefined
      ? 'SELECT max(version) AS version FROM scanner_snapshots'
      : 'SELECT version FROM scanner_snapshots WHERE version = $1',
    version === undefined ? [] : [version],
  );
  const found = z.object({ version: z.number().int().nullable() }).optional().parse(heads[0])?.version;
  if (found === undefined || found === null) return undefined;
  const symbols = (
    await pool.query('SELECT symbol_id, symbol FROM scanner_snapshot_symbols WHERE version = $1 ORDER BY 1', [
      found,
    ])
  ).rows.map((row) => SymbolRowSchema.parse(row));
  const directions = (
    await pool.query(
      `SELECT direction_id::int AS direction_id, direction, array_agg(symbol_id ORDER BY symbol_id) AS symbol_ids
       FROM scanner_snapshot_pairs WHERE version = $1 GROUP BY direction_id, direction ORDER BY direction_id`,
      [found],
    )
  ).rows.map((row) => DirectionRowSchema.parse(row));
  symbols.forEach((row, i) => {
    if (row.symbol_id !== i) throw new Error(`scanner snapshot ${found}: symbol ids are not 0..n-1`);
  });
  return {
    version: found,
    symbols: symbols.map((row) => row.symbol),
    directions: directions.map((d) => ({ id: d.direction_id, name: d.direction, symbolIds: d.symbol_ids })),
  };
}

const ListingRowSchema = z.object({
  source: z.string(),
  symbol_id: z.number().int(),
  symbol: z.string(),
  venue_symbol: z.string(),
  tick_size: z.string(),
  lot_size: z.string(),
  min_qty: z.string(),
  max_qty: z.string().nullable(),
  min_notional: z.string(),
});
export type ScannerListingRow = z.infer<typeof ListingRowSchema>;

/** A snapshot's listings with their symbol names, by source then symbol id. */
export async function scannerSnapshotListings(pool: Pool, version: number): Promise<ScannerListingRow[]> {
  const { rows } = await pool.query(
    `SELECT l.source, l.symbol_id, s.symbol, l.venue_symbol, l.tick_size::text, l.lot_size::text,
       l.min_qty::text, l.max_qty::text, l.min_notional::text
     FROM scanner_snapshot_listings l JOIN scanner_snapshot_symbols s USING (version, symbol_id)
     WHERE l.version = $1 ORDER BY l.source, l.symbol_id`,
    [version],
  );
  return rows.map((row) => ListingRowSchema.parse(row));
}

/** One snapshot's row (without its symbols, listings and pairs), or undefined when there is no such version. */
export async function scannerSnapshotHead(
  pool: Pool,
  version: number,
): Promise<ScannerSnapshotHead | undefined> {
  const { rows } = await pool.query('SELECT * FROM scanner_snapshots WHERE version = $1', [version]);
  return rows[0] === undefined ? undefined : SnapshotHeadSchema.parse(rows[0]);
}
