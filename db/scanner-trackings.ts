import type { Pool } from 'pg';
import { z } from 'zod';
import { DecimalStringSchema } from '../domain/trading';
import { withTransaction } from './pool';

/**
 * The scanner's trackings (migrations/0011_scanner_trackings.sql): a row per tracker run, its samples
 * (one per slot it read, keyed by (tracking, seq)) and its gaps (slots without a sample, and why).
 * Writes are idempotent, so a retried attempt re-sending a batch changes nothing.
 */

export const TrackingOutcomeSchema = z.enum(['CONVERGED', 'EXPIRED', 'FEED_DOWN']);
export type TrackingOutcome = z.infer<typeof TrackingOutcomeSchema>;

export const GapReasonSchema = z.enum(['late', 'feed', 'restart']);
export type GapReason = z.infer<typeof GapReasonSchema>;

export const TrackingRowSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  direction: z.string(),
  opened_at: z.date(),
  entry_bps: z.number(),
  exit_bps: z.number(),
  interval_ms: z.number().int(),
  closed_at: z.date().nullable(),
  outcome: TrackingOutcomeSchema.nullable(),
  samples: z.number().int().nullable(),
  gaps: z.number().int().nullable(),
});
export type TrackingRow = z.infer<typeof TrackingRowSchema>;

export const SampleRowSchema = z.object({
  seq: z.number().int(),
  at: z.date(),
  spot_bid: DecimalStringSchema,
  spot_ask: DecimalStringSchema,
  perp_bid: DecimalStringSchema,
  perp_ask: DecimalStringSchema,
  spread_bps: z.number(),
});
export type SampleRow = z.infer<typeof SampleRowSchema>;

export const GapRowSchema = z.object({
  from_seq: z.number().int(),
  to_seq: z.number().int(),
  from_at: z.date(),
  to_at: z.date(),
  missed: z.number().int(),
  reason: GapReasonSchema,
});
export type GapRow = z.infer<typeof GapRowSchema>;

export interface OpenTracking {
  id: string;
  symbol: string;
  direction: string;
  /** ms since epoch: slot 0 is due then. */
  openedAt: number;
  entryBps: number;
  exitBps: number;
  intervalMs: number;
}

/** Records a tracking; recording it again (a retried attempt) keeps the first row. */
export async function openTracking(pool: Pool, t: OpenTracking): Promise<number> {
  await pool.query(
    `INSERT INTO scanner_trackings (id, symbol, direction, opened_at, entry_bps, exit_bps, interval_ms)
     VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
    [t.id, t.symbol, t.direction, t.openedAt, t.entryBps, t.exitBps, t.intervalMs],
  );
  const { rows } = await pool.query<{ opened_at: Date }>(
    'SELECT opened_at FROM scanner_trackings WHERE id = $1',
    [t.id],
  );
  const openedAt = rows[0]?.opened_at;
  if (!openedAt) throw new Error(`scanner tracking ${t.id} was not recorded`);
  return openedAt.getTime();
}

/** The last slot written for the tracking, as a sample or inside a gap; undefined before the first. */
export async function lastWrittenSeq(pool: Pool, trackingId: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ last: number | null }>(
    `SELECT greatest((SELECT max(seq) FROM scanner_samples WHERE tracking_id = $1),
                     (SELECT max(to_seq) FROM scanner_gaps WHERE tracking_id = $1)) AS last`,
    [trackingId],
  );
  return rows[0]?.last ?? undefined;
}

export interface Sample {
  seq: number;
  /** ms since epoch, when it was read. */
  at: number;
  spotBid: string;
  spotAsk: string;
  perpBid: string;
  perpAsk: string;
  spreadBps: number;
}

export interface Gap {
  fromSeq: number;
  toSeq: number;
  /** When the first and last missed slots were due, ms since epoch. */
  fromAt: number;
  toAt: number;
  reason: GapReason;
}

/**
 * Writes a batch of samples and gaps in one transaction. A (tracking, seq) already written is left as
 * it is (ON CONFLICT DO NOTHING): the backstop against a batch sent twice.
 */
export async function writeTrackingBatch(
  pool: Pool,
  trackingId: string,
  samples: readonly Sample[],
  gaps: readonly Gap[],
): Promise<void> {
  if (samples.length === 0 && gaps.length === 0) return;
  await withTransaction(pool, async (client) => {
    if (samples.length > 0)
      await client.query(
        `INSERT INTO scanner_samples (tracking_id, seq, at, spot_bid, spot_ask, perp_bid, perp_ask, spread_bps)
         SELECT $1, s.seq, to_timestamp(s.at / 1000), s.spot_bid, s.spot_ask, s.perp_bid, s.perp_ask, s.spread_bps
         FROM unnest($2::int[], $3::float8[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::float8[])
           AS s (seq, at, spot_bid, spot_ask, perp_bid, perp_ask, spread_bps)
         ON CONFLICT (tracking_id, seq) DO NOTHING`,
        [
          trackingId,
          samples.map((s) => s.seq),
          samples.map((s) => s.at),
          samples.map((s) => s.spotBid),
          samples.map((s) => s.spotAsk),
          samples.map((s) => s.perpBid),
          samples.map((s) => s.perpAsk),
          samples.map((s) => s.spreadBps),
        ],
      );
    if (gaps.length > 0)
      await client.query(
        `INSERT INTO scanner_gaps (tracking_id, from_seq, to_seq, from_at, to_at, missed, reason)
         SELECT $1, g.from_seq, g.to_seq, to_timestamp(g.from_at / 1000), to_timestamp(g.to_at / 1000),
                g.to_seq - g.from_seq + 1, g.reason
         FROM unnest($2::int[], $3::int[], $4::float8[], $5::float8[], $6::text[])
           AS g (from_seq, to_seq, from_at, to_at, reason)
         ON CONFLICT (tracking_id, from_seq) DO NOTHING`,
        [
          trackingId,
          gaps.map((g) => g.fromSeq),
          gaps.map((g) => g.toSeq),
          gaps.map((g) => g.fromAt),
          gaps.map((g) => g.toAt),
          gaps.map((g) => g.reason),
        ],
      );
  });
}

/**
 * Closes a tracking with its outcome and its counts (samples written, slots missed), taken from the
 * tables. Closing it again keeps the first outcome and time. Returns the row.
 */
export async function closeTracking(
  pool: Pool,
  close: { id: string; outcome: TrackingOutcome; closedAt: number },
): Promise<TrackingRow> {
  const { rows } = await pool.query(
    `UPDATE scanner_trackings SET
       outcome = COALESCE(outcome, $2),
       closed_at = COALESCE(closed_at, to_timestamp($3::float8 / 1000)),
       samples = (SELECT count(*)::int FROM scanner_samples WHERE tracking_id = $1),
       gaps = (SELECT COALESCE(sum(missed), 0)::int FROM scanner_gaps WHERE tracking_id = $1)
     WHERE id = $1 RETURNING *`,
    [close.id, close.outcome, close.closedAt],
  );
  if (rows[0] === undefined) throw new Error(`no scanner tracking ${close.id}`);
  return TrackingRowSchema.parse(rows[0]);
}

export async function findTracking(pool: Pool, id: string): Promise<TrackingRow | undefined> {
  const { rows } = await pool.query('SELECT * FROM scanner_trackings WHERE id = $1', [id]);
  return rows[0] === undefined ? undefined : TrackingRowSchema.parse(rows[0]);
}

/** A tracking's samples in slot order (all of them, or the `limit` first after `afterSeq`). */
export async function trackingSamples(
  pool: Pool,
  id: string,
  page: { afterSeq?: number; limit?: number } = {},
): Promise<SampleRow[]> {
  const { rows } = await pool.query(
    `SELECT seq, at, spot_bid::text, spot_ask::text, perp_bid::text, perp_ask::text, spread_bps
     FROM scanner_samples WHERE tracking_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [id, page.afterSeq ?? -1, page.limit ?? null],
  );
  return rows.map((row) => SampleRowSchema.parse(row));
}

export async function trackingGaps(pool: Pool, id: string): Promise<GapRow[]> {
  const { rows } = await pool.query(
    `SELECT from_seq, to_seq, from_at, to_at, missed, reason FROM scanner_gaps WHERE tracking_id = $1 ORDER BY from_seq`,
    [id],
  );
  return rows.map((row) => GapRowSchema.parse(row));
}

export interface TrackingFilter {
  symbol?: string;
  direction?: string;
  outcome?: TrackingOutcome;
  /** `active`: not closed yet; `closed`: closed with an outcome. Both when absent. */
  state?: 'active' | 'closed';
  limit: number;
}

/** Trackings matching every given filter, newest opened first (then by id, so the order is stable). */
export async function listTrackings(pool: Pool, filter: TrackingFilter): Promise<TrackingRow[]> {
  const { rows } = await pool.query(
    `SELECT * FROM scanner_trackings
     WHERE ($1::text IS NULL OR symbol = $1)
       AND ($2::text IS NULL OR direction = $2)
       AND ($3::text IS NULL OR outcome = $3)
       AND ($4::text IS NULL OR ($4 = 'active') = (closed_at IS NULL))
     ORDER BY opened_at DESC, id LIMIT $5`,
    [
      filter.symbol ?? null,
      filter.direction ?? null,
      filter.outcome ?? null,
      filter.state ?? null,
      filter.limit,
    ],
  );
  return rows.map((row) => TrackingRowSchema.parse(row));
}
