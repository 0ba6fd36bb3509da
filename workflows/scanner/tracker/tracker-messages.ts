import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { CanonicalSymbolSchema } from '../../../domain/symbols';
import { AccountNameSchema, MarketKindSchema, VenueSchema } from '../../../domain/venues';
import { directionNamed } from '../discovery/sources';
import type { TrackingOutcome } from './tracking-rules';

/** Prefix of every tracker's workflow id. */
export const TRACKER_ID_PREFIX = 'scanner-track:';

/**
 * The workflow id of the tracker of (symbol, direction): `scanner-track:BTC-USDT:binance-spot>bybit-perp`.
 * One id per pair, so Temporal refuses a second tracker while one runs, and accepts the next once it closed.
 */
export function trackerWorkflowId(symbol: string, direction: string): string {
  if (!directionNamed(direction))
    throw new RangeError(`unknown scanner direction ${JSON.stringify(direction)}`);
  return `${TRACKER_ID_PREFIX}${symbol}:${direction}`;
}

export const TrackerLegSchema = z.object({
  venue: VenueSchema,
  market: MarketKindSchema,
  account: AccountNameSchema.default('keel'),
});
export type TrackerLeg = z.infer<typeof TrackerLegSchema>;

/** The two legs of a direction: spot on its spot venue, the perp on its perp venue, with one account. */
export function trackerLegs(direction: string, account = 'keel'): { spot: TrackerLeg; perp: TrackerLeg } {
  const d = directionNamed(direction);
  if (!d) throw new RangeError(`unknown scanner direction ${JSON.stringify(direction)}`);
  return {
    spot: { venue: d.spot.venue, market: 'spot', account },
    perp: { venue: d.perp.venue, market: 'perp', account },
  };
}

const positiveMs = z.int().positive();

export const TrackerInputSchema = z
  .object({
    symbol: CanonicalSymbolSchema,
    /** A direction name such as `binance-spot>bybit-perp` (workflows/scanner/discovery/sources.ts). */
    direction: z.string().refine((name) => directionNamed(name) !== undefined, 'unknown scanner direction'),
    spot: TrackerLegSchema,
    perp: TrackerLegSchema,
    /** The spread that opened the tracking, bps. */
    entryBps: z.number(),
    /** Below this spread (bps) the tracking converges. */
    exitBps: z.number().default(10),
    intervalMs: positiveMs.default(200),
    horizonMs: positiveMs.default(3 * 60 * 60 * 1000),
    /** A leg unreadable for longer than this ends the tracking as FEED_DOWN. */
    feedDownMs: positiveMs.default(5_000),
    /** Samples are written every `batchSize` samples or every `flushMs`, whichever comes first. */
    batchSize: z.int().positive().max(10_000).default(25),
    /**
     * Where the sampling activity runs; the workflow's own queue when absent. Every tracker holds one
     * activity slot for its whole horizon, so `npm start` sends them to the scanner's worker, sized for
     * hundreds, instead of the main worker's slots its grids' watches need.
     */
    samplingTaskQueue: z.string().min(1).optional(),
    flushMs: positiveMs.default(5_000),
  })
  .superRefine((input, ctx) => {
    const d = directionNamed(input.direction);
    if (!d) return;
    if (input.entryBps <= input.exitBps)
      ctx.addIssue({ code: 'custom', path: ['exitBps'], message: 'must be below entryBps' });
    if (input.intervalMs > input.horizonMs)
      ctx.addIssue({ code: 'custom', path: ['intervalMs'], message: 'must not exceed horizonMs' });
    for (const [leg, source] of [
      ['spot', d.spot],
      ['perp', d.perp],
    ] as const) {
      const ref = input[leg];
      if (ref.venue !== source.venue || ref.market !== source.market)
        ctx.addIssue({
          code: 'custom',
          path: [leg],
          message: `must be ${source.venue}/${source.market} for ${input.direction}`,
        });
    }
  });
/** What a caller passes (defaults may be left out). */
export type TrackerInputArg = z.input<typeof TrackerInputSchema>;
export type TrackerInput = z.output<typeof TrackerInputSchema>;

/** What the tracker returns, and what its query shows once it closed. */
export interface TrackerResult {
  trackingId: string;
  outcome: TrackingOutcome;
  /** Samples written, and slots without one (the sum of its gaps). */
  samples: number;
  missed: number;
  lastSpreadBps: number | null;
  closedAt: number;
  /** With FEED_DOWN: why the lost leg could not be read. */
  feedError?: string;
}

export interface TrackerState {
  trackingId: string;
  symbol: string;
  direction: string;
  openedAt: number;
  /** `sampling` while its activity runs: live counts are in that activity's heartbeat and in PostgreSQL. */
  phase: 'sampling' | 'closing' | 'closed';
  samples: number | null;
  missed: number | null;
  lastSpreadBps: number | null;
  outcome: TrackingOutcome | null;
}

export const trackerStateQuery = defineQuery<TrackerState>('trackerState');
